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
import { startSqliteThread } from "./sqlite-thread.js";

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

interface Pending {
  resolve: (changed: number) => void;
  reject: (err: Error) => void;
}

export function startThreadWriter(path: string, sql: string, width: number, busyTimeoutMs: number): ThreadWriter {
  const thread = startSqliteThread(WORKER_SOURCE, { path, sql, width, busyTimeoutMs, autocheckpointPages: SAFETY_NET_PAGES });
  const { worker } = thread;
  const pending = new Map<number, Pending>();
  let nextId = 0;
  let broken = false;
  const fail = (why: string) => {
    broken = true;
    for (const p of pending.values()) p.reject(new ThreadWriterError(why));
    pending.clear();
  };
  worker.on("message", (m: { id: number; changed?: number; error?: string }) => {
    const p = pending.get(m.id);
    if (p === undefined) return;
    pending.delete(m.id);
    // Referenced only while a write is under way: its caller is waiting for the answer.
    if (pending.size === 0) worker.unref();
    if (m.error === undefined) p.resolve(m.changed ?? 0);
    else p.reject(new ThreadWriterError(m.error));
  });
  worker.on("error", (err) => fail(`the SQLite writer thread failed: ${err.message}`));
  void thread.exited.then(() => fail("the SQLite writer thread has exited"));
  return {
    get broken() {
      return broken;
    },
    write(values) {
      if (broken || thread.stopping) return Promise.reject(new ThreadWriterError("the SQLite writer thread is not running"));
      const id = nextId++;
      return new Promise<number>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.ref();
        worker.postMessage({ id, values });
      });
    },
    // Messages are handled in order: the writes already posted finish before "stop".
    stop: () => thread.stop(),
  };
}
