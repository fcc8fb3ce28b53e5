// The rest of a merged task's request log, moved to the task it was merged into after the merge
// has answered (README "Capture"). The merge's own transaction moves the newest rows (bounded, as
// it holds the write locks); the older ones move here, a batch per transaction with a pause between
// batches, so other writers get the database in between. A gateway stopped meanwhile finishes the
// batch under way and leaves the rest under the old name, where retention deletes it in time.
import type { FastifyBaseLogger } from "fastify";
import type { Store } from "../../store/index.js";

/** Rows moved per transaction: about 0.2 s of the write lock on a SQLite log of a million rows. */
export const MOVE_BATCH_ROWS = 10_000;
/** The pause between two batches, in milliseconds. */
const PAUSE_MS = 200;

export class RequestLogMover {
  readonly #moving = new Set<Promise<void>>();
  #closed = false;

  constructor(
    private readonly store: Store,
    private readonly logger?: FastifyBaseLogger,
    private readonly batchRows = MOVE_BATCH_ROWS,
  ) {}

  /** Moves `from`'s rows logged at or before `notAfter` (epoch ms) to `into`, in the background. */
  start(from: string, into: string, notAfter: number): void {
    if (this.#closed) return;
    const moving = this.#move(from, into, notAfter).finally(() => this.#moving.delete(moving));
    this.#moving.add(moving);
  }

  /** Resolves once every move under way has finished. */
  async idle(): Promise<void> {
    while (this.#moving.size > 0) await Promise.all(this.#moving);
  }

  /** Stops every move after its batch under way; resolves once those are written. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.idle();
  }

  async #move(from: string, into: string, notAfter: number): Promise<void> {
    let moved = 0;
    let left = 0;
    try {
      do {
        const batch = await this.store.requests.moveNewest(from, into, this.batchRows, notAfter);
        moved += batch.moved;
        left = batch.left;
        if (left === 0 || batch.moved === 0 || this.#closed) break;
        await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
      } while (!this.#closed);
      this.logger?.info({ from, into, moved, left }, left === 0 ? "moved the rest of a merged task's request log" : "stopped moving a merged task's request log; the rest stays under its old name");
    } catch (err) {
      this.logger?.error({ err, from, into, moved }, "could not move the rest of a merged task's request log; it stays under its old name");
    }
  }
}
