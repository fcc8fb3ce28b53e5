// How much of the event loop learning from relayed shadow calls may take (README "Capture").
//
// Relaying comes first. While calls are being relayed, learning takes at most `share` of each
// window of WINDOW_MS; with none in flight it takes what it needs. A learned call (reading the
// reply, checking it against the fields, the specialist's would-be answer, the log row) cost the
// event loop a sixth of what relaying it did in bench:server's profiles, and more off the charged
// time (the row's write, garbage), so a saturated gateway that learned every call relayed 15-25%
// fewer; bounded, it learns a steady sample, the rest of its calls waiting in the learn queue and,
// past the queue's bound, shed (counted). At the default 1% (about 200 learned calls a second),
// a gateway learns every call it relays up to that rate.
//
// The time charged is a learned call's wall time. With SQLite every step of it runs on this
// thread; with PostgreSQL its waits for the database are charged too, which errs on the side of
// relaying.

/** The window learning's share is counted over, in milliseconds. */
export const WINDOW_MS = 100;

export class LearnBudget {
  readonly #share: number;
  #windowStart = -Infinity;
  /** Learning's time in the current window, in milliseconds. */
  #spent = 0;

  /** `share`: of each window, the most learning takes while calls are relayed (1: no bound). */
  constructor(share: number) {
    this.#share = share;
  }

  /** Milliseconds to wait before learning the next call (0: learn it now); `relaying`: whether calls are in flight now. */
  wait(relaying: boolean, now = performance.now()): number {
    if (now - this.#windowStart >= WINDOW_MS) {
      this.#windowStart = now;
      this.#spent = 0;
    }
    if (!relaying || this.#share >= 1 || this.#spent < this.#share * WINDOW_MS) return 0;
    return this.#windowStart + WINDOW_MS - now;
  }

  /** Charges a learned call's time to the current window. */
  spend(ms: number): void {
    this.#spent += ms;
  }
}
