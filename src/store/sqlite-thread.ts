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

/** Calls answered by a thread: each message carries an id, and the thread replies with it. */
export interface ThreadCaller<R> {
  /** True once the thread has failed or exited: call() would reject. */
  readonly broken: boolean;
  /** Posts `{ id, ...message }`; resolves with the reply of that id, or rejects with its `error`. */
  call(message: Record<string, unknown>): Promise<R>;
}

/**
 * The request-reply protocol of a thread whose source answers `{ id, ...result }` or
 * `{ id, error }`. The thread is referenced only while a call is under way (its caller waits for
 * the answer); its failure or exit rejects every call outstanding with `fail(reason)`.
 */
export function threadCaller<R>(thread: SqliteThread, what: string, fail: (reason: string) => Error): ThreadCaller<R> {
  const { worker } = thread;
  const pending = new Map<number, { resolve: (reply: R) => void; reject: (err: Error) => void }>();
  let nextId = 0;
  let broken = false;
  const breakDown = (why: string) => {
    broken = true;
    for (const p of pending.values()) p.reject(fail(why));
    pending.clear();
  };
  worker.on("message", (m: { id: number; error?: string }) => {
    const p = pending.get(m.id);
    if (p === undefined) return;
    pending.delete(m.id);
    if (pending.size === 0) worker.unref();
    if (m.error === undefined) p.resolve(m as R);
    else p.reject(fail(m.error));
  });
  worker.on("error", (err) => breakDown(`the SQLite ${what} thread failed: ${err.message}`));
  void thread.exited.then(() => breakDown(`the SQLite ${what} thread has exited`));
  return {
    get broken() {
      return broken;
    },
    call(message) {
      if (broken || thread.stopping) return Promise.reject(fail(`the SQLite ${what} thread is not running`));
      const id = nextId++;
      return new Promise<R>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.ref();
        worker.postMessage({ ...message, id });
      });
    },
  };
}
