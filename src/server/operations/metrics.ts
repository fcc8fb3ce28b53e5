// Prometheus metrics, served as text at GET /metrics. By default the route is open (no key), like
// /healthz, so a scraper needs no gateway key: it exposes counts, latencies, circuit states and
// task names, never inputs or keys. With `metrics: { require_key: true }` in the configuration it
// needs a gateway key (any role) like the API. Each app has its own registry (no global state
// between apps or tests).
import type { FastifyInstance } from "fastify";
import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";
import type { CircuitState } from "../../teacher/circuit-breaker.js";
import { shareWorkerMetrics } from "./cluster-metrics.js";
import { HttpError } from "../http/errors.js";
import { IGNORED_QUERY, route } from "../http/route.js";
import { HttpLatencyHistogram } from "./http-latency.js";

/** The circuit gauge's values. */
export const CIRCUIT_STATE_VALUES: Record<CircuitState, number> = { closed: 0, half_open: 1, open: 2 };

export class GatewayMetrics {
  readonly registry = new Registry();
  /** Answered predictions (predict route and task chat completions), by task and source. */
  readonly predictions = new Counter({ name: "apprentice_predictions_total", help: "Predictions answered, by task and source (specialist, teacher, none).", labelNames: ["task", "source"] as const, registers: [this.registry] });
  /** Calls to a task's teacher (routed to it, or audits), by task and outcome. */
  readonly teacherCalls = new Counter({ name: "apprentice_teacher_calls_total", help: "Calls to the teacher, by task and status.", labelNames: ["task", "status"] as const, registers: [this.registry] });
  /** Where the circuit gauge reads each loaded task's breaker state (set by buildApp). */
  circuits: () => Iterable<[task: string, state: CircuitState]> = () => [];
  /** Each loaded task teacher's circuit breaker: 0 closed, 1 half-open, 2 open. */
  readonly teacherCircuit: Gauge<"task"> = new Gauge({
    name: "apprentice_teacher_circuit_state",
    help: "State of each task teacher's circuit breaker: 0 closed, 1 half-open (probing), 2 open (teacher calls fail fast).",
    labelNames: ["task"] as const,
    registers: [this.registry],
    // Across worker processes (cluster-metrics.ts): the worst state any of them is in.
    aggregator: "max",
    collect: () => {
      this.teacherCircuit.reset();
      for (const [task, state] of this.circuits()) this.teacherCircuit.set({ task }, CIRCUIT_STATE_VALUES[state]);
    },
  });
  /** Chat completions forwarded to the upstream LLM, by HTTP status (0: unreachable). */
  readonly captured = new Counter({ name: "apprentice_captured_calls_total", help: "Captured calls learned from, by the task's mode (shadow, serve) and the upstream answer's status (ok, invalid, error; specialist: the specialist answered; shed: relayed but not learned, the gateway being too busy).", labelNames: ["mode", "status"] as const, registers: [this.registry] });
  readonly captureSkipped = new Counter({ name: "apprentice_capture_skipped_total", help: "Forwarded calls that asked for a structured answer but were not captured, by reason.", labelNames: ["reason"] as const, registers: [this.registry] });
  readonly upstreamCalls = new Counter({ name: "apprentice_upstream_requests_total", help: "Chat completions passed through to the upstream LLM, by status.", labelNames: ["status"] as const, registers: [this.registry] });
  /** HTTP request latency, by method, route pattern and status code. */
  readonly httpDuration = new HttpLatencyHistogram(
    "apprentice_http_request_duration_seconds",
    "HTTP request latency in seconds, by method, route and status code.",
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    this.registry,
  );

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: "apprentice_" });
  }
}

/**
 * `cluster`: this process is one of `apprentice serve --workers N`'s workers, and /metrics answers
 * for all of them (cluster-metrics.ts).
 */
export function registerMetrics(app: FastifyInstance, metrics: GatewayMetrics, options: { cluster?: boolean; requireKey?: boolean } = {}): void {
  const clusterText = options.cluster === true ? shareWorkerMetrics(metrics.registry) : undefined;
  app.addHook("onResponse", (request, reply, done) => {
    const route = request.routeOptions.url ?? "unmatched";
    metrics.httpDuration.observe(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  const spec = {
    method: "GET",
    url: "/metrics",
    access: options.requireKey === true ? "predict" : "open",
    tag: "Operations",
    summary: "Prometheus metrics",
    description:
      "Predictions by task and source, teacher calls, upstream requests and request latency: counts and task names only, never inputs or keys. " +
      "Open unless the gateway is configured to want a key (`server.metrics_require_key`), then any role's key.",
    query: IGNORED_QUERY,
    replies: { 200: { description: "Prometheus text exposition format.", content: { "text/plain": { schema: { type: "string" } } } } },
  } as const;
  route(app, spec, async (_input, _request, reply) => {
    let text: string;
    if (clusterText === undefined) text = await metrics.registry.metrics();
    else {
      try {
        text = await clusterText();
      } catch (err) {
        throw new HttpError(503, `the metrics of the gateway's worker processes could not be collected: ${err instanceof Error ? err.message : String(err)}`, "api_error", "metrics_unavailable");
      }
    }
    return reply.header("content-type", metrics.registry.contentType).send(text);
  });
}
