// Finding 10 of issue 20: unauthenticated callers were not limited at all (each made-up key cost a
// hash and a database lookup) and /metrics showed task names and counts to anyone. Now failed
// authentications are limited per client address, with a bounded number of addresses tracked,
// and /metrics can require a key.
import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VERIFIED_KEY_TTL_MS } from "../../src/store/api-keys.js";
import { TokenBuckets } from "../../src/server/http/rate-limit.js";
import { openStore } from "../../src/store/index.js";
import { startTestGateway, stopTestGateway, taskBody, type TestGateway } from "../server/helpers.js";

describe("anonymous floods", () => {
  let g: TestGateway | undefined;
  afterEach(async () => {
    if (g !== undefined) await stopTestGateway(g);
    g = undefined;
  });

  it("answers 429 with Retry-After once an address has spent its failed authentications, and lets a known key through", async () => {
    g = await startTestGateway(undefined, { options: { authFailures: { perSecond: 0.01, burst: 20 } } });
    // A known key, verified before the flood (a verified key is trusted from memory for a few seconds).
    expect((await g.request("GET", "/v1/tasks")).status).toBe(200);
    const statuses: number[] = [];
    for (let i = 0; i < 60; i++) {
      const key = i % 2 === 0 ? null : `apx_${"z".repeat(40)}${i}`;
      statuses.push((await g.request("GET", "/v1/tasks", { key })).status);
    }
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(21).every((s) => s === 429)).toBe(true);
    const refused = await g.request("POST", "/v1/tasks/x/predict", { key: "not-a-key", body: { input: "x" } });
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe("auth_rate_limited");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(g.app.authFailures?.buckets.size).toBe(1);
    expect((await g.request("GET", "/v1/tasks")).status).toBe(200);
    // Open routes are never limited.
    expect((await g.request("GET", "/healthz", { key: null })).status).toBe(200);
  });

  it("still looks up a key in use once its trust lapses, when a flood from the same address spent the bucket", async () => {
    // One proxy address for the app and the attacker: the app's key must keep working.
    let clock = Date.now();
    const store = await openStore(join(mkdtempSync(join(tmpdir(), "apprentice-flood-")), "test.db"), { now: () => clock });
    g = await startTestGateway(undefined, { store, options: { authFailures: { perSecond: 0.01, burst: 5 } } });
    expect((await g.request("GET", "/v1/tasks")).status).toBe(200);
    for (let i = 0; i < 10; i++) await g.request("GET", "/v1/tasks", { key: `apx_${"q".repeat(40)}${i}` });
    expect((await g.request("GET", "/v1/tasks", { key: null })).status).toBe(429);
    clock += VERIFIED_KEY_TTL_MS + 1;
    expect((await g.request("GET", "/v1/tasks")).status).toBe(200);
    // A key never seen valid here still waits for the bucket, and a revoked one stops passing.
    expect((await g.request("GET", "/v1/tasks", { key: g.predictKey })).status).toBe(429);
    const admin = (await store.apiKeys.list()).find((k) => k.name === "test admin")!;
    await store.db.updateTable("api_keys").set({ revoked_at: clock }).where("id", "=", admin.id).execute();
    clock += VERIFIED_KEY_TTL_MS + 1;
    expect((await g.request("GET", "/v1/tasks")).status).toBe(401);
    expect((await g.request("GET", "/v1/tasks")).status).toBe(429);
  });

  it("tracks a bounded number of addresses whatever strangers send", () => {
    let now = 0;
    const buckets = new TokenBuckets<string>({ requestsPerSecond: 1, burst: 2 }, () => now, 100);
    for (let i = 0; i < 100_000; i++) buckets.take(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    expect(buckets.size).toBe(100);
    // A tracked address still runs out: its third failure in a row waits.
    const ip = "192.0.2.1";
    expect(buckets.take(ip)).toBe(0);
    expect(buckets.take(ip)).toBe(0);
    expect(buckets.wait(ip)).toBeGreaterThan(0);
    now += 1000;
    expect(buckets.wait(ip)).toBe(0);
  });

  it("answers /metrics 401 without a key when metrics.require_key is set, and shows it to any key", async () => {
    g = await startTestGateway(undefined, { options: { metricsRequireKey: true } });
    expect((await g.request("POST", "/v1/tasks", { body: taskBody("secret-task-name") })).status).toBe(201);
    const anonymous = await g.request("GET", "/metrics", { key: null });
    expect(anonymous.status).toBe(401);
    expect(JSON.stringify(anonymous.body)).not.toContain("secret-task-name");
    const scraped = await g.request("GET", "/metrics", { key: g.predictKey });
    expect(scraped.status).toBe(200);
    expect(String(scraped.body)).toContain("apprentice_http_request_duration_seconds");
  });
});
