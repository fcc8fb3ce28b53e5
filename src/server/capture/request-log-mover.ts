// The rest of a merged task's request log, moved to the task it was merged into after the merge
// has answered (README "Capture"). The merge's own transaction moves the newest rows (bounded, as
// it holds the write locks) and plans the move of the older ones in the store; they move here, a
// batch per transaction with a pause between batches, so other writers get the database in
// between. A gateway stopped meanwhile finishes the batch under way, and the next one to start
// resumes the plan (several may: each batch moves rows no other has moved).
import type { FastifyBaseLogger } from "fastify";
import type { PlannedMove, Store } from "../../store/index.js";

/** Rows moved per transaction: about 0.2 s of the write lock on a SQLite log of a million rows. */
export const MOVE_BATCH_ROWS = 10_000;
/** The pause between two batches, in milliseconds. */
const PAUSE_MS = 200;

export class RequestLogMover {
  /** Moves under way in this process, by `from` and `notAfter`. */
  readonly #moving = new Map<string, Promise<void>>();
  #closed = false;

  constructor(
    private readonly store: Store,
    private readonly logger?: FastifyBaseLogger,
    private readonly batchRows = MOVE_BATCH_ROWS,
  ) {}

  /** Moves a planned move's rows in the background, unless this process is moving them already. */
  start(move: PlannedMove): void {
    const key = `${move.notAfter}\u0000${move.from}`;
    if (this.#closed || this.#moving.has(key)) return;
    this.#moving.set(key, this.#move(move).finally(() => this.#moving.delete(key)));
  }

  /** Starts every move the store has planned (at startup: those a stopped gateway left). */
  async resume(): Promise<void> {
    try {
      for (const move of await this.store.requests.plannedMoves()) this.start(move);
    } catch (err) {
      this.logger?.error({ err }, "could not read the planned request-log moves; they resume at the next start");
    }
  }

  /** Resolves once every move under way has finished. */
  async idle(): Promise<void> {
    while (this.#moving.size > 0) await Promise.all(this.#moving.values());
  }

  /** Stops every move after its batch under way; resolves once those are written. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.idle();
  }

  async #move(move: PlannedMove): Promise<void> {
    const { from, into, notAfter } = move;
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
      if (left === 0) await this.store.requests.finishMove(move);
      this.logger?.info({ from, into, moved, left }, left === 0 ? "moved the rest of a merged task's request log" : "stopped moving a merged task's request log; the next start resumes it");
    } catch (err) {
      this.logger?.error({ err, from, into, moved }, "could not move the rest of a merged task's request log; the next start resumes it");
    }
  }
}
