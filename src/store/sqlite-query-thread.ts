// Statements run on a thread with a SQLite connection of its own, for background work whose
// statements take longer than a request may wait: request-log retention (deleting thousands of
// rows, walking an index to find where a task's cap falls) measured 35-290 ms per statement on a
// log of a million rows, all of it on the event loop if run on the store's own connection. Here
// the event loop only posts the SQL (compiled by Kysely for the SQLite dialect) and its parameters.
import type { CompiledQuery, QueryResult } from "kysely";
import { startSqliteThread, threadCaller } from "./sqlite-thread.js";

// Run by startSqliteThread (sqlite-thread.ts).
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.path, { timeout: workerData.busyTimeoutMs });
db.pragma("synchronous = NORMAL");
db.pragma("foreign_keys = ON");
const statements = new Map();
parentPort.on("message", (m) => {
  if (m === "stop") {
    db.close();
    parentPort.close();
    return;
  }
  try {
    let statement = statements.get(m.sql);
    if (statement === undefined) {
      statement = db.prepare(m.sql);
      statements.set(m.sql, statement);
    }
    if (statement.reader) parentPort.postMessage({ id: m.id, rows: statement.all(m.parameters) });
    else parentPort.postMessage({ id: m.id, rows: [], changes: statement.run(m.parameters).changes });
  } catch (err) {
    parentPort.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err) });
  }
});
`;

export class QueryThreadError extends Error {
  override name = "QueryThreadError";
}

export interface QueryThread {
  /** Runs one statement (its own transaction) on the thread's connection. */
  execute<R>(query: CompiledQuery): Promise<QueryResult<R>>;
  /** Waits for the statements under way, then closes the thread's connection. */
  stop(): Promise<void>;
}

export function startQueryThread(path: string, busyTimeoutMs: number): QueryThread {
  const thread = startSqliteThread(WORKER_SOURCE, { path, busyTimeoutMs });
  const calls = threadCaller<{ rows: unknown[]; changes?: number }>(thread, "query", (why) => new QueryThreadError(why));
  return {
    async execute<R>(query: CompiledQuery): Promise<QueryResult<R>> {
      const reply = await calls.call({ sql: query.sql, parameters: query.parameters });
      return { rows: reply.rows as R[], ...(reply.changes === undefined ? {} : { numAffectedRows: BigInt(reply.changes) }) };
    },
    stop: () => thread.stop(),
  };
}
