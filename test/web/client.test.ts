import { describe, expect, it } from "vitest";
import { ApiClient, ApiError, errorFromBody, errorMessage, withQuery } from "../../web/src/api/client.js";
import { routeSummary } from "../../web/src/lib/explain.js";
import { answerFields, NONE_LABEL } from "../../web/src/lib/structured.js";
import type { Explanation } from "../../web/src/api/types.js";

function fakeFetch(status: number, body: string) {
  const calls: { url: string; init?: RequestInit }[] = [];
  const impl = async (url: string, init?: RequestInit) => {
    calls.push({ url, init });
    return new Response(body, { status });
  };
  return { calls, impl };
}

describe("ApiClient", () => {
  it("sends the key as a bearer token and JSON bodies", async () => {
    const f = fakeFetch(200, '{"ok":true}');
    const api = new ApiClient("apx_k", "http://gw", f.impl);
    expect(await api.feedback("my task", "r1", "lbl")).toEqual({ ok: true });
    const { url, init } = f.calls[0];
    expect(url).toBe("http://gw/v1/tasks/my%20task/feedback");
    expect(init?.method).toBe("POST");
    const headers = init?.headers as Record<string, string>;
    expect(headers.authorization).toBe("Bearer apx_k");
    expect(headers["content-type"]).toBe("application/json");
    expect(JSON.parse(String(init?.body))).toEqual({ request_id: "r1", label: "lbl" });
  });

  it("adds query parameters, leaving out undefined ones", async () => {
    const f = fakeFetch(200, "{}");
    const api = new ApiClient("k", "", f.impl);
    await api.stats("t", 123);
    await api.stats("t");
    await api.review("t", "low_confidence", 20);
    expect(f.calls.map((c) => c.url)).toEqual(["/v1/tasks/t/stats?since=123", "/v1/tasks/t/stats", "/v1/tasks/t/review?kind=low_confidence&limit=20"]);
    expect(withQuery("/x", { a: undefined })).toBe("/x");
  });

  it("turns an error body into an ApiError with status, message, code and details", async () => {
    const body = JSON.stringify({ error: { message: "2 bad rows, nothing imported", type: "invalid_request_error", code: "bad_request", details: [{ line: 3, reason: "no label" }] } });
    const api = new ApiClient("k", "", fakeFetch(400, body).impl);
    const err = await api.tasks().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 400, message: "2 bad rows, nothing imported", code: "bad_request", details: [{ line: 3, reason: "no label" }] });
  });

  it("still gives a message for a body that is not the gateway's JSON", () => {
    expect(errorFromBody(502, "<html>Bad Gateway</html>").message).toBe("HTTP 502: <html>Bad Gateway</html>");
    expect(errorFromBody(503, "", "Service Unavailable").message).toBe("HTTP 503 Service Unavailable");
    expect(errorMessage(new ApiError(429, "slow down"))).toBe("Too many requests: slow down");
    expect(errorMessage(new TypeError("Failed to fetch"))).toMatch(/Could not reach the gateway/);
  });
});

describe("routeSummary", () => {
  const base: Explanation = { model_version: 2, label: "card_arrival", confidence: 0.93, top: [], unknown_share: 0.1, out_of_scope_max: 0.9, unknown_share_cut: 0.4, scope_score: 0.85, threshold: 0.81, route: { decision: "specialist", reason: "confident" } };
  it("explains each routing reason with the numbers", () => {
    expect(routeSummary(base)).toEqual({ decision: "Specialist answers", why: "Confidence 0.930 is at or above the threshold 0.810, and the out-of-scope score 0.100 is within its cut 0.400." });
    expect(routeSummary({ ...base, confidence: 0.5, route: { decision: "teacher", reason: "below_threshold" } }).why).toBe("Confidence 0.500 is below the threshold 0.810.");
    expect(routeSummary({ ...base, unknown_share: 0.45, route: { decision: "teacher", reason: "out_of_scope" } }).why).toMatch(/0\.450 is above its cut 0\.400/);
    expect(routeSummary({ ...base, threshold: null, route: { decision: "teacher", reason: "no_threshold" } }).decision).toBe("Sent to the teacher");
    expect(routeSummary({ ...base, route: { decision: "teacher", reason: "no_specialist" } }).why).toMatch(/no trained specialist/);
    expect(routeSummary({ ...base, route: { decision: "teacher", reason: "held" } }).why).toMatch(/at or above the threshold 0\.810, but this version's live audits proved its answers "card_arrival" wrong/);
  });

  it("names the fields a structured answer says none of these for, when that sent it to the teacher", () => {
    const fields = answerFields({ properties: { intent: { enum: ["pay", "refund"] }, currency: { enum: ["EUR", "USD"] }, amount: { extract: true } } })!;
    const output = { intent: NONE_LABEL, currency: "EUR", amount: null };
    const e = { ...base, label: JSON.stringify(output), output, route: { decision: "teacher" as const, reason: "out_of_scope_label" as const } };
    expect(routeSummary(e, fields).why).toBe('The specialist\'s answer says "none of these" for intent, which only the teacher gives.');
    expect(routeSummary({ ...base, route: { decision: "teacher", reason: "out_of_scope_label" } }).why).toMatch(/best label "card_arrival" is the task's out-of-scope label/);
  });

  it("names a structured answer on hold by its choices", () => {
    const fields = answerFields({ properties: { intent: { enum: ["pay", "refund"] }, amount: { extract: true } } })!;
    const output = { intent: "refund", amount: "40" };
    const e = { ...base, label: JSON.stringify(output), output, route: { decision: "teacher" as const, reason: "held" as const } };
    expect(routeSummary(e, fields).why).toMatch(/proved its answers "intent: refund" wrong/);
  });
});
