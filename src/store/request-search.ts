// One task's request log as pages, newest first, filtered: what the dashboard's Requests page
// lists. Keyset pagination on (created_at, id), the (task, created_at) index's order, so a page
// deep in a million-row log costs what the first one does (an OFFSET would walk every row before it).
import { sql, type Kysely, type RawBuilder, type Selectable, type SqlBool } from "kysely";
import { StoreError } from "./errors.js";
import { REQUEST_SOURCES, type Database, type RequestSource, type RequestsTable } from "./schema.js";

export interface RequestFilter {
  source?: RequestSource;
  /** The label answered. */
  label?: string;
  /** Epoch milliseconds: since ≤ created_at < until. */
  since?: number;
  until?: number;
  /** A substring of the input, case-insensitive (ASCII letters only on SQLite). Never matches a hashed input. */
  text?: string;
}

/** Where a page starts: just after (older than) this row. */
export interface RequestCursor {
  created_at: number;
  id: string;
}

/** `text` as a LIKE pattern matching it anywhere, its own `%`, `_` and `\` taken literally. */
function containsPattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** `column` contains `text`, case-insensitive (ASCII letters only on SQLite, whose lower() folds nothing else). */
export function containsText(column: string, text: string): RawBuilder<SqlBool> {
  // An explicit ESCAPE: SQLite has no default escape character.
  return sql<SqlBool>`lower(${sql.ref(column)}) like ${containsPattern(text)} escape '\\'`;
}

/** Up to `limit` rows of the task matching `filter`, older than `after`, newest first (RequestLog.search). */
export async function searchRows(db: Kysely<Database>, task: string, filter: RequestFilter, limit: number, after: RequestCursor | null): Promise<Selectable<RequestsTable>[]> {
  if (filter.source !== undefined && !REQUEST_SOURCES.includes(filter.source)) throw new StoreError(`source ${JSON.stringify(filter.source)} is not one of ${REQUEST_SOURCES.join(", ")}`);
  let query = db.selectFrom("requests").selectAll().where("task", "=", task);
  if (filter.source !== undefined) query = query.where("source", "=", filter.source);
  if (filter.label !== undefined) query = query.where("label", "=", filter.label);
  if (filter.since !== undefined) query = query.where("created_at", ">=", filter.since);
  if (filter.until !== undefined) query = query.where("created_at", "<", filter.until);
  if (filter.text !== undefined && filter.text !== "") {
    query = query.where(containsText("input", filter.text));
  }
  if (after !== null) {
    query = query.where((eb) => eb.or([eb("created_at", "<", after.created_at), eb.and([eb("created_at", "=", after.created_at), eb("id", "<", after.id)])]));
  }
  return query.orderBy("created_at", "desc").orderBy("id", "desc").limit(limit).execute();
}
