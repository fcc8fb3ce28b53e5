import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { sql } from "kysely";
import { afterAll, describe, expect, it } from "vitest";
import { openStore, StoreMigrationError, StoreOpenError } from "../../src/store/index.js";
import { SAFETY_NET_PAGES } from "../../src/store/sqlite-checkpointer.js";
import { SqliteDatabase as Database } from "../../src/store/sqlite-driver.js";
import { storeSuite } from "./store-suite.js";
import { taskRenameSuite } from "./task-rename-suite.js";
import { sqliteFileTarget, sqliteMemoryTarget } from "./targets.js";

storeSuite(sqliteFileTarget());
storeSuite(sqliteMemoryTarget());
taskRenameSuite(sqliteFileTarget());
taskRenameSuite(sqliteMemoryTarget());

describe("SQLite specifics", () => {
  const dir = mkdtempSync(join(tmpdir(), "apprentice-sqlite-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("checkpoints the write-ahead log from another thread, and removes it on close", async () => {
    const path = join(dir, "checkpoints.db");
    const store = await openStore(path);
    const rows = Array.from({ length: 20_000 }, (_, i) => ({ id: `r${i}`, task: "t", input: `a request text long enough to fill pages ${i}`, label: "a", source: "specialist" as const, latency_ms: 1, status: "ok" as const }));
    await store.requests.insertMany(rows);
    // Several MB of log, well under the store connection's own threshold (SAFETY_NET_PAGES pages):
    // only the background checkpointer copies it into the database file.
    const walPages = statSync(`${path}-wal`).size / 4096;
    expect(walPages).toBeGreaterThan(500);
    expect(walPages).toBeLessThan(SAFETY_NET_PAGES);
    const dbBytes = statSync(path).size;
    const deadline = Date.now() + 10_000;
    while (statSync(path).size <= dbBytes + 1_000_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(statSync(path).size).toBeGreaterThan(dbBytes + 1_000_000);
    await store.close();
    expect(existsSync(`${path}-wal`)).toBe(false);
    const again = await openStore(path);
    expect((await again.requests.stats("t")).requests).toBe(20_000);
    await again.close();
  });

  it("opens a file in WAL mode with foreign keys on and a busy timeout", async () => {
    const path = join(dir, "pragmas.db");
    const store = await openStore(path, { busyTimeoutMs: 1234 });
    try {
      const pragma = async (name: string) => {
        const { rows } = await sql.raw<Record<string, unknown>>(`pragma ${name}`).execute(store.db);
        return Object.values(rows[0])[0];
      };
      expect(await pragma("journal_mode")).toBe("wal");
      expect(await pragma("foreign_keys")).toBe(1);
      expect(await pragma("busy_timeout")).toBe(1234);
      expect(await pragma("wal_autocheckpoint")).toBe(SAFETY_NET_PAGES);
      expect(store.location).toBe(`sqlite:${path}`);
    } finally {
      await store.close();
    }
    // sqlite:PATH names the same file.
    const again = await openStore(`sqlite:${path}`);
    await again.close();
  });

  it("names the file it cannot open", async () => {
    const missing = join(dir, "no-such-folder", "x.db");
    await expect(openStore(missing)).rejects.toThrow(StoreOpenError);
    await expect(openStore(missing)).rejects.toThrow(`cannot open the SQLite database ${missing}`);
    const notADatabase = join(dir, "not-a-db.txt");
    writeFileSync(notADatabase, "this is not a database, just text that is long enough to have a header".repeat(20));
    await expect(openStore(notADatabase)).rejects.toThrow(/cannot open the SQLite database .*not-a-db\.txt: file is not a database/);
  });

  it("applies a migration fully or not at all", async () => {
    const path = join(dir, "half-migrated.db");
    // A file with a table in the way: migration 001 fails when it reaches it.
    const raw = new Database(path);
    raw.exec("create table model_versions (x integer)");
    raw.close();
    const err = await openStore(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreMigrationError);
    expect((err as Error).message).toMatch(/^cannot migrate sqlite:.*half-migrated\.db \(migration 001_initial\): .*model_versions/);
    const check = new Database(path, { readonly: true });
    const tables = check.prepare("select name from sqlite_master where type = 'table' order by name").all() as { name: string }[];
    check.close();
    // The tables created before the failure were rolled back with it.
    expect(tables.map((t) => t.name).filter((n) => !n.startsWith("kysely_") && !n.startsWith("sqlite_"))).toEqual(["model_versions"]);
  });

  it("without a URL uses ./.apprentice/apprentice.db, creating the folder", () => {
    const cwd = join(dir, "cwd");
    mkdirSync(cwd, { recursive: true });
    const storeModule = new URL("../../src/store/index.ts", import.meta.url).href;
    const script = `const { openStore } = await import(${JSON.stringify(storeModule)});
const s = await openStore();
await s.tasks.list();
console.log(s.location);
await s.close();`;
    // A child process, so the relative default path resolves in a folder of our own.
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
    const result = spawnSync(process.execPath, ["--import", tsx, "--input-type=module", "-e", script], { cwd, encoding: "utf8" });
    expect(result.stderr).toBe("");
    expect(result.stdout.trim()).toBe("sqlite:./.apprentice/apprentice.db");
    expect(existsSync(join(cwd, ".apprentice", "apprentice.db"))).toBe(true);
  });
});

