// Authentication and authorisation: every route with no key, a wrong key, a predict key and an admin key.
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/server/app.js";
import { ROLE_EXTENSION } from "../../src/server/docs/openapi.js";
import { TeacherRegistry } from "../../src/server/runtime/teachers.js";
import { GOLD, startTestGateway, stopTestGateway, taskBody, type TestGateway } from "./helpers.js";

let g: TestGateway;

beforeAll(async () => {
  g = await startTestGateway();
  expect((await g.request("POST", "/v1/tasks", { body: taskBody() })).status).toBe(201);
});
afterAll(async () => {
  await stopTestGateway(g);
});

type Access = "open" | "predict" | "admin";
const ROUTES: { method: string; path: string; access: Access; body?: unknown }[] = [
  { method: "GET", path: "/healthz", access: "open" },
  { method: "GET", path: "/readyz", access: "open" },
  { method: "GET", path: "/v1/tasks", access: "admin" },
  { method: "POST", path: "/v1/tasks", access: "admin", body: taskBody("other") },
  { method: "GET", path: "/v1/tasks/topics", access: "admin" },
  { method: "PATCH", path: "/v1/tasks/topics", access: "admin", body: { description: "patched" } },
  { method: "POST", path: "/v1/tasks/topics/examples", access: "admin", body: [GOLD[0]] },
  { method: "POST", path: "/v1/tasks/topics/predict", access: "predict", body: { input: GOLD[1].text } },
  { method: "POST", path: "/v1/tasks/topics/feedback", access: "admin", body: { request_id: "nope", label: "music" } },
  { method: "POST", path: "/v1/tasks/topics/retrain", access: "admin" },
  { method: "GET", path: "/v1/tasks/topics/stats", access: "admin" },
  { method: "GET", path: "/v1/models", access: "predict" },
  { method: "POST", path: "/v1/chat/completions", access: "predict", body: { model: "task:topics", messages: [{ role: "user", content: GOLD[2].text }] } },
  { method: "DELETE", path: "/v1/tasks/other", access: "admin" },
];

describe("auth matrix", () => {
  for (const r of ROUTES) {
    it(`${r.method} ${r.path} (${r.access})`, async () => {
      const none = await g.request(r.method, r.path, { key: null, body: r.body });
      const wrong = await g.request(r.method, r.path, { key: "apx_" + "x".repeat(43), body: r.body });
      const predict = await g.request(r.method, r.path, { key: g.predictKey, body: r.body });
      if (r.access === "open") {
        expect(none.status).toBe(200);
        return;
      }
      expect(none.status).toBe(401);
      expect(none.body.error.type).toBe("authentication_error");
      expect(wrong.status).toBe(401);
      if (r.access === "predict") expect([401, 403]).not.toContain(predict.status);
      else {
        expect(predict.status).toBe(403);
        expect(predict.body.error.type).toBe("permission_error");
      }
      const admin = await g.request(r.method, r.path, { key: g.adminKey, body: r.body });
      expect([401, 403]).not.toContain(admin.status);
      expect(admin.status).toBeLessThan(500);
    });
  }

  it("covers every documented route (the OpenAPI document lists every registered one)", async () => {
    const doc = (await g.request("GET", "/openapi.json", { key: null })).body as { paths: Record<string, Record<string, Record<string, unknown>>> };
    const listed = new Set(ROUTES.map((r) => `${r.method} ${r.path}`));
    const checked: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const role = op[ROLE_EXTENSION] as Access;
        // Parameters get the values the hand-written cases use; their bodies make the admin case meaningful.
        const concrete = path.replace("{name}", method === "delete" ? "other" : "topics").replace("{version}", "1").replace("*", "missing.js");
        const key = `${method.toUpperCase()} ${concrete}`;
        if (listed.has(key)) continue;
        // Not in the hand-written list: check its role the same way, without a body.
        const none = await g.request(method.toUpperCase(), concrete, { key: null });
        const predict = await g.request(method.toUpperCase(), concrete, { key: g.predictKey });
        const admin = await g.request(method.toUpperCase(), concrete, { key: g.adminKey });
        if (role === "open") expect(none.status, key).not.toBe(401);
        else {
          expect(none.status, key).toBe(401);
          if (role === "admin") expect(predict.status, key).toBe(403);
          else expect([401, 403], key).not.toContain(predict.status);
          expect([401, 403], key).not.toContain(admin.status);
        }
        expect(admin.status, key).toBeLessThan(500);
        checked.push(key);
      }
    }
    // The insight, model and example-paging routes came after the table was written.
    expect(checked).toEqual(expect.arrayContaining(["GET /v1/tasks/topics/report", "POST /v1/tasks/topics/explain", "GET /v1/tasks/topics/examples"]));
  });

  it("refuses unknown routes without a key, and answers 404 with one", async () => {
    expect((await g.request("GET", "/v1/nothing", { key: null })).status).toBe(401);
    expect((await g.request("GET", "/v1/nothing")).status).toBe(404);
  });

  it("refuses a revoked key", async () => {
    const { key, record } = await g.store.apiKeys.create("temp", "admin");
    expect((await g.request("GET", "/v1/tasks", { key })).status).toBe(200);
    await g.store.apiKeys.revoke(record.id);
    expect((await g.request("GET", "/v1/tasks", { key })).status).toBe(401);
  });
});

describe("logging", () => {
  it("never writes the API key to the log", async () => {
    let out = "";
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        out += chunk.toString();
        done();
      },
    });
    const app = buildApp({
      store: g.store,
      teachers: new TeacherRegistry({}, {}),
      logger: { level: "trace", stream, serializers: { req: (req: { headers: unknown }) => ({ headers: req.headers }) } },
    });
    const res = await app.inject({ method: "GET", url: "/v1/tasks", headers: { authorization: `Bearer ${g.adminKey}` } });
    expect(res.statusCode).toBe(200);
    // One line per response (debug), without headers.
    expect(out).toMatch(/"url":"\/v1\/tasks","status":200/);
    // Anything that does log a request's headers gets the key redacted.
    app.log.info({ req: { headers: { authorization: `Bearer ${g.adminKey}` } } }, "a request");
    await app.close();
    expect(out).toContain("[redacted]");
    expect(out).not.toContain(g.adminKey);
  });
});
