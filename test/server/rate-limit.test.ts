// Per-key rate limiting: the bucket arithmetic on a fake clock, then 429 + Retry-After through HTTP.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TokenBuckets } from "../../src/server/http/rate-limit.js";
import { startTestGateway, stopTestGateway, type TestGateway } from "./helpers.js";

describe("TokenBuckets", () => {
  it("grants a burst, then one request per refill interval, per key", () => {
    let now = 0;
    const buckets = new TokenBuckets({ requestsPerSecond: 2, burst: 3 }, () => now);
    expect([buckets.take(1), buckets.take(1), buckets.take(1)]).toEqual([0, 0, 0]);
    expect(buckets.take(1)).toBeCloseTo(500, 6);
    expect(buckets.take(2)).toBe(0);
    now = 499;
    expect(buckets.take(1)).toBeGreaterThan(0);
    now = 1000;
    expect(buckets.take(1)).toBe(0);
    // Idle time refills up to the burst, never beyond.
    now = 1_000_000;
    expect([buckets.take(1), buckets.take(1), buckets.take(1)]).toEqual([0, 0, 0]);
    expect(buckets.take(1)).toBeGreaterThan(0);
  });

  it("refuses nonsense limits", () => {
    expect(() => new TokenBuckets({ requestsPerSecond: 0 })).toThrow(/positive/);
    expect(() => new TokenBuckets({ requestsPerSecond: 5, burst: 0.5 })).toThrow(/burst/);
  });
});

describe("rate limit through HTTP", () => {
  let g: TestGateway;
  // A refill takes 1,000 s: nothing in this test can be refilled by a slow machine.
  beforeAll(async () => {
    g = await startTestGateway(undefined, { rateLimit: { requestsPerSecond: 0.001, burst: 3 } });
  });
  afterAll(async () => {
    await stopTestGateway(g);
  });

  it("answers 429 with Retry-After once a key's burst is spent, without touching other keys or open routes", async () => {
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await g.request("GET", "/v1/models", { key: g.predictKey })).status);
    expect(statuses).toEqual([200, 200, 200]);
    const limited = await g.request("GET", "/v1/models", { key: g.predictKey });
    expect(limited.status).toBe(429);
    expect(limited.body.error).toMatchObject({ type: "rate_limit_error", code: "rate_limit_exceeded" });
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(999);
    expect(limited.headers.get("x-ratelimit-remaining")).toBe("0");
    // Other keys have their own bucket; health checks need no key and are never limited.
    expect((await g.request("GET", "/v1/tasks", { key: g.adminKey })).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await g.request("GET", "/healthz", { key: null })).status).toBe(200);
    // A wrong key is refused as such, not counted against anyone.
    expect((await g.request("GET", "/v1/models", { key: "apk_wrong" })).status).toBe(401);
  });
});
