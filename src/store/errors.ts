// Errors the store throws on purpose. Each message is one line meant for the user and names what
// went wrong (which file, which server, which task); none ever contains a password.

/** Base class: anything the store reports deliberately. */
export class StoreError extends Error {
  override name = "StoreError";
}

/** The database cannot be opened or reached (missing folder, not a database, connection refused, bad URL). */
export class StoreOpenError extends StoreError {
  override name = "StoreOpenError";
}

/** A migration failed; the store was not opened. */
export class StoreMigrationError extends StoreError {
  override name = "StoreMigrationError";
}

/** Something with the same key exists already (a task name, a request id). */
export class StoreConflictError extends StoreError {
  override name = "StoreConflictError";
}

/** What the call refers to does not exist (a task, a model version, nothing to roll back to). */
export class StoreNotFoundError extends StoreError {
  override name = "StoreNotFoundError";
}

/** A unique or primary-key violation, as either driver reports it. */
export function isUniqueViolation(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const code = (err as { code?: unknown }).code;
  // PostgreSQL: SQLSTATE 23505 unique_violation. better-sqlite3: extended result codes.
  return code === "23505" || code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}
