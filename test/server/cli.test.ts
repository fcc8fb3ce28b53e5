// `apprentice keys create` and `apprentice serve` as real processes: a key printed once works
// against the served gateway, and SIGTERM closes it cleanly.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/run-cli.js";

const BIN = fileURLToPath(new URL("../../bin/apprentice.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "apprentice-cli-server-"));
const db = join(dir, "gw.db");

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("apprentice keys and serve", () => {
  it("creates keys, serves on port 0 and shuts down on SIGTERM", async () => {
    const created = await runCli(dir, "keys", "create", "--role", "admin", "--name", "ops", "--db", db);
    expect(created.code).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^apx_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).not.toContain(key);

    const bad = await runCli(dir, "keys", "create", "--role", "root", "--db", db);
    expect(bad.code).toBe(2);

    const listed = await runCli(dir, "keys", "list", "--db", db);
    expect(listed.stdout).toContain('"name":"ops"');
    expect(listed.stdout).not.toContain(key);

    const child = spawn(process.execPath, [BIN, "serve", "--port", "0", "--db", db], { cwd: dir, env: { ...process.env, NO_COLOR: "1" } });
    let stderr = "";
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.setEncoding("utf8").on("data", (s: string) => {
        stderr += s;
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
        if (m) resolve(m[1]);
      });
      child.on("exit", (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect((await fetch(`${url}/v1/tasks`)).status).toBe(401);
      const ok = await fetch(`${url}/v1/tasks`, { headers: { authorization: `Bearer ${key}` } });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ data: [] });
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
    expect(stdout + stderr).not.toContain(key);
  });
});
