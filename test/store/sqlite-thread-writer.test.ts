import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openStore, RequestLog, type RequestInput } from "../../src/store/index.js";
import { SqliteDatabase as Database } from "../../src/store/sqlite-driver.js";
import { startThreadWriter, ThreadWriterError, type ThreadWriter } from "../../src/store/sqlite-thread-writer.js";

const dir = mkdtempSync(join(tmpdir(), "apprentice-thread-writer-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const row = (id: string): RequestInput => ({ id, task: "t", input: `text ${id}`, label: "a", source: "specialist", latency_ms: 1, status: "ok" });

function tableAt(name: string): string {
  const path = join(dir, name);
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.exec("CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER NOT NULL)");
  db.close();
  return path;
}

describe("the SQLite writer thread", () => {
  it("runs the statement once per row, in one transaction, and reports the rows changed", async () => {
    const path = tableAt("plain.db");
    const writer = startThreadWriter(path, "INSERT INTO t (id, n) VALUES (?, ?) ON CONFLICT (id) DO NOTHING", 2, 1000);
    expect(await writer.write(["a", 1, "b", 2, "a", 3])).toBe(2);
    await writer.stop();
    const db = new Database(path, { readonly: true });
    expect(db.prepare("SELECT id, n FROM t ORDER BY id").all()).toEqual([
      { id: "a", n: 1 },
      { id: "b", n: 2 },
    ]);
    db.close();
  });

  it("writes nothing of a batch with a bad row and names the database's reason", async () => {
    const path = tableAt("bad.db");
    const writer = startThreadWriter(path, "INSERT INTO t (id, n) VALUES (?, ?)", 2, 1000);
    const err = await writer.write(["a", 1, "b", null]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ThreadWriterError);
    expect((err as Error).message).toMatch(/NOT NULL constraint failed: t\.n/);
    // The thread is still usable after a failed batch.
    expect(writer.broken).toBe(false);
    expect(await writer.write(["c", 3])).toBe(1);
    await writer.stop();
    const db = new Database(path, { readonly: true });
    expect(db.prepare("SELECT id FROM t").pluck().all()).toEqual(["c"]);
    db.close();
    await expect(writer.write(["d", 4])).rejects.toThrow(/not running/);
  });

  it("turns broken, rejecting writes, when its thread cannot open the database", async () => {
    const writer = startThreadWriter(join(dir, "no-such-folder", "x.db"), "INSERT INTO t (id, n) VALUES (?, ?)", 2, 1000);
    await expect(writer.write(["a", 1])).rejects.toThrow(ThreadWriterError);
    expect(writer.broken).toBe(true);
    await writer.stop();
  });
});

describe("the request log of a SQLite file", () => {
  it("waits for a database another connection holds locked without blocking the event loop", async () => {
    const path = join(dir, "locked.db");
    const store = await openStore(path);
    const other = new Database(path, { timeout: 0 });
    other.exec("BEGIN IMMEDIATE");
    try {
      const written = store.requests.insertMany([row("r1"), row("r2")]);
      // The write lock is held: on the event loop, SQLite's busy handler would sleep here until it
      // timed out (5 s) and this timer would fire late; on the writer thread it fires on time.
      const firedAfter = await new Promise<number>((resolve) => {
        const t0 = performance.now();
        setTimeout(() => resolve(performance.now() - t0), 20);
      });
      expect(firedAfter).toBeLessThan(1000);
      expect(await store.requests.get("r1")).toBeNull();
      other.exec("COMMIT");
      expect(await written).toEqual({ inserted: 2 });
      expect((await store.requests.get("r2"))?.input).toBe("text r2");
    } finally {
      other.close();
      await store.close();
    }
  });

  it("writes on the store's own connection once the thread has failed", async () => {
    const store = await openStore(join(dir, "fallback.db"));
    const broken: ThreadWriter = { broken: true, write: () => Promise.reject(new Error("must not be called")), stop: async () => {} };
    const log = new RequestLog({ db: store.db, dialect: "sqlite", now: Date.now, threadWriter: () => broken });
    expect(await log.insertMany([row("f1"), row("f2")])).toEqual({ inserted: 2 });
    expect((await store.requests.get("f1"))?.label).toBe("a");
    await store.close();
  });
});
