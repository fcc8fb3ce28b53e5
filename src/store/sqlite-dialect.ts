// Kysely's SQLite dialect with two changes for a database that several processes may open:
// - transactions start with BEGIN IMMEDIATE: the write lock is taken at the start, waiting up to
//   the busy timeout, instead of upgrading a read lock at the first write, which fails at once
//   with SQLITE_BUSY when another process wrote in between (every transaction here writes);
// - DDL is transactional (SQLite supports it; Kysely assumes not), so a migration applies fully or
//   not at all, and two processes opening one file migrate one after the other.
import { CompiledQuery, SqliteAdapter, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver, type DialectAdapter, type SqliteDialectConfig } from "kysely";

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
