// Migration 007 rebuilds SQLite's examples table to drop the 200-character label CHECK: the rows,
// their ids and revisions survive, and ids are still never reused.
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

describe("migration 007 on SQLite", () => {
  it("keeps every example with its id, and new ids continue past deleted ones", async () => {
    dir = mkdtempSync(join(tmpdir(), "apprentice-m007-"));
    const path = join(dir, "old.db");
    const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new SqliteDatabase(path) }) });
    const { error } = await new Migrator({ db, provider: migrationProvider("sqlite") }).migrateTo("006_example_deletions");
    expect(error).toBeUndefined();
    await sql`insert into tasks (name, definition, created_at, updated_at) values ('t', '{}', 1, 1)`.execute(db);
    for (const [i, label] of ["a", "b", "c"].entries()) {
      await sql`insert into examples (task, text, text_hash, label, source, holdout, audited, created_at, updated_at, revision, origin) values ('t', ${`text ${i}`}, ${`hash ${i}`}, ${label}, 'teacher', ${i % 2}, 0, 1, 2, ${i + 1}, 'chat')`.execute(db);
    }
    await sql`delete from examples where label = 'c'`.execute(db);
    await expect(sql`insert into examples (task, text, text_hash, label, source, created_at, updated_at) values ('t', 'x', 'hx', ${"y".repeat(201)}, 'teacher', 1, 1)`.execute(db)).rejects.toThrow(/CHECK/);
    await db.destroy();

    const store = await openStore(path);
    try {
      const rows = await store.examples.all("t");
      expect(rows.map((r) => [r.id, r.text, r.label, r.holdout, r.origin])).toEqual([
        [1, "text 0", "a", false, "chat"],
        [2, "text 1", "b", true, "chat"],
      ]);
      // Revisions kept: what another instance reads by revision range.
      expect((await store.examples.changedSince("t", 1, 2)).map((r) => r.text)).toEqual(["text 1"]);
      await store.examples.addMany("t", [{ text: "long", label: "y".repeat(5000), source: "teacher" }]);
      const long = await store.examples.get("t", "long");
      expect(long?.id).toBe(4);
      expect(long?.label).toHaveLength(5000);
    } finally {
      await store.close();
    }
  });
});
