// `apprentice serve --workers 2` as a real process tree: two gateway processes share the port,
// stay coherent through the database, a killed worker is replaced, and SIGTERM stops them all.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { childPids } from "../../bench/lib/proc.js";
import { runCli } from "../helpers/run-cli.js";
import { GOLD, taskBody } from "./helpers.js";

const BIN = fileURLToPath(new URL("../../bin/apprentice.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "apprentice-cluster-"));
const db = join(dir, "gw.db");

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One request on a new connection (no keep-alive), so the primary hands it to the next worker. */
function freshRequest(url: string, method: string, path: string, key: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = httpRequest(`${url}${path}`, { method, agent: false, headers: { authorization: `Bearer ${key}`, ...(payload ? { "content-type": "application/json" } : {}) } }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (s: string) => (text += s));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text === "" ? null : JSON.parse(text) }));
    });
    req.on("error", reject);
    req.end(payload);
  });
}

/** apprentice_predictions_total for the task "shared" and source "specialist", from one scrape on a new connection. */
function specialistPredictions(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    httpRequest(`${url}/metrics`, { agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (s: string) => (text += s));
      res.on("end", () => {
        const m = /^apprentice_predictions_total\{task="shared",source="specialist"\} (\d+)$/m.exec(text);
        if (res.statusCode !== 200 || m === null) reject(new Error(`/metrics: HTTP ${res.statusCode}, no specialist prediction count in ${text.slice(0, 300)}`));
        else resolve(Number(m[1]));
      });
    })
      .on("error", reject)
      .end();
  });
}

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("apprentice serve --workers", () => {
  it("refuses a worker count that is not a positive integer", async () => {
    const run = await runCli(dir, "serve", "--workers", "0", "--db", db);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--workers must be an integer 1-256 or "auto", got "0"/);
  });

  it("stops with exit code 1 and the reason when the workers cannot start", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      const run = await runCli(dir, "serve", "--port", String(port), "--db", db, "--workers", "2");
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(new RegExp(`worker \\d+: .*EADDRINUSE 127\\.0\\.0\\.1:${port}`));
      expect(run.stderr).toContain("before the gateway listened; stopping");
    } finally {
      taken.close();
    }
  });

  it("bootstraps once, runs two coherent workers on one port, replaces a killed one and stops on SIGTERM", async () => {
    const key = (await runCli(dir, "keys", "create", "--role", "admin", "--db", db)).stdout.trim();
    // A real serve builds each task's teacher from the declared one it names: an OpenAI-compatible one that is
    // never called here (imports, retrains and specialist-routed predictions do not need it).
    const teachers = { llm: { provider: "openai", base_url: "http://127.0.0.1:9/v1", api_key_env: "CLUSTER_TEST_TEACHER_KEY", max_retries: 0 } };
    const csv = (x: string) => `"${x.replaceAll('"', '""')}"`;
    writeFileSync(join(dir, "examples.csv"), ["text,label", ...GOLD.slice(0, 300).map((e) => `${csv(e.text)},${csv(e.label)}`)].join("\n") + "\n");
    writeFileSync(join(dir, "apprentice.json"), JSON.stringify({ teachers, tasks: [{ task: taskBody("shared", { teacher: { name: "llm" } }), examples: "examples.csv" }] }));
    const child = spawn(process.execPath, [BIN, "serve", "--port", "0", "--db", db, "--workers", "2", "--config", "apprentice.json"], { cwd: dir, env: { ...process.env, NO_COLOR: "1", CLUSTER_TEST_TEACHER_KEY: "sk-unused" } });
    let stderr = "";
    child.stdout.resume();
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.setEncoding("utf8").on("data", (s: string) => {
        stderr += s;
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+) \(.*2 worker processes\)/.exec(stderr);
        if (m) resolve(m[1]);
      });
      child.on("exit", (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const pid = child.pid!;
    let workers: number[] = [];
    try {
      await until("two workers", () => childPids(pid).length === 2);

      // The primary applied the configuration, once, before any worker started.
      expect(stderr.match(/created task shared with 300 examples/g)).toHaveLength(1);
      expect(((await freshRequest(url, "GET", "/v1/tasks/shared", key)).body as { cascade: { examples: number } }).cascade.examples).toBe(300);
      const trained = await freshRequest(url, "POST", "/v1/tasks/shared/retrain", key);
      expect(trained.status).toBe(200);
      // Every worker serves a promoted model within a sync or two, whichever of them trained it.
      await until("both workers serving the promoted model", async () => {
        const promoted = ((await freshRequest(url, "GET", "/v1/tasks/shared/models", key)).body as { promoted: number | null }).promoted;
        const answers = await Promise.all([0, 1, 2, 3].map((i) => freshRequest(url, "POST", "/v1/tasks/shared/predict", key, { input: GOLD[i].text, route: "specialist" })));
        return promoted !== null && answers.every((a) => a.status === 200 && (a.body as { model_version: number }).model_version === promoted);
      });

      const [victim] = childPids(pid);
      process.kill(victim, "SIGKILL");
      await until("a replacement worker", () => {
        const now = childPids(pid);
        return now.length === 2 && !now.includes(victim);
      });
      expect(stderr).toContain(`worker ${victim} exited (SIGKILL); starting another`);
      await until("the replacement serving", () => /worker \d+ is serving/.test(stderr));
      const after = await Promise.all([0, 1, 2, 3].map((i) => freshRequest(url, "POST", "/v1/tasks/shared/predict", key, { input: GOLD[i].text, route: "specialist" })));
      expect(after.map((a) => a.status)).toEqual([200, 200, 200, 200]);

      // /metrics counts what every worker served, whichever worker a scrape reaches: six more
      // predictions, spread over both workers, add exactly six. Alone, each worker would count
      // only its own share, and two scrapes would usually reach different workers.
      const before = await specialistPredictions(url);
      for (let i = 0; i < 6; i++) expect((await freshRequest(url, "POST", "/v1/tasks/shared/predict", key, { input: GOLD[i].text, route: "specialist" })).status).toBe(200);
      expect(await specialistPredictions(url)).toBe(before + 6);
      expect(await specialistPredictions(url)).toBe(before + 6);
      workers = childPids(pid);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
    // The primary exits only after its workers did.
    expect(workers).toHaveLength(2);
    for (const w of workers) expect(() => process.kill(w, 0)).toThrow();
    expect(stderr).not.toContain(key);
  }, 60_000);
});
