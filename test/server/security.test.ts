// Security properties beyond the auth matrix: CORS off by default and exact when configured,
// hostile strings stored or refused as data (never run as SQL or used as paths), and secrets kept
// out of responses and logs when the upstream fails.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type Gateway } from "../../src/server/start.js";
import { openStore } from "../../src/store/index.js";
import { SimulatedTeacher } from "../../src/teacher/index.js";

const dir = mkdtempSync(join(tmpdir(), "apprentice-security-"));
const ALLOWED = "https://support.example.com";
const UPSTREAM_SECRET = "sk-upstream-" + "s".repeat(32);
const HOSTILE_LABELS = ["'; DROP TABLE examples; --", "../../etc/passwd", "a\" OR \"1\"=\"1", "%00<script>"];

let logged = "";
let plain: Gateway;
let withCors: Gateway;
let adminKey: string;

async function start(name: string, extra: Partial<Parameters<typeof startGateway>[0]>): Promise<Gateway> {
  const store = await openStore(join(dir, `${name}.db`));
  const teacher = new SimulatedTeacher({ labels: HOSTILE_LABELS, gold: [], accuracy: 1, otherwise: () => HOSTILE_LABELS[0] });
  return startGateway({ store, port: 0, logger: false, handleSignals: false, simulatedTeacher: () => teacher, ...extra });
}

beforeAll(async () => {
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      logged += chunk.toString();
      done();
    },
  });
  // The upstream is a closed port: every pass-through fails, which is when keys tend to leak.
  plain = await start("plain", { logger: { level: "trace", stream }, upstream: { baseURL: "http://127.0.0.1:9/v1", apiKey: UPSTREAM_SECRET } });
  adminKey = (await plain.store.apiKeys.create("admin", "admin")).key;
  withCors = await start("cors", { cors: { origins: [ALLOWED] } });
  await withCors.store.apiKeys.create("admin", "admin");
});
afterAll(async () => {
  await plain.close();
  await withCors.close();
  rmSync(dir, { recursive: true, force: true });
});

const call = (g: Gateway, method: string, path: string, headers: Record<string, string> = {}, body?: unknown) =>
  fetch(g.url + path, { method, headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });

describe("CORS", () => {
  it("is off by default: no header for any origin, no preflight", async () => {
    const res = await call(plain, "GET", "/healthz", { origin: ALLOWED });
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    const preflight = await call(plain, "OPTIONS", "/v1/tasks", { origin: ALLOWED, "access-control-request-method": "GET" });
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
    expect(preflight.status).toBeGreaterThanOrEqual(400);
  });

  it("answers only the configured origin, refusals included", async () => {
    const refused = await call(withCors, "GET", "/v1/tasks", { origin: ALLOWED });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("access-control-allow-origin")).toBe(ALLOWED);
    expect(refused.headers.get("vary")).toMatch(/origin/i);
    const other = await call(withCors, "GET", "/v1/tasks", { origin: "https://evil.example" });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();

    const preflight = await call(withCors, "OPTIONS", "/v1/tasks/x/predict", { origin: ALLOWED, "access-control-request-method": "POST" });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-headers")).toMatch(/authorization/);
    expect((await call(withCors, "OPTIONS", "/v1/tasks", { origin: "https://evil.example" })).status).toBe(403);
  });
});

describe("hostile strings are data", () => {
  const auth = () => ({ authorization: `Bearer ${adminKey}` });

  it("refuses SQL and path strings as task names, in bodies and in URLs", async () => {
    for (const name of ["x'; DROP TABLE tasks; --", "../../etc/passwd", "a/b"]) {
      const res = await call(plain, "POST", "/v1/tasks", auth(), { name, instructions: "x", labels: [{ name: "a" }, { name: "b" }] });
      expect(res.status, name).toBe(400);
    }
    for (const path of ["/v1/tasks/..%2f..%2fetc%2fpasswd", "/v1/tasks/x'%3B%20DROP%20TABLE%20tasks%3B--", "/v1/tasks/%2e%2e"]) {
      const res = await call(plain, "GET", path, auth());
      expect(res.status, path).toBe(404);
    }
  });

  it("stores SQL and path strings as labels and texts, unchanged, with every table intact", async () => {
    const task = { name: "hostile", instructions: "x", labels: HOSTILE_LABELS.map((name) => ({ name })), teacher: { name: "sim" } };
    expect((await call(plain, "POST", "/v1/tasks", auth(), task)).status).toBe(201);
    const rows = HOSTILE_LABELS.flatMap((label, i) => [0, 1, 2].map((j) => ({ text: `${label} ${i}-${j}; SELECT * FROM api_keys`, label })));
    const imported = await call(plain, "POST", "/v1/tasks/hostile/examples", auth(), rows);
    expect(imported.status).toBe(200);
    const page = (await (await call(plain, "GET", "/v1/tasks/hostile/examples?limit=100", auth())).json()) as { data: { text: string; label: string }[]; total: number };
    expect(page.total).toBe(rows.length);
    expect(page.data.map((e) => e.label).sort()).toEqual(rows.map((r) => r.label).sort());
    const predicted = await call(plain, "POST", "/v1/tasks/hostile/predict", auth(), { input: "'); DELETE FROM requests; --" });
    expect(predicted.status).toBe(200);
    // Nothing was dropped or deleted: the other tables still answer.
    expect((await call(plain, "GET", "/v1/tasks", auth())).status).toBe(200);
    expect(await plain.store.apiKeys.count()).toBe(1);
    const stats = (await (await call(plain, "GET", "/v1/tasks/hostile/stats", auth())).json()) as { requests: number };
    expect(stats.requests).toBe(1);
  });
});

describe("secrets", () => {
  it("keeps the upstream's key out of the reply and the log when the upstream fails", async () => {
    const predictKey = (await plain.store.apiKeys.create("app", "predict")).key;
    const res = await call(plain, "POST", "/v1/chat/completions", { authorization: `Bearer ${predictKey}` }, { model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] });
    expect(res.status).toBeGreaterThanOrEqual(500);
    const text = await res.text();
    expect(text).not.toContain(UPSTREAM_SECRET);
    expect(text).not.toContain(predictKey);
    expect(logged.length).toBeGreaterThan(0);
    expect(logged).not.toContain(UPSTREAM_SECRET);
    expect(logged).not.toContain(predictKey);
    expect(logged).not.toContain(adminKey);
  });
});

describe("NUL characters", () => {
  // PostgreSQL cannot store U+0000 in text; the gateway refuses it on every store alike, as a 400.
  it("are refused in inputs, chat messages, imported texts and task fields", async () => {
    const predictKey = (await plain.store.apiKeys.create("nul", "predict")).key;
    const auth = { authorization: `Bearer ${adminKey}` };
    const predict = await call(plain, "POST", "/v1/tasks/hostile/predict", { authorization: `Bearer ${predictKey}` }, { input: "my card\u0000 is lost" });
    expect(predict.status).toBe(400);
    expect(((await predict.json()) as { error: { message: string } }).error.message).toMatch(/NUL character/);
    const chat = await call(plain, "POST", "/v1/chat/completions", { authorization: `Bearer ${predictKey}` }, { model: "task:hostile", messages: [{ role: "user", content: "a\u0000b" }] });
    expect(chat.status).toBe(400);
    const before = await plain.store.examples.count("hostile");
    const imported = await call(plain, "POST", "/v1/tasks/hostile/examples?partial=true", auth, [{ text: "fine", label: HOSTILE_LABELS[1] }, { text: "not\u0000fine", label: HOSTILE_LABELS[1] }]);
    const reply = (await imported.json()) as { accepted: number; rejected: { line: number; reason: string }[] };
    expect(reply.accepted).toBe(1);
    expect(reply.rejected).toEqual([{ line: 2, reason: "text contains a NUL character (U+0000)" }]);
    expect(await plain.store.examples.count("hostile")).toBe(before + 1);
    const task = await call(plain, "POST", "/v1/tasks", auth, { name: "nul", instructions: "x\u0000", labels: [{ name: "a" }, { name: "b" }] });
    expect(task.status).toBe(400);
  });
});
