// What every repository works with: a Kysely instance (the store's, or a transaction's), the
// dialect, and the clock.
import type { CompiledQuery, Kysely, QueryResult } from "kysely";
import type { Database } from "./schema.js";
import type { ThreadWriter } from "./sqlite-thread-writer.js";

export type StoreDialect = "sqlite" | "postgres";

export interface StoreContext {
  readonly db: Kysely<Database>;
  readonly dialect: StoreDialect;
  /** Epoch milliseconds; injectable for tests. */
  readonly now: () => number;
  /**
   * SQLite files only: the writer thread for an INSERT statement of `width` parameters, started
   * on first use and shared by every caller with the same SQL (sqlite-thread-writer.ts).
   */
  readonly threadWriter?: (sql: string, width: number) => ThreadWriter;
  /**
   * SQLite files only: runs a statement on a thread with its own connection (started on first
   * use; sqlite-query-thread.ts), for background work too slow for the event loop.
   */
  readonly background?: <R>(query: CompiledQuery) => Promise<QueryResult<R>>;
}

/** Runs a statement on the background thread when there is one (not inside a transaction), else on `ctx.db`. */
export function executeInBackground<R>(ctx: StoreContext, query: CompiledQuery): Promise<QueryResult<R>> {
  return ctx.background !== undefined && !ctx.db.isTransaction ? ctx.background<R>(query) : ctx.db.executeQuery<R>(query);
}

/**
 * Runs `fn` in a transaction, or directly when `db` already is one (a repository method called
 * inside `Store.transaction` joins it: Kysely transactions do not nest).
 */
export async function inTransaction<T>(db: Kysely<Database>, fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  if (db.isTransaction) return fn(db);
  return db.transaction().execute(fn);
}

/**
 * Takes the write lock for `task` in the current transaction and returns whether the task exists.
 *
 * PostgreSQL: SELECT … FOR NO KEY UPDATE on the task's row, so concurrent writers to the same task
 * (version numbering, promotion, example counts) queue behind each other, across gateway
 * instances too; this lock strength does not block the foreign-key checks of inserts elsewhere.
 * SQLite: the transaction already holds the database's write lock (BEGIN IMMEDIATE, see
 * sqlite-dialect.ts), so a plain read suffices.
 */
export async function lockTask(trx: Kysely<Database>, dialect: StoreDialect, task: string): Promise<boolean> {
  const query = trx.selectFrom("tasks").select("name").where("name", "=", task);
  const row = await (dialect === "postgres" ? query.forNoKeyUpdate() : query).executeTakeFirst();
  return row !== undefined;
}

/** Converts a BIGINT or COUNT/SUM result (a string from node-postgres) to a number. */
export function toNumber(value: number | string | bigint | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === "number" ? value : Number(value);
}

/** Like `toNumber`, but keeps NULL. */
export function toNullableNumber(value: number | string | bigint | null | undefined): number | null {
  return value === null || value === undefined ? null : toNumber(value);
}

/**
 * Rows per multi-row INSERT: the statement's bound parameters must stay under the dialect's limit
 * (SQLite's SQLITE_MAX_VARIABLE_NUMBER, 32766 in better-sqlite3's build; PostgreSQL's protocol
 * limit, 65535), with room for the few parameters outside the VALUES list. PostgreSQL is also
 * capped at 2,000 rows: statements near the parameter limit measured slower per row there.
 */
export function rowsPerInsert(dialect: StoreDialect, columnsPerRow: number): number {
  const limit = dialect === "sqlite" ? 32766 : 65535;
  const byParameters = Math.floor((limit - 64) / columnsPerRow);
  return dialect === "postgres" ? Math.min(byParameters, 2000) : byParameters;
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
