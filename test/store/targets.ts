// The databases the shared store suite runs against. Each `fresh()` is an empty database of its
// own: a new SQLite file, a new in-memory database, or a new PostgreSQL schema (so test files and
// tests never see each other's rows and can run in parallel against one server).
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { openStore, type Store, type StoreOptions } from "../../src/store/index.js";

export interface Location {
  /** Opens (again) the same database. */
  open(options?: StoreOptions): Promise<Store>;
  /** Drops the database; call after closing every store opened on it. */
  cleanup(): Promise<void>;
}

export interface StoreTarget {
  name: string;
  /** Whether closing and reopening keeps the data (false for :memory:). */
  persistent: boolean;
  fresh(): Promise<Location>;
  /** Called once after the suite. */
  dispose(): Promise<void>;
}

export function sqliteFileTarget(): StoreTarget {
  const dir = mkdtempSync(join(tmpdir(), "apprentice-store-"));
  let n = 0;
  return {
    name: "SQLite file",
    persistent: true,
    async fresh() {
      const path = join(dir, `db-${++n}.sqlite`);
      return {
        open: (options) => openStore(`sqlite:${path}`, options),
        async cleanup() {
          for (const suffix of ["", "-wal", "-shm"]) rmSync(path + suffix, { force: true });
        },
      };
    },
    async dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function sqliteMemoryTarget(): StoreTarget {
  return {
    name: "SQLite :memory:",
    persistent: false,
    async fresh() {
      return { open: (options) => openStore(":memory:", options), cleanup: async () => undefined };
    },
    async dispose() {},
  };
}

/** A schema per `fresh()`, named after this process and a random suffix; dropped on cleanup. */
export function postgresTarget(url: string): StoreTarget {
  const admin = new pg.Pool({ connectionString: url, max: 2 });
  admin.on("error", () => undefined);
  const run = `apx_test_${process.pid}_${randomBytes(3).toString("hex")}`;
  let n = 0;
  return {
    name: "PostgreSQL",
    persistent: true,
    async fresh() {
      const schema = `${run}_${++n}`;
      return {
        open: (options) => openStore(url, { schema, ...options }),
        async cleanup() {
          await admin.query(`drop schema if exists "${schema}" cascade`);
        },
      };
    },
    async dispose() {
      await admin.end();
    },
  };
}

export const PG_URL_VARIABLE = "APPRENTICE_TEST_PG_URL";
