// Background WAL checkpoints for a SQLite file. By default SQLite checkpoints inside the commit
// that pushes the write-ahead log past 1,000 pages: that commit copies the pages into the database
// file and syncs both, on the gateway's event loop. Measured with request-log batches of 70 rows:
// such a commit took 13–18 ms (p99 of commits 13 ms instead of 1 ms), and checkpointing cost 2.9
// µs of each row's 9.9 µs. So the store's own connection only checkpoints as a safety net (past
// SAFETY_NET_PAGES, if this thread stopped), and a worker thread with a connection of its own runs
// a PASSIVE checkpoint every INTERVAL_MS: it copies what it can without waiting for readers or
// the writer, and its syncs block nobody else.
import { startSqliteThread } from "./sqlite-thread.js";

/**
 * How often the worker checkpoints. A page the log's writes keep changing (the tail of the table
 * and of its indexes) is copied once per checkpoint, so rarer checkpoints copy less: with 5,000
 * rows/s written, this thread's CPU per row fell from 3–4 µs every 100 ms to 2 µs every second,
 * while the log between checkpoints stays a few MB.
 */
const INTERVAL_MS = 1000;
/** wal_autocheckpoint for the store's own connection: about 40 MB of log. */
export const SAFETY_NET_PAGES = 10_000;

// Run by startSqliteThread (sqlite-thread.ts).
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.path, { timeout: 0 });
db.pragma("synchronous = NORMAL");
const checkpoint = () => {
  try {
    db.pragma("wal_checkpoint(PASSIVE)");
  } catch {
    // Busy or locked: the next round catches up.
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on("message", () => {
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

export interface Checkpointer {
  /** Checkpoints once more and stops the thread. */
  stop(): Promise<void>;
}

export function startCheckpointer(path: string): Checkpointer {
  // Unreferenced (startSqliteThread): a store that is never closed must not keep its process alive
  // for this thread's sake; if the thread fails, the store's connection checkpoints by itself
  // (SAFETY_NET_PAGES).
  const thread = startSqliteThread(WORKER_SOURCE, { path, intervalMs: INTERVAL_MS });
  return { stop: () => thread.stop() };
}
