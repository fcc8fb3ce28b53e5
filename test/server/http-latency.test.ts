// The HTTP latency histogram must expose exactly what prom-client's Histogram would for the same
// observations: /metrics, the cluster's aggregation and dashboards depend on it.
import fc from "fast-check";
import { AggregatorRegistry, Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { HttpLatencyHistogram } from "../../src/server/operations/http-latency.js";

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const NAME = "test_http_request_duration_seconds";
const HELP = "HTTP request latency in seconds.";

interface Observation {
  method: string;
  route: string;
  status: number;
  seconds: number;
}

function both(observations: readonly Observation[]) {
  const theirs = new Registry();
  const reference = new Histogram({ name: NAME, help: HELP, labelNames: ["method", "route", "status_code"] as const, buckets: BUCKETS, registers: [theirs] });
  const ours = new Registry();
  const histogram = new HttpLatencyHistogram(NAME, HELP, BUCKETS, ours);
  for (const o of observations) {
    reference.observe({ method: o.method, route: o.route, status_code: String(o.status) }, o.seconds);
    histogram.observe(o.method, o.route, o.status, o.seconds);
  }
  return { theirs, ours, histogram };
}

const observation = fc.record({
  method: fc.constantFrom("GET", "POST", "DELETE"),
  route: fc.constantFrom("/v1/chat/completions", "/v1/tasks/:name/predict", "unmatched"),
  status: fc.constantFrom(200, 201, 404, 429, 500),
  // Bounds themselves (le is inclusive), values between them and above the last.
  seconds: fc.oneof(fc.constantFrom(...BUCKETS, 0, 20), fc.double({ min: 0, max: 15, noNaN: true })),
});

describe("HttpLatencyHistogram", () => {
  it("exposes the same text and JSON as prom-client's Histogram", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(observation, { maxLength: 60 }), async (observations) => {
        const { theirs, ours } = both(observations);
        expect(await ours.metrics()).toBe(await theirs.metrics());
        const strip = (json: unknown) => JSON.parse(JSON.stringify(json, (k, v) => (k === "exemplar" || k === "collect" ? undefined : v)));
        expect(strip(await ours.getMetricsAsJSON())).toEqual(strip(await theirs.getMetricsAsJSON()));
      }),
      { numRuns: 50 },
    );
  });

  it("adds up across processes as prom-client's does", async () => {
    const a = [
      { method: "POST", route: "/v1/chat/completions", status: 200, seconds: 0.002 },
      { method: "POST", route: "/v1/chat/completions", status: 200, seconds: 0.3 },
    ];
    const b = [
      { method: "POST", route: "/v1/chat/completions", status: 200, seconds: 0.004 },
      { method: "GET", route: "/healthz", status: 200, seconds: 0.0001 },
    ];
    const [oursA, oursB, theirsA, theirsB] = [both(a).ours, both(b).ours, both(a).theirs, both(b).theirs];
    const aggregated = async (x: Registry, y: Registry) => AggregatorRegistry.aggregate([await x.getMetricsAsJSON(), await y.getMetricsAsJSON()]).metrics();
    const text = await aggregated(oursA, oursB);
    expect(text).toBe(await aggregated(theirsA, theirsB));
    expect(text).toContain(`${NAME}_count{method="POST",route="/v1/chat/completions",status_code="200"} 3`);
  });

  it("forgets every series on reset", async () => {
    const { ours, histogram } = both([{ method: "GET", route: "/healthz", status: 200, seconds: 0.001 }]);
    histogram.reset();
    expect(await ours.metrics()).toBe(`# HELP ${NAME} ${HELP}\n# TYPE ${NAME} histogram\n`);
    histogram.observe("GET", "/healthz", 200, 0.5);
    expect(await ours.metrics()).toContain(`${NAME}_bucket{le="0.5",method="GET",route="/healthz",status_code="200"} 1`);
  });

  it("refuses bounds that do not ascend", () => {
    expect(() => new HttpLatencyHistogram(NAME, HELP, [0.1, 0.1], new Registry())).toThrow(/ascend/);
  });
});
