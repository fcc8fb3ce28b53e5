// A worker thread with a SQLite connection of its own (the WAL checkpointer, the request-log
// writer): started from plain JavaScript source, unreferenced so that an idle one never keeps its
// process alive, and stopped by a "stop" message that its source handles by closing its connection.
import { Worker } from "node:worker_threads";
import { sqliteDriverPath } from "./sqlite-driver.js";

export interface SqliteThread {
  readonly worker: Worker;
  /** Resolves when the thread has exited, for whatever reason. */
  readonly exited: Promise<void>;
  /** Whether stop() was called. */
  readonly stopping: boolean;
  /** Asks the thread to finish (messages already posted are handled first) and resolves once it exited. */
  stop(): Promise<void>;
}

/**
 * Starts `source` (CommonJS, no TypeScript loader in the worker) with `workerData` plus `driver`,
 * the resolved path of the better-sqlite3 build this Node line uses (sqlite-driver.ts). Errors of
 * the thread end it; `exited` tells when.
 */
export function startSqliteThread(source: string, workerData: Record<string, unknown>): SqliteThread {
  const worker = new Worker(source, { eval: true, workerData: { ...workerData, driver: sqliteDriverPath } });
  worker.unref();
  worker.on("error", () => undefined);
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  let stopped: Promise<void> | undefined;
  return {
    worker,
    exited,
    get stopping() {
      return stopped !== undefined;
    },
    stop() {
      if (stopped === undefined) {
        // Keep the process alive until the thread has closed its connection.
        worker.ref();
        worker.postMessage("stop");
        stopped = exited;
      }
      return stopped;
    },
  };
}
