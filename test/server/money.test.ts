// Money at the edge: every amount an admin route or an error reply shows is rounded to micro-units,
// so float sums (0.1 + 0.002 = 0.10200000000000001) never reach a caller.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MONEY_DECIMALS, roundMoney, withMoneyRounded } from "../../src/server/http/money.js";
import { startTestGateway, stopTestGateway, taskBody, type TestGateway } from "./helpers.js";

describe("roundMoney and withMoneyRounded", () => {
  it("rounds to micro-units and prints as the decimal", () => {
    expect(MONEY_DECIMALS).toBe(6);
    expect(0.1 + 0.002).not.toBe(0.102);
    expect(roundMoney(0.1 + 0.002)).toBe(0.102);
    expect(String(roundMoney(0.1 + 0.2))).toBe("0.3");
    expect(roundMoney(0.0000004)).toBe(0);
    expect(roundMoney(-0.1 - 0.2)).toBe(-0.3);
    expect(roundMoney(Number.NaN)).toBeNaN();
  });

  it("rounds only the money fields, at any depth, without touching the input", () => {
    const noisy = 0.1 + 0.002;
    const payload = { cost: noisy, confidence: noisy, daily: [{ cost: noisy, cost_saved: null, requests: 3 }], budget: { used: noisy, calls: 2 }, name: "cost" };
    expect(withMoneyRounded(payload)).toEqual({ cost: 0.102, confidence: noisy, daily: [{ cost: 0.102, cost_saved: null, requests: 3 }], budget: { used: 0.102, calls: 2 }, name: "cost" });
    expect(payload.cost).toBe(noisy);
    expect(withMoneyRounded([1, "x", null])).toEqual([1, "x", null]);
  });
});

describe("money in the API's replies", () => {
  let g: TestGateway;
  const noisy = /"(cost|cost_saved|teacher_only_cost|cost_per_teacher_call)":-?\d+\.\d{7,}/;

  beforeAll(async () => {
    g = await startTestGateway(undefined, { rateLimit: false });
    expect((await g.request("POST", "/v1/tasks", { body: taskBody("money") })).status).toBe(201);
    const now = Date.now();
    // Costs whose float sums are noisy: 0.1 + 0.002, 0.1 + 0.2, thirds.
    const costs = [0.1, 0.002, 0.2, 1 / 3, 0, 0];
    await g.store.requests.insertMany(
      costs.map((cost, i) => ({ id: `req-${i}`, task: "money", input: `text ${i}`, label: "weather", source: cost > 0 ? "teacher" : "specialist", latency_ms: 1, cost, status: "ok", created_at: now - i * 60_000 })),
    );
  });
  afterAll(async () => {
    await stopTestGateway(g);
  });

  it.each(["/v1/tasks/money/stats", "/v1/tasks/money/traffic", "/v1/tasks/money/requests", "/v1/tasks/money/requests/req-3", "/v1/tasks/money"])("%s shows no float noise", async (path) => {
    const res = await fetch(g.url + path, { headers: { authorization: `Bearer ${g.adminKey}` } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toMatch(noisy);
  });

  it("rounds the sums themselves", async () => {
    const stats = await g.request("GET", "/v1/tasks/money/stats");
    expect(stats.body.cost).toBe(roundMoney(0.1 + 0.002 + 0.2 + 1 / 3));
    expect(stats.body.cost_per_teacher_call).toBe(roundMoney((0.1 + 0.002 + 0.2 + 1 / 3) / 4));
    expect((await g.request("GET", "/v1/tasks/money/requests/req-3")).body.cost).toBe(0.333333);
  });
});
