// Long work (the inputs of big batches) shares the event loop with every other request.
//
// The work of all requests in this process runs in one slice of SLICE_MS per turn of the event
// loop; past it, every caller waits for the next turn, when pending I/O (a /healthz, a small
// prediction) has been served. One shared slice rather than one budget per request: with
// per-request budgets, four concurrent batches each took their budget in the same turn, and a
// turn lasted four budgets.

/** The longest run of batch work between two turns of the event loop, in milliseconds. */
export const SLICE_MS = 5;

let slice: { start: number; ended: Promise<void> } | null = null;

/**
 * null: run the next unit of work now (the first call of a turn starts its slice). A promise: the
 * slice is spent; await it (the next turn) and ask again. Callers loop, and start the unit in the
 * same synchronous stretch as the call that returned null:
 *
 *   for (let wait = sliceWait(); wait !== null; wait = sliceWait()) await wait;
 *   work();
 *
 * Every caller waiting for a turn wakes in it; asking again right before the unit is what lets
 * only those that find time left in the new slice run (an async wrapper would put a microtask hop
 * between the check and the unit, and all of them would pass the check before any unit ran). A
 * unit that fits in a slice never waits, so a single prediction or a small batch is not slowed.
 */
export function sliceWait(): Promise<void> | null {
  if (slice === null) {
    let end!: () => void;
    slice = { start: performance.now(), ended: new Promise<void>((resolve) => (end = resolve)) };
    setImmediate(() => {
      slice = null;
      end();
    });
    return null;
  }
  return performance.now() - slice.start < SLICE_MS ? null : slice.ended;
}
