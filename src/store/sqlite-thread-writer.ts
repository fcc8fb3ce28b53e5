// Batched inserts into a SQLite file on a thread of their own. The gateway logs every request, in
// batches of whatever arrived in the last few milliseconds (request-log-buffer.ts); binding,
// inserting and committing those rows on the event loop was about a tenth of a specialist-served
// chat completion's CPU (perf, bench:server). Here the event loop only hands the rows' values
// over, and a worker thread with its own connection runs one prepared statement per row inside
// one IMMEDIATE transaction: all rows or none. A busy database (another process's writer) makes
// that thread wait, never the event loop.
//
// The worker's connection sees the same file in WAL mode, so a read after write() resolves sees
// the rows. If the thread fails, write() rejects and `broken` turns true; callers then write on
// their own connection (see RequestLog.insertMany).
import { SAFETY_NET_PAGES } from "./sqlite-checkpointer.js";
import { startSqliteThread, threadCaller } from "./sqlite-thread.js";

// Run by startSqliteThread (sqlite-thread.ts).
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.path, { timeout: workerData.busyTimeoutMs });
db.pragma("synchronous = NORMAL");
db.pragma("foreign_keys = ON");
// Checkpoints are the checkpointer thread's job: this connection, like the store's, only past the safety net.
db.pragma("wal_autocheckpoint = " + workerData.autocheckpointPages);
const statement = db.prepare(workerData.sql);
const width = workerData.width;
const insertAll = db.transaction((values) => {
  let changed = 0;
  for (let i = 0; i < values.length; i += width) changed += statement.run(values.slice(i, i + width)).changes;
  return changed;
});
parentPort.on("message", (m) => {
  if (m === "stop") {
    db.close();
    parentPort.close();
    return;
  }
  try {
    parentPort.postMessage({ id: m.id, changed: insertAll.immediate(m.values) });
  } catch (err) {
    parentPort.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err) });
  }
});
`;

export class ThreadWriterError extends Error {
  override name = "ThreadWriterError";
}

export interface ThreadWriter {
  /** True once the thread has failed: write() would reject, use the store's own connection. */
  readonly broken: boolean;
  /**
   * Runs the statement once per `width` consecutive values, all in one transaction; resolves with
   * the number of rows changed, or rejects (nothing written) with the database's reason.
   */
  write(values: readonly unknown[]): Promise<number>;
  /** Waits for the writes under way, then closes the thread's connection. */
  stop(): Promise<void>;
}

export function startThreadWriter(path: string, sql: string, width: number, busyTimeoutMs: number): ThreadWriter {
  const thread = startSqliteThread(WORKER_SOURCE, { path, sql, width, busyTimeoutMs, autocheckpointPages: SAFETY_NET_PAGES });
  const calls = threadCaller<{ changed?: number }>(thread, "writer", (why) => new ThreadWriterError(why));
  return {
    get broken() {
      return calls.broken;
    },
    write: (values) => calls.call({ values }).then((reply) => reply.changed ?? 0),
    // Messages are handled in order: the writes already posted finish before "stop".
    stop: () => thread.stop(),
  };
}
