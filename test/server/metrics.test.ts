// GET /metrics: Prometheus text from the app's own registry, open like /healthz.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GOLD, startTestGateway, stopTestGateway, taskBody, type TestGateway } from "./helpers.js";

let g: TestGateway;

beforeAll(async () => {
  g = await startTestGateway();
  expect((await g.request("POST", "/v1/tasks", { body: taskBody("met") })).status).toBe(201);
});
afterAll(async () => {
  await stopTestGateway(g);
});

/** Parses the Prometheus text format into `name{labels}` → value, checking every sample line. */
function parse(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    expect(m, `bad sample line: ${line}`).not.toBeNull();
    samples.set(m![1], Number(m![2]));
  }
  return samples;
}

async function scrape(): Promise<Map<string, number>> {
  const res = await fetch(`${g.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/plain");
  return parse(await res.text());
}

describe("GET /metrics", () => {
  it("is open and counts predictions, teacher calls and request latency", async () => {
    const before = await scrape();
    expect(before.get('apprentice_predictions_total{task="met",source="teacher"}')).toBeUndefined();

    for (const e of GOLD.slice(0, 3)) {
      expect((await g.request("POST", "/v1/tasks/met/predict", { key: g.predictKey, body: { input: e.text } })).status).toBe(200);
    }
    // No teacher answer and no specialist yet: 503, still counted.
    expect((await g.request("POST", "/v1/tasks/met/predict", { key: g.predictKey, body: { input: "unknown to the teacher" } })).status).toBe(503);

    const after = await scrape();
    expect(after.get('apprentice_predictions_total{task="met",source="teacher"}')).toBe(3);
    expect(after.get('apprentice_predictions_total{task="met",source="none"}')).toBe(1);
    const teacherCalls = [...after].filter(([k]) => k.startsWith('apprentice_teacher_calls_total{task="met"')).reduce((n, [, v]) => n + v, 0);
    expect(teacherCalls).toBe(4);
    expect(after.get('apprentice_http_request_duration_seconds_count{method="POST",route="/v1/tasks/:name/predict",status_code="200"}')).toBe(3);
    expect(after.get('apprentice_http_request_duration_seconds_bucket{le="+Inf",method="POST",route="/v1/tasks/:name/predict",status_code="200"}')).toBe(3);
    expect(after.get('apprentice_http_request_duration_seconds_count{method="POST",route="/v1/tasks/:name/predict",status_code="503"}')).toBe(1);
    expect(after.get('apprentice_teacher_circuit_state{task="met"}')).toBe(0);
    expect(after.get('apprentice_http_request_duration_seconds_count{method="GET",route="/metrics",status_code="200"}')).toBeGreaterThanOrEqual(1);
    expect([...after.keys()].some((k) => k.startsWith("apprentice_process_"))).toBe(true);
  });

  it("keeps one registry per app", async () => {
    const other = await startTestGateway();
    try {
      const text = await (await fetch(`${other.url}/metrics`)).text();
      expect(text).not.toContain('task="met"');
    } finally {
      await stopTestGateway(other);
    }
  });
});
