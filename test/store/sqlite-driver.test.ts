// The SQLite driver on every maintained Node line. better-sqlite3 12 aborted Node 24 whenever the
// garbage collector freed one of its statements or databases (sqlite-driver.ts): the store opened
// and closed in a worker thread, or plain statement churn, killed the process with SIGABRT. These
// run in a child process of the same Node (CI runs the suite on Node 20 and Node 24), so an abort
// fails the test instead of the test runner.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { sqliteDriverPackage, sqliteDriverPath } from "../../src/store/sqlite-driver.js";

const dir = mkdtempSync(join(tmpdir(), "apprentice-sqlite-driver-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The ESM entry (as train-worker.ts resolves it): Node 20 cannot load the CommonJS one from a worker.
const tsxApi = import.meta.resolve("tsx/esm/api");
const storeModule = new URL("../../src/store/index.ts", import.meta.url).href;
const driverModule = new URL("../../src/store/sqlite-driver.ts", import.meta.url).href;

/**
 * Opens a store on `path` (its checkpointer and writer threads start), logs requests through the
 * writer, reads them back, closes it, then prepares and drops statements and whole databases and
 * allocates until the collector frees better-sqlite3's wrappers.
 */
const USE_AND_DROP = `async function useAndDrop(path, who) {
  const { register } = await import(${JSON.stringify(tsxApi)});
  register();
  const { openStore } = await import(${JSON.stringify(storeModule)});
  const { SqliteDatabase } = await import(${JSON.stringify(driverModule)});
  const store = await openStore(path);
  const rows = Array.from({ length: 300 }, (_, i) => ({ id: who + i, task: "t", input: "text " + i, label: "a", source: "specialist", latency_ms: 1, status: "ok" }));
  await store.requests.insertMany(rows);
  const { requests } = await store.requests.stats("t");
  await store.close();
  for (let d = 0; d < 10; d++) {
    const db = new SqliteDatabase(":memory:");
    for (let i = 0; i < 200; i++) db.prepare("select " + i).get();
    db.pragma("user_version");
    db.close();
  }
  // Allocation, not gc(): a collection that allocation triggers frees the wrappers from V8's weak
  // callbacks with no Node environment current, which is what aborted (gc() called from
  // JavaScript runs them inside one).
  let garbage = [];
  for (let i = 0; i < 300000; i++) garbage.push({ i });
  garbage = null;
  return requests;
}`;

/** Runs `body` (CommonJS, with useAndDrop in scope) in a child process. */
function runChild(body: string): { status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ["-e", `${USE_AND_DROP}\n${body}`], { cwd: dir, encoding: "utf8", timeout: 50_000 });
  return { status: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
}

describe("the SQLite driver", () => {
  it("is the Node-API build from Node 22 on and the ObjectWrap build only on Node 20", () => {
    expect(sqliteDriverPackage(20)).toBe("better-sqlite3-node20");
    for (const major of [22, 24, 26]) expect(sqliteDriverPackage(major)).toBe("better-sqlite3");
    expect(sqliteDriverPath).toContain(`${sqliteDriverPackage(Number(process.versions.node.split(".")[0]))}/`);
  });

  it(`survives a worker thread that opens the store, uses it and ends (Node ${process.versions.node})`, () => {
    const { status, signal, stdout, stderr } = runChild(`
const { Worker, isMainThread, parentPort, workerData } = require("node:worker_threads");
const worker = new Worker(useAndDrop.toString() + "\\nuseAndDrop(require('node:worker_threads').workerData.path, 'w').then((n) => require('node:worker_threads').parentPort.postMessage(n));", { eval: true, workerData: { path: ${JSON.stringify(join(dir, "worker.db"))} } });
let logged;
worker.on("message", (n) => { logged = n; });
worker.on("exit", async (code) => {
  const again = await useAndDrop(${JSON.stringify(join(dir, "main.db"))}, "m");
  console.log(JSON.stringify({ code, logged, again }));
});`);
    expect({ signal, stderr }).toEqual({ signal: null, stderr: "" });
    expect(status).toBe(0);
    expect(JSON.parse(stdout.trim())).toEqual({ code: 0, logged: 300, again: 300 });
  });
});
