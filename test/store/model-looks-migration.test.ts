// Migration 009 counts threshold looks per model version: versions that served were looked at
// once at least (their promotion), the others never.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kysely, Migrator, SqliteDialect, sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/index.js";
import { migrationProvider } from "../../src/store/migrations/index.js";
import { SqliteDatabase } from "../../src/store/sqlite-driver.js";

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("migration 009 on SQLite", () => {
  it("gives versions that served one look and the others none", async () => {
    dir = mkdtempSync(join(tmpdir(), "apprentice-m009-"));
    const path = join(dir, "old.db");
    const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new SqliteDatabase(path) }) });
    const { error } = await new Migrator({ db, provider: migrationProvider("sqlite") }).migrateTo("008_shadow");
    expect(error).toBeUndefined();
    await sql`insert into tasks (name, definition, created_at, updated_at) values ('t', '{}', 1, 1)`.execute(db);
    for (const [version, status] of ["retired", "promoted", "candidate", "rejected"].entries()) {
      await sql`insert into model_versions (task, version, artifact, metrics, threshold, status, created_at) values ('t', ${version + 1}, ${Buffer.from([version])}, '{}', null, ${status}, 1)`.execute(db);
    }
    await db.destroy();

    const store = await openStore(path);
    try {
      expect((await store.models.list("t")).map((m) => [m.version, m.status, m.looks])).toEqual([
        [4, "rejected", 0],
        [3, "candidate", 0],
        [2, "promoted", 1],
        [1, "retired", 1],
      ]);
      expect(await store.models.addLooks("t", 2, 1, 0.9)).toBe(1);
    } finally {
      await store.close();
    }
  });
});
