// Write-behind for the request log. Committing each request's row before replying cost more than
// everything else a specialist answer does (about 100 µs of CPU for a lone insert, 11 µs per row in
// batches of 100), so by default the gateway replies first and writes the rows of the last
// FLUSH_MS in one statement. What that trades, stated in the README: if the process is killed
// (not stopped: SIGTERM and close() flush), the log rows of at most the last FLUSH_MS of requests
// are lost. Examples (what the specialist learns from) are never buffered: they are stored before
// the reply. `request_log: sync` restores commit-before-reply.
import type { RequestInput, RequestRecord, Store } from "../../store/index.js";
import { sliceWait } from "../http/event-loop-share.js";

export type RequestLogMode = "buffered" | "sync";

/**
 * Longest a row waits in memory. Each flush is a transaction, and a transaction costs the same
 * pages written again (the tail of the table and of its indexes), a hand-off to the writer thread
 * and a wake-up of it, however few rows it carries: measured with a store writing 5,000 rows/s,
 * all threads' CPU per row fell from 32–39 µs with a flush every 10 ms to 20–24 µs every 50 ms;
 * every 100 ms gained nothing more in bench:server.
 */
export const FLUSH_MS = 50;
/** A flush starts at once when this many rows are waiting. */
export const FLUSH_ROWS = 500;
/**
 * Characters of input in one insert. Four batches of 1,000 × 5,000 characters made one 20 MB
 * insert: its rows hashed and copied to the writer thread in one go, the event loop held for tens
 * of milliseconds. Cut into pieces that take a share of the loop each (event-loop-share.ts).
 */
export const INSERT_PIECE_CHARS = 256 * 1024;

export interface RequestLogger {
  readonly mode: RequestLogMode;
  /** Logs a request; resolves when the row is safe by this mode's rule. */
  log(row: RequestInput): Promise<void>;
  logMany(rows: RequestInput[]): Promise<void>;
  /** A logged request, including one still waiting to be written. */
  get(id: string): Promise<RequestRecord | null>;
  /** Writes whatever is waiting (shutdown, tests). */
  flush(): Promise<void>;
}

export function createRequestLogger(store: Store, mode: RequestLogMode, onError: (err: unknown, rows: number) => void): RequestLogger {
  if (mode === "sync") {
    return {
      mode,
      log: (row) => store.requests.insert(row),
      logMany: async (rows) => {
        for await (const piece of inPieces(rows)) await store.requests.insertMany(piece);
      },
      get: (id) => store.requests.get(id),
      flush: async () => {},
    };
  }
  return new BufferedRequestLog(store, onError);
}

class BufferedRequestLog implements RequestLogger {
  readonly mode = "buffered";
  #waiting: RequestInput[] = [];
  #timer: NodeJS.Timeout | null = null;
  #writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly onError: (err: unknown, rows: number) => void,
  ) {}

  async log(row: RequestInput): Promise<void> {
    this.#waiting.push(row);
    this.#schedule();
  }

  async logMany(rows: RequestInput[]): Promise<void> {
    for (const row of rows) this.#waiting.push(row);
    this.#schedule();
  }

  async get(id: string): Promise<RequestRecord | null> {
    const waiting = this.#waiting.find((r) => r.id === id);
    if (waiting === undefined) {
      // It may be in a write under way: let that finish first.
      await this.#writing;
      return this.store.requests.get(id);
    }
    await this.flush();
    return this.store.requests.get(id);
  }

  flush(): Promise<void> {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    const rows = this.#waiting;
    this.#waiting = [];
    this.#writing = this.#writing.then(() => (rows.length === 0 ? undefined : this.#write(rows)));
    return this.#writing;
  }

  #schedule(): void {
    if (this.#waiting.length >= FLUSH_ROWS) void this.flush();
    else if (this.#timer === null) {
      this.#timer = setTimeout(() => {
        this.#timer = null;
        void this.flush();
      }, FLUSH_MS);
      // A pending flush must not keep a finished process alive; close() flushes explicitly.
      this.#timer.unref();
    }
  }

  async #write(rows: RequestInput[]): Promise<void> {
    for await (const piece of inPieces(rows)) {
      try {
        await this.store.requests.insertMany(piece);
      } catch {
        // One bad row must not cost the others theirs: one at a time, reporting each failure.
        for (const row of piece) {
          try {
            await this.store.requests.insert(row);
          } catch (err) {
            this.onError(err, 1);
          }
        }
      }
    }
  }
}

/**
 * The rows in pieces of at most INSERT_PIECE_CHARS characters of input (a longer row alone), each
 * handed out in a slice of the shared event loop.
 */
async function* inPieces(rows: readonly RequestInput[]): AsyncGenerator<readonly RequestInput[]> {
  let start = 0;
  while (start < rows.length) {
    let end = start + 1;
    let chars = rows[start]!.input?.length ?? 0;
    while (end < rows.length && chars + (rows[end]!.input?.length ?? 0) <= INSERT_PIECE_CHARS) chars += rows[end++]!.input?.length ?? 0;
    for (let wait = sliceWait(); wait !== null; wait = sliceWait()) await wait;
    yield rows.slice(start, end);
    start = end;
  }
}
