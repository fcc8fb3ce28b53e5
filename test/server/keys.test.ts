// The API-key routes (the dashboard's Keys page) through HTTP: list, create with the secret shown
// once, revoke; the 400s naming the field, 404, 403 for predict keys, the last-admin rule, and
// what revoking a configuration-file key does to the next start.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyConfig } from "../../src/server/bootstrap.js";
import { parseConfig } from "../../src/server/config.js";
import { teacherRegistry } from "../../src/server/start.js";
import { startTestGateway, stopTestGateway, type TestGateway } from "./helpers.js";

let g: TestGateway;

beforeAll(async () => {
  g = await startTestGateway();
});
afterAll(async () => {
  await stopTestGateway(g);
});

describe("API keys over HTTP", () => {
  it("lists the keys without their secrets, marking the caller's own", async () => {
    const res = await g.request("GET", "/v1/keys");
    expect(res.status).toBe(200);
    expect(res.body.data.map((k: { name: string; role: string; current: boolean }) => [k.name, k.role, k.current])).toEqual([
      ["test admin", "admin", true],
      ["test predict", "predict", false],
    ]);
    const text = JSON.stringify(res.body);
    expect(text).not.toContain(g.adminKey);
    expect(text).not.toContain(g.predictKey);
    expect(text).not.toContain("key_hash");
    expect((await g.request("GET", "/v1/keys?all=1")).status).toBe(400);
  });

  it("creates a key whose secret is in the reply only, with its permissions and budget", async () => {
    const res = await g.request("POST", "/v1/keys", { body: { name: "batch jobs", role: "predict", force_teacher: true, teacher_budget: { calls_per_hour: 10, cost_per_day: 2.5 } } });
    expect(res.status).toBe(201);
    expect(res.body.key).toMatch(/^apx_[A-Za-z0-9_-]{43}$/);
    expect(res.body.record).toMatchObject({ name: "batch jobs", role: "predict", force_teacher: true, teacher_budget: { calls_per_hour: 10, cost_per_day: 2.5 }, revoked_at: null, from_config: false, current: false });
    expect(res.body.record.prefix).toBe(res.body.key.slice(0, 8));
    expect((await g.request("GET", "/v1/models", { key: res.body.key })).status).toBe(200);
    const list = await g.request("GET", "/v1/keys");
    expect(JSON.stringify(list.body)).not.toContain(res.body.key);
    // force_teacher takes the role's default when left out.
    const admin = await g.request("POST", "/v1/keys", { body: { name: "  second admin  ", role: "admin" } });
    expect(admin.body.record).toMatchObject({ name: "second admin", force_teacher: true, teacher_budget: null });
  });

  it("refuses a bad body with a 400 naming the field", async () => {
    const cases: [unknown, RegExp][] = [
      [{ role: "admin" }, /^name: /],
      [{ name: "", role: "admin" }, /^name: must not be empty/],
      [{ name: "x".repeat(101), role: "admin" }, /^name: /],
      [{ name: "nul\u0000", role: "admin" }, /^name /],
      [{ name: "x", role: "root" }, /^role: /],
      [{ name: "x", role: "predict", force_teacher: "yes" }, /^force_teacher: /],
      [{ name: "x", role: "predict", teacher_budget: { calls_per_hour: -1 } }, /^teacher_budget\.calls_per_hour: /],
      [{ name: "x", role: "predict", teacher_budget: { calls_per_week: 1 } }, /^teacher_budget: .*calls_per_week/],
      [{ name: "x", role: "predict", secret: "apx_mine" }, /secret/],
      [["x"], /^the body: /],
    ];
    for (const [body, message] of cases) {
      const res = await g.request("POST", "/v1/keys", { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.message, JSON.stringify(body)).toMatch(message);
    }
  });

  it("refuses predict keys (403) and callers without a key (401)", async () => {
    for (const [method, path] of [["GET", "/v1/keys"], ["POST", "/v1/keys"], ["DELETE", "/v1/keys/1"]] as const) {
      const body = method === "POST" ? { name: "x", role: "admin" } : undefined;
      expect((await g.request(method, path, { key: g.predictKey, body })).status).toBe(403);
      expect((await g.request(method, path, { key: null })).status).toBe(401);
    }
  });

  it("revokes a key, which stops working at once; 400 for a bad id, 404 for an unknown one, 409 twice", async () => {
    const made = await g.request("POST", "/v1/keys", { body: { name: "short-lived", role: "predict" } });
    const id = made.body.record.id as number;
    const res = await g.request("DELETE", `/v1/keys/${id}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, name: "short-lived", revoked_at: expect.any(Number) });
    expect((await g.request("GET", "/v1/models", { key: made.body.key })).status).toBe(401);
    const again = await g.request("DELETE", `/v1/keys/${id}`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("already_revoked");
    expect((await g.request("DELETE", "/v1/keys/0")).status).toBe(400);
    expect((await g.request("DELETE", "/v1/keys/abc")).body.error.message).toMatch(/positive integer/);
    const missing = await g.request("DELETE", "/v1/keys/999999");
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toMatch(/no API key with id 999999/);
  });

  it("shows configuration-file keys as such; revoked, they stop the next start until the file changes", async () => {
    const secret = `apx_${"f".repeat(40)}`;
    const config = parseConfig({ keys: [{ name: "deployed", role: "predict", key_env: "DEPLOYED_KEY" }] }, "test config", g.dir);
    await applyConfig(g.store, g.app.runtimes, teacherRegistry({}, {}), config, { DEPLOYED_KEY: secret });
    const listed = (await g.request("GET", "/v1/keys")).body.data.find((k: { name: string }) => k.name === "deployed");
    expect(listed).toMatchObject({ from_config: true, note: expect.stringMatching(/next start of the gateway stops/) });
    const revoked = await g.request("DELETE", `/v1/keys/${listed.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.note).toMatch(/configuration file/);
    await expect(applyConfig(g.store, g.app.runtimes, teacherRegistry({}, {}), config, { DEPLOYED_KEY: secret })).rejects.toThrow(/"deployed" .* was revoked/);
  });

  it("never revokes the last admin key, and lets an admin revoke its own key when another remains", async () => {
    const admins = (await g.request("GET", "/v1/keys")).body.data.filter((k: { role: string; revoked_at: number | null }) => k.role === "admin" && k.revoked_at === null);
    // "second admin" from above: revoke it, leaving the caller's key the last one.
    for (const k of admins.filter((k: { current: boolean }) => !k.current)) expect((await g.request("DELETE", `/v1/keys/${k.id}`)).status).toBe(200);
    const own = admins.find((k: { current: boolean }) => k.current);
    const refused = await g.request("DELETE", `/v1/keys/${own.id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("last_admin_key");
    expect((await g.request("GET", "/v1/keys")).status).toBe(200);

    const successor = await g.request("POST", "/v1/keys", { body: { name: "successor", role: "admin" } });
    expect((await g.request("DELETE", `/v1/keys/${own.id}`)).status).toBe(200);
    expect((await g.request("GET", "/v1/keys")).status).toBe(401);
    expect((await g.request("GET", "/v1/keys", { key: successor.body.key })).status).toBe(200);
  });
});
