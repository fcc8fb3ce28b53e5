// Kysely's SQLite dialect with two changes for a database that several processes may open:
// - transactions start with BEGIN IMMEDIATE: the write lock is taken at the start, waiting up to
//   the busy timeout, instead of upgrading a read lock at the first write, which fails at once
//   with SQLITE_BUSY when another process wrote in between (every transaction here writes);
// - DDL is transactional (SQLite supports it; Kysely assumes not), so a migration applies fully or
//   not at all, and two processes opening one file migrate one after the other;
// - prepared statements are kept and reused (see cachingStatements).
import { CompiledQuery, SqliteAdapter, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver, type DialectAdapter, type SqliteDatabase, type SqliteDialectConfig, type SqliteStatement } from "kysely";

/** Distinct SQL texts kept prepared; the store issues a few dozen, batch inserts a few more. */
const STATEMENT_CACHE_SIZE = 256;

/**
 * Kysely prepares every query anew; on the gateway's hot path (key lookup, request log insert)
 * preparing was a tenth of a request's CPU time. better-sqlite3 statements are reusable as long as
 * they are not iterated concurrently, and the store never streams, so one statement per SQL text
 * is safe. The oldest entry is dropped when the cache is full (Map keeps insertion order).
 */
export function cachingStatements(db: SqliteDatabase): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => {
      cache.clear();
      db.close();
    },
    prepare: (sql: string) => {
      let statement = cache.get(sql);
      if (statement === undefined) {
        statement = db.prepare(sql);
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
        cache.set(sql, statement);
      }
      return statement;
    },
  };
}

class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("begin immediate"));
  }
}

class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

export class StoreSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}
