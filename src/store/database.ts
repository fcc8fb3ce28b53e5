// Opens the gateway's database: SQLite (embedded, the default) or PostgreSQL (for several gateway
// instances sharing one database), migrates it to the latest schema, and hands out repositories
// that run the same Kysely queries on both.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import { Kysely, Migrator, PostgresDialect } from "kysely";
import pg from "pg";
import { ApiKeyRepository } from "./api-keys.js";
import type { StoreContext, StoreDialect } from "./context.js";
import { StoreMigrationError, StoreOpenError } from "./errors.js";
import { ExampleRepository } from "./examples.js";
import { migrationProvider } from "./migrations/index.js";
import { ModelRepository } from "./models.js";
import { RequestLog } from "./requests.js";
import type { Database } from "./schema.js";
import { SAFETY_NET_PAGES, startCheckpointer, type Checkpointer } from "./sqlite-checkpointer.js";
import { startThreadWriter, type ThreadWriter } from "./sqlite-thread-writer.js";
import { startQueryThread, type QueryThread } from "./sqlite-query-thread.js";
import { cachingStatements, StoreSqliteDialect } from "./sqlite-dialect.js";
import { SqliteDatabase } from "./sqlite-driver.js";
import { TaskRepository } from "./tasks.js";
import { TeacherSpendRepository } from "./teacher-spend.js";

export type { StoreDialect } from "./context.js";

export const DEFAULT_SQLITE_PATH = "./.apprentice/apprentice.db";

export interface StoreOptions {
  /**
   * PostgreSQL only: the schema to use (its tables and the migration tables live there; created
   * if missing). Also accepted as `?schema=NAME` in the URL; this option wins. Default: the
   * server's search_path (usually `public`).
   */
  schema?: string;
  /** PostgreSQL only: the connection pool's size. Default 10. */
  poolMax?: number;
  /** SQLite only: how long a write waits for another process's lock, in ms. Default 5000. */
  busyTimeoutMs?: number;
  /** The clock, epoch milliseconds (for tests). Default `Date.now`. */
  now?: () => number;
}

export interface StoreRepositories {
  readonly tasks: TaskRepository;
  readonly examples: ExampleRepository;
  readonly requests: RequestLog;
  readonly models: ModelRepository;
  readonly apiKeys: ApiKeyRepository;
  readonly teacherSpend: TeacherSpendRepository;
}

export interface Store extends StoreRepositories {
  readonly dialect: StoreDialect;
  /** Where the data is, for messages: `sqlite:PATH` or `postgres://user@host:port/db` (never a password). */
  readonly location: string;
  /** The Kysely instance, for queries the repositories do not offer. */
  readonly db: Kysely<Database>;
  /**
   * Runs `fn` in one transaction: everything it does through `tx` commits together or not at all
   * (the transaction rolls back if `fn` throws). Use `tx`, not the store, inside `fn`: on SQLite
   * the store's single connection is held by the transaction, so a call on the store would wait
   * for ever.
   */
  transaction<T>(fn: (tx: StoreRepositories) => Promise<T>): Promise<T>;
  /** Throws if the database cannot be reached (a health check). */
  ping(): Promise<void>;
  /** Closes the file or the connection pool. The store cannot be used afterwards. */
  close(): Promise<void>;
}

export type StoreTarget =
  | { kind: "sqlite"; path: string }
  | { kind: "postgres"; connectionString: string; host: string; port: number; database: string; user: string; schema: string | undefined };

const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Where a URL points. `undefined` → the default SQLite file; `postgres://` or `postgresql://` →
 * PostgreSQL; `sqlite:PATH`, `:memory:` or a plain path → SQLite.
 */
export function parseStoreUrl(url: string | undefined): StoreTarget {
  if (url === undefined) return { kind: "sqlite", path: DEFAULT_SQLITE_PATH };
  const trimmed = url.trim();
  if (/^postgres(ql)?:\/\//i.test(trimmed)) return parsePostgresUrl(trimmed);
  if (/^sqlite:/i.test(trimmed)) {
    // sqlite:PATH, sqlite://PATH (relative) and sqlite:///abs/path.
    let path = trimmed.slice("sqlite:".length);
    if (path.startsWith("//")) path = path.slice(2);
    if (path === "") throw new StoreOpenError("the SQLite URL has no path: use sqlite:PATH, e.g. sqlite:./data/apprentice.db");
    return { kind: "sqlite", path };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(trimmed);
  if (scheme) throw new StoreOpenError(`unsupported database URL scheme "${scheme[1]}:": use a SQLite path, sqlite:PATH or postgres://…`);
  if (trimmed === "") throw new StoreOpenError("the database URL is empty");
  return { kind: "sqlite", path: trimmed };
}

function parsePostgresUrl(url: string): StoreTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not the URL itself: it may hold a password.
    throw new StoreOpenError("invalid PostgreSQL URL: expected postgres://USER:PASSWORD@HOST:PORT/DATABASE (percent-encode special characters in the password)");
  }
  const schema = parsed.searchParams.get("schema") ?? undefined;
  parsed.searchParams.delete("schema");
  const socketHost = parsed.searchParams.get("host");
  return {
    kind: "postgres",
    connectionString: parsed.toString(),
    host: parsed.hostname || socketHost || "localhost",
    port: parsed.port === "" ? 5432 : Number(parsed.port),
    database: decodeURIComponent(parsed.pathname.replace(/^\//, "")) || decodeURIComponent(parsed.username) || "(default)",
    user: decodeURIComponent(parsed.username) || "(default)",
    schema,
  };
}

/** The URL without its password, e.g. for logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@]*@/, "//$1:***@");
  }
}

/** Opens (and creates if needed) the database at `url`, then applies pending migrations. */
export async function openStore(url?: string, options: StoreOptions = {}): Promise<Store> {
  const target = parseStoreUrl(url);
  const now = options.now ?? Date.now;
  let db: Kysely<Database>;
  let location: string;
  let schema: string | undefined;
  let checkpointer: Checkpointer | undefined;
  if (target.kind === "sqlite") {
    if (url === undefined) mkdirSync(dirname(DEFAULT_SQLITE_PATH), { recursive: true });
    db = openSqlite(target.path, options.busyTimeoutMs ?? 5000);
    location = `sqlite:${target.path}`;
  } else {
    schema = options.schema ?? target.schema;
    if (schema !== undefined && !SCHEMA_PATTERN.test(schema)) {
      throw new StoreOpenError(`invalid PostgreSQL schema name "${schema}": use 1-63 characters a-z, 0-9 and _, not starting with a digit`);
    }
    location = `postgres://${target.user}@${target.host}:${target.port}/${target.database}${schema ? ` (schema ${schema})` : ""}`;
    db = await openPostgres(target, schema, options.poolMax ?? 10);
  }
  const dialect: StoreDialect = target.kind;

  try {
    const migrator = new Migrator({ db, provider: migrationProvider(dialect), ...(schema ? { migrationTableSchema: schema } : {}) });
    const { error, results } = await migrator.migrateToLatest();
    if (error !== undefined) {
      const failed = results?.find((r) => r.status === "Error")?.migrationName;
      const why = describe(error);
      throw new StoreMigrationError(`cannot migrate ${location}${failed ? ` (migration ${failed})` : ""}: ${why}`, { cause: error });
    }
  } catch (err) {
    await db.destroy().catch(() => undefined);
    if (err instanceof StoreMigrationError) throw err;
    throw new StoreMigrationError(`cannot migrate ${location}: ${describe(err)}`, { cause: err });
  }
  const writers = new Map<string, ThreadWriter>();
  let threadWriter: StoreContext["threadWriter"];
  let queryThread: QueryThread | undefined;
  let background: StoreContext["background"];
  if (target.kind === "sqlite" && target.path !== ":memory:") {
    const { path } = target;
    checkpointer = startCheckpointer(path);
    threadWriter = (sql, width) => {
      let writer = writers.get(sql);
      if (writer === undefined) {
        writer = startThreadWriter(path, sql, width, options.busyTimeoutMs ?? 5000);
        writers.set(sql, writer);
      }
      return writer;
    };
    background = (query) => {
      queryThread ??= startQueryThread(path, options.busyTimeoutMs ?? 5000);
      return queryThread.execute(query);
    };
  }

  const repositories = (kysely: Kysely<Database>): StoreRepositories => {
    const ctx: StoreContext = { db: kysely, dialect, now, ...(threadWriter ? { threadWriter } : {}), ...(background ? { background } : {}) };
    return {
      tasks: new TaskRepository(ctx),
      examples: new ExampleRepository(ctx),
      requests: new RequestLog(ctx),
      models: new ModelRepository(ctx),
      apiKeys: new ApiKeyRepository(ctx),
      teacherSpend: new TeacherSpendRepository(ctx),
    };
  };
  let closed: Promise<void> | undefined;
  return {
    dialect,
    location,
    db,
    ...repositories(db),
    transaction: (fn) => db.transaction().execute((trx) => fn(repositories(trx))),
    ping: async () => {
      await db.selectNoFrom((eb) => eb.lit(1).as("one")).execute();
    },
    // Writers first (their writes finish), then the checkpointer: the last connection to close
    // checkpoints the whole log and removes it.
    close: () =>
      (closed ??= Promise.all([...[...writers.values()].map((w) => w.stop()), queryThread?.stop()])
        .then(() => checkpointer?.stop())
        .then(() => db.destroy())),
  };
}

function openSqlite(path: string, busyTimeoutMs: number): Kysely<Database> {
  let raw: BetterSqlite3.Database | undefined;
  try {
    raw = new SqliteDatabase(path, { timeout: busyTimeoutMs });
    // WAL: readers do not block the writer and the writer does not block readers. An in-memory
    // database stays in "memory" mode.
    if (path !== ":memory:") {
      raw.pragma("journal_mode = WAL");
      // Checkpoints run on another thread (sqlite-checkpointer.ts); this connection only past the safety net.
      raw.pragma(`wal_autocheckpoint = ${SAFETY_NET_PAGES}`);
    }
    // With WAL, NORMAL loses no committed data on an application crash, only on power loss.
    raw.pragma("synchronous = NORMAL");
    raw.pragma("foreign_keys = ON");
  } catch (err) {
    raw?.close();
    const why = describe(err);
    throw new StoreOpenError(`cannot open the SQLite database ${path}: ${why}`, { cause: err });
  }
  return new Kysely<Database>({ dialect: new StoreSqliteDialect({ database: cachingStatements(raw) }) });
}

async function openPostgres(target: Extract<StoreTarget, { kind: "postgres" }>, schema: string | undefined, max: number): Promise<Kysely<Database>> {
  const pool = new pg.Pool({
    connectionString: target.connectionString,
    max,
    connectionTimeoutMillis: 10_000,
    // Every connection starts with the schema first in its search path.
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  // An idle connection that drops (server restart, network) is removed from the pool; without a
  // listener the pool's 'error' event would crash the process.
  pool.on("error", () => undefined);
  // A connection that drops while checked out (between a transaction's statements, say) emits
  // 'error' on its client, where the pool does not listen then: without this listener a server
  // restart at the wrong moment crashed the gateway. Its queries fail on their own, and the pool
  // drops a client that is no longer queryable when it is released.
  pool.on("connect", (client) => client.on("error", () => undefined));
  const where = `PostgreSQL at ${target.host}:${target.port} (database "${target.database}", user "${target.user}")`;
  try {
    await pool.query("select 1");
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new StoreOpenError(`cannot connect to ${where}: ${describe(err)}`, { cause: err });
  }
  if (schema !== undefined) {
    try {
      await pool.query(`create schema if not exists "${schema}"`);
    } catch (err) {
      // Two instances creating the schema at once: one loses with a unique violation, harmlessly.
      if ((err as { code?: string }).code !== "23505") {
        await pool.end().catch(() => undefined);
        throw new StoreOpenError(`cannot create schema "${schema}" on ${where}: ${describe(err)}`, { cause: err });
      }
    }
  }
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/** An error's message; node's AggregateError (e.g. ECONNREFUSED on both ::1 and 127.0.0.1) has none. */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if (err.message) return err.message;
  const code = (err as { code?: unknown }).code;
  if (err instanceof AggregateError && err.errors.length > 0) return err.errors.map(describe).join("; ");
  return typeof code === "string" ? code : err.name;
}
