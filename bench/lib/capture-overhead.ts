// The capture section of bench:server (`--phases capture`): what capture costs a forwarded call.
//
// In one run, against the simulated upstream LLM on loopback (bench/lib/server-child.ts
// `simulated-llm`, its own process, answering each transfers-demo text with the JSON of its gold
// object: a map lookup, the same bytes every time), with the same autocannon settings:
//   direct       the upstream called directly (no gateway);
//   capture off  through a gateway with `capture: false` (pure pass-through);
//   capture on   through a gateway with capture on (its defaults: shadow mode, no auto_serve).
// Every call carries a strict json_schema response_format (the transfers-demo object), so every
// call through the capture-on gateway is captured: relayed, then learned after the reply (its
// task is created by the first call; its specialist retrains in the background as examples come).
// Each configuration is measured with plain replies and with streamed ones (SSE). The gateways
// each run in one process, over their own SQLite file.
//
// The machine is shared and noisy, so the six runs go in `rounds`, each round in another order
// (rotated), and the figures compared are each round's differences (gateway minus direct,
// capture on minus capture off), reported per round and as their median over rounds.
//
// Latency is measured here, not by autocannon's histogram (whole milliseconds): every response's
// time from autocannon's client, in fractional ms. Every reply through a gateway is checked
// against the upstream's own reply to the same body, fetched directly before the runs; the
// simulated upstream's only varying bytes are `created` (seconds), which both sides have
// replaced by 0 before the comparison. A reply that differs in any other byte counts as altered.
//
// After each capture-on run, the next run waits until the gateway has learned every call it
// relayed (apprentice_captured_calls_total), so that learning left over from one run does not
// slow the next; how long that took is reported (learning lag after the load stopped).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { loadTransfersData, transfersResponseFormat } from "../../src/cli/demo/transfers.js";
import { cpuMs, createBenchStore, startChild, stopChild, type Child } from "./child.js";
import { markdownTable } from "./report.js";
import { median } from "./spread.js";

export interface CaptureBenchSettings {
  connections: number;
  duration_s: number;
  warmup_s: number;
  rounds: number;
  log: string;
  /**
   * Requests/s offered to each target in total (autocannon's overallRate), 0: a closed loop, each
   * connection sending its next request when the last is answered. Paced below every target's
   * capacity, the latencies are the work a call adds rather than the queueing that follows lost
   * throughput; requests/s then say nothing, so that target is left out.
   */
  rate: number;
  /** Extra Node flags for the server processes (profiling). */
  childFlags: string[];
}

const CONFIGS = ["direct", "off", "on"] as const;
type Config = (typeof CONFIGS)[number];
const MODES = ["plain", "stream"] as const;
type Mode = (typeof MODES)[number];
/** A model name that is not a task: the gateway forwards it. */
const MODEL = "gpt-4o-mini";
const SYSTEM = "Read the money-transfer request into the object the schema describes.";

export interface CaptureRun {
  config: Config;
  mode: Mode;
  round: number;
  rps: number;
  requests: number;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  max_ms: number;
  /** Replies that were not 2xx, and connection errors and timeouts. */
  failed: number;
  /** Replies through a gateway whose body differed from the upstream's own reply. */
  altered: number;
  /** Replies checked against the upstream's (all of a gateway's). */
  checked: number;
  /** CPU time per request of the process that serves it: the gateway (direct: the upstream), µs. */
  server_cpu_us: number;
  /** The upstream's CPU time per request during the run, µs. */
  upstream_cpu_us: number;
  /** Capture on: ms from the end of the load until every relayed call was learned. */
  learn_lag_ms?: number;
}

export interface CaptureRound {
  round: number;
  mode: Mode;
  direct: CaptureRun;
  off: CaptureRun;
  on: CaptureRun;
  /** Gateway (capture off) minus direct, ms. */
  passthrough_p50_ms: number;
  passthrough_p99_ms: number;
  /** Capture on minus capture off, ms. */
  capture_p50_ms: number;
  capture_p99_ms: number;
  /** 1 − rps(on) / rps(off). */
  capture_rps_loss: number;
  /** Gateway CPU per request, on minus off, µs. */
  capture_cpu_us: number;
}

export interface CaptureResult {
  settings: Omit<CaptureBenchSettings, "childFlags">;
  texts: number;
  rounds: CaptureRound[];
  /** Per mode: the median over rounds of each round's figure. */
  summary: Record<Mode, { direct_rps: number; off_rps: number; on_rps: number; direct_p99_ms: number; off_p99_ms: number; on_p99_ms: number; passthrough_p50_ms: number; passthrough_p99_ms: number; capture_p50_ms: number; capture_p99_ms: number; capture_rps_loss: number; capture_cpu_us: number }>;
  /** Replies through the gateways, warm-ups included: checked and altered. */
  checked: number;
  altered: number;
  altered_samples: { config: Config; mode: Mode; expected: string; got: string }[];
  failed: number;
  /** What the capture-on gateway learned: calls by status, its captured task's examples and specialist. */
  learned: { by_status: Record<string, number>; task: string | null; examples: number | null; model_version: number | null; versions: number | null; max_learn_lag_ms: number };
  targets: { name: string; goal: string; value: string; met: boolean }[];
  seconds: number;
}

const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

/** The `created` field (seconds) is the only part of the simulated upstream's reply that varies between two calls. */
const normalized = (body: string) => body.replace(/"created":\d+/g, '"created":0');

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

async function getJson<T>(url: string, key: string): Promise<T> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status} ${(await res.text()).slice(0, 300)}`);
  return (await res.json()) as T;
}

/** apprentice_captured_calls_total by status (shadow mode), from the gateway's /metrics. */
async function capturedCalls(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^apprentice_captured_calls_total\{([^}]*)\} (\S+)$/gm)) {
    const status = /status="([^"]*)"/.exec(m[1])?.[1] ?? "?";
    out[status] = (out[status] ?? 0) + Number(m[2]);
  }
  return out;
}
const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

export async function measureCaptureOverhead(s: CaptureBenchSettings): Promise<CaptureResult> {
  const started = performance.now();
  const transfers = await loadTransfersData(false);
  const texts = transfers.gold.map((g) => g.text);
  const responseFormat = transfersResponseFormat(transfers);
  const bodyOf = (text: string, mode: Mode) =>
    JSON.stringify({
      model: MODEL,
      messages: [
        { role: "system", content: SYSTEM },
        { role: "user", content: text },
      ],
      response_format: responseFormat,
      ...(mode === "stream" ? { stream: true, stream_options: { include_usage: true } } : {}),
    });

  const dir = mkdtempSync(join(tmpdir(), "apprentice-bench-capture-"));
  const children: Child[] = [];
  try {
    const upstream = await startChild(["simulated-llm"], "/dev/null", s.childFlags);
    children.push(upstream);
    const gateways = {} as Record<"off" | "on", { child: Child; adminKey: string; predictKey: string; logPath: string }>;
    for (const c of ["off", "on"] as const) {
      const dbPath = join(dir, `capture-${c}.db`);
      const keys = await createBenchStore(dbPath);
      const logPath = join(dir, `capture-${c}.log`);
      const child = await startChild(["capture-gateway", dbPath, s.log, upstream.url, c], logPath, s.childFlags);
      children.push(child);
      gateways[c] = { child, logPath, ...keys };
    }
    // The upstream's URL ends in /v1, the gateways' do not: both are called at /v1/chat/completions.
    const upstreamOrigin = upstream.url.replace(/\/v1$/, "");

    // What the upstream answers each body, fetched directly once.
    const expected: Record<Mode, string[]> = { plain: [], stream: [] };
    for (const mode of MODES) {
      for (const text of texts) {
        const res = await fetch(`${upstreamOrigin}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: bodyOf(text, mode) });
        if (res.status !== 200) throw new Error(`the simulated upstream answered HTTP ${res.status}`);
        expected[mode].push(normalized(await res.text()));
      }
    }

    let checked = 0;
    let altered = 0;
    const alteredSamples: CaptureResult["altered_samples"] = [];
    let failed = 0;
    /** Replies the capture-on gateway relayed so far (what it must have learned before the next run). */
    let relayedByOn = 0;
    let maxLag = 0;

    const target = (config: Config) => (config === "direct" ? { url: upstreamOrigin, pid: upstream.pid, key: "" } : { url: gateways[config].child.url, pid: gateways[config].child.pid, key: gateways[config].predictKey });

    const run = async (config: Config, mode: Mode, duration: number, roundNo: number): Promise<CaptureRun> => {
      const t = target(config);
      let runChecked = 0;
      let runAltered = 0;
      const requests: autocannon.Request[] = texts.map((text, i) => ({
        method: "POST",
        path: "/v1/chat/completions",
        headers: { "content-type": "application/json", ...(t.key === "" ? {} : { authorization: `Bearer ${t.key}` }) },
        body: bodyOf(text, mode),
        ...(config === "direct"
          ? {}
          : {
              onResponse: (status: number, body: string) => {
                if (status !== 200) return;
                runChecked++;
                if (normalized(body) !== expected[mode][i]) {
                  runAltered++;
                  if (alteredSamples.length < 3) alteredSamples.push({ config, mode, expected: expected[mode][i].slice(0, 600), got: body.slice(0, 600) });
                }
              },
            }),
      }));
      const latencies: number[] = [];
      const cpu0 = cpuMs(t.pid);
      const up0 = cpuMs(upstream.pid);
      const r = await autocannon({
        url: t.url,
        connections: s.connections,
        pipelining: 1,
        duration,
        requests,
        timeout: 10,
        ...(s.rate > 0 ? { overallRate: s.rate } : {}),
        setupClient: (client) => {
          client.on("response", (_status: number, _bytes: number, ms: number) => latencies.push(ms));
        },
      });
      const cpu = cpuMs(t.pid) - cpu0;
      const upCpu = cpuMs(upstream.pid) - up0;
      const n = r["2xx"] + r.non2xx;
      checked += runChecked;
      altered += runAltered;
      failed += r.non2xx + r.errors + r.timeouts;
      latencies.sort((a, b) => a - b);
      const result: CaptureRun = {
        config,
        mode,
        round: roundNo,
        rps: Math.round(n / r.duration),
        requests: n,
        p50_ms: round(percentile(latencies, 50)),
        p90_ms: round(percentile(latencies, 90)),
        p99_ms: round(percentile(latencies, 99)),
        max_ms: round(latencies[latencies.length - 1] ?? NaN),
        failed: r.non2xx + r.errors + r.timeouts,
        altered: runAltered,
        checked: runChecked,
        server_cpu_us: n === 0 ? 0 : Math.round((cpu * 1000) / n),
        upstream_cpu_us: n === 0 ? 0 : Math.round((upCpu * 1000) / n),
      };
      if (config === "on") {
        relayedByOn += n;
        const lag0 = performance.now();
        for (;;) {
          if (total(await capturedCalls(t.url)) >= relayedByOn) break;
          if (performance.now() - lag0 > 120_000) throw new Error(`capture on: the gateway had not learned ${relayedByOn} calls 120 s after the load`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        result.learn_lag_ms = Math.round(performance.now() - lag0);
        maxLag = Math.max(maxLag, result.learn_lag_ms);
      }
      if (roundNo > 0) console.error(`capture ${mode} ${config} round ${roundNo}: ${JSON.stringify(result)}`);
      return result;
    };

    // Warm-up, untimed: the JIT, the connections, and on the capture-on gateway the captured task's creation and first examples.
    for (const mode of MODES) for (const config of CONFIGS) await run(config, mode, s.warmup_s, 0);

    const pairs = MODES.flatMap((mode) => CONFIGS.map((config) => ({ mode, config })));
    const runs: CaptureRun[] = [];
    for (let r = 1; r <= s.rounds; r++) {
      const order = [...pairs.slice((r - 1) % pairs.length), ...pairs.slice(0, (r - 1) % pairs.length)];
      for (const { mode, config } of order) runs.push(await run(config, mode, s.duration_s, r));
    }

    const rounds: CaptureRound[] = [];
    for (let r = 1; r <= s.rounds; r++) {
      for (const mode of MODES) {
        const of = (config: Config) => runs.find((x) => x.round === r && x.mode === mode && x.config === config)!;
        const [direct, off, on] = [of("direct"), of("off"), of("on")];
        rounds.push({
          round: r,
          mode,
          direct,
          off,
          on,
          passthrough_p50_ms: round(off.p50_ms - direct.p50_ms),
          passthrough_p99_ms: round(off.p99_ms - direct.p99_ms),
          capture_p50_ms: round(on.p50_ms - off.p50_ms),
          capture_p99_ms: round(on.p99_ms - off.p99_ms),
          capture_rps_loss: round(1 - on.rps / off.rps, 4),
          capture_cpu_us: on.server_cpu_us - off.server_cpu_us,
        });
      }
    }
    const summary = Object.fromEntries(
      MODES.map((mode) => {
        const rs = rounds.filter((x) => x.mode === mode);
        const med = (f: (x: CaptureRound) => number, d = 3) => round(median(rs.map(f)), d);
        return [
          mode,
          {
            direct_rps: med((x) => x.direct.rps, 0),
            off_rps: med((x) => x.off.rps, 0),
            on_rps: med((x) => x.on.rps, 0),
            direct_p99_ms: med((x) => x.direct.p99_ms),
            off_p99_ms: med((x) => x.off.p99_ms),
            on_p99_ms: med((x) => x.on.p99_ms),
            passthrough_p50_ms: med((x) => x.passthrough_p50_ms),
            passthrough_p99_ms: med((x) => x.passthrough_p99_ms),
            capture_p50_ms: med((x) => x.capture_p50_ms),
            capture_p99_ms: med((x) => x.capture_p99_ms),
            capture_rps_loss: med((x) => x.capture_rps_loss, 4),
            capture_cpu_us: med((x) => x.capture_cpu_us, 0),
          },
        ];
      }),
    ) as CaptureResult["summary"];

    // What the capture-on gateway learned.
    const on = gateways.on;
    const byStatus = await capturedCalls(on.child.url);
    const tasks = await getJson<{ data: { name: string; definition: { capture?: unknown } }[] }>(`${on.child.url}/v1/tasks`, on.adminKey);
    const captured = tasks.data.find((t) => t.definition.capture !== undefined)?.name ?? null;
    let examples: number | null = null;
    let modelVersion: number | null = null;
    let versions: number | null = null;
    if (captured !== null) {
      const stats = await getJson<{ examples: number; model_version: number }>(`${on.child.url}/v1/tasks/${captured}/stats`, on.adminKey);
      examples = stats.examples;
      modelVersion = stats.model_version;
      versions = (await getJson<{ data: unknown[] }>(`${on.child.url}/v1/tasks/${captured}/models`, on.adminKey)).data.length;
    }

    const fmt = (x: number) => `${x >= 0 ? "+" : ""}${x.toFixed(2)} ms`;
    const targets: CaptureResult["targets"] = [];
    for (const mode of MODES) {
      const m = summary[mode];
      const spread = (f: (x: CaptureRound) => number, show: (x: number) => string) => rounds.filter((x) => x.mode === mode).map((x) => show(f(x))).join(", ");
      targets.push({ name: `capture on, ${mode} replies: added p99 (on − off, median of rounds)`, goal: "≤ 1 ms", value: `${fmt(m.capture_p99_ms)} (rounds: ${spread((x) => x.capture_p99_ms, fmt)})`, met: m.capture_p99_ms <= 1 });
      if (s.rate > 0) continue;
      targets.push({
        name: `capture on, ${mode} replies: requests/s lost against capture off (median of rounds)`,
        goal: "≤ 10%",
        value: `${(100 * m.capture_rps_loss).toFixed(1)}% (rounds: ${spread((x) => x.capture_rps_loss, (x) => `${(100 * x).toFixed(1)}%`)})`,
        met: m.capture_rps_loss <= 0.1,
      });
    }
    targets.push({ name: "replies altered through the gateways (capture off and on, warm-ups included)", goal: "0", value: `${altered} of ${checked.toLocaleString("en-US")}`, met: altered === 0 && checked > 0 });
    targets.push({ name: "failed requests (non-2xx, errors, timeouts)", goal: "0", value: String(failed), met: failed === 0 });
    return {
      settings: { connections: s.connections, duration_s: s.duration_s, warmup_s: s.warmup_s, rounds: s.rounds, log: s.log, rate: s.rate },
      texts: texts.length,
      rounds,
      summary,
      checked,
      altered,
      altered_samples: alteredSamples,
      failed,
      learned: { by_status: byStatus, task: captured, examples, model_version: modelVersion, versions, max_learn_lag_ms: maxLag },
      targets,
      seconds: round((performance.now() - started) / 1000, 1),
    };
  } finally {
    for (const c of children.reverse()) await stopChild(c);
    rmSync(dir, { recursive: true, force: true });
  }
}

export function captureMarkdown(r: CaptureResult, date: string, machine: { cpus: number; node: string }): string {
  const s = r.settings;
  const ms = (x: number) => x.toFixed(2);
  const signed = (x: number) => `${x >= 0 ? "+" : ""}${x.toFixed(2)}`;
  const rows = r.rounds.map((x) => [
    x.mode,
    x.round,
    `${x.direct.rps.toLocaleString("en-US")} / ${x.off.rps.toLocaleString("en-US")} / ${x.on.rps.toLocaleString("en-US")}`,
    `${ms(x.direct.p50_ms)} / ${ms(x.off.p50_ms)} / ${ms(x.on.p50_ms)}`,
    `${ms(x.direct.p99_ms)} / ${ms(x.off.p99_ms)} / ${ms(x.on.p99_ms)}`,
    `${signed(x.passthrough_p50_ms)} / ${signed(x.passthrough_p99_ms)}`,
    `${signed(x.capture_p50_ms)} / ${signed(x.capture_p99_ms)}`,
    `${(100 * x.capture_rps_loss).toFixed(1)}%`,
    `${x.off.server_cpu_us} / ${x.on.server_cpu_us}`,
    x.on.learn_lag_ms ?? "–",
  ]);
  for (const mode of ["plain", "stream"] as const) {
    const m = r.summary[mode];
    rows.push([
      `**${mode}, median**`,
      "",
      `${m.direct_rps.toLocaleString("en-US")} / ${m.off_rps.toLocaleString("en-US")} / ${m.on_rps.toLocaleString("en-US")}`,
      "",
      `${ms(m.direct_p99_ms)} / ${ms(m.off_p99_ms)} / ${ms(m.on_p99_ms)}`,
      `${signed(m.passthrough_p50_ms)} / ${signed(m.passthrough_p99_ms)}`,
      `${signed(m.capture_p50_ms)} / ${signed(m.capture_p99_ms)}`,
      `${(100 * m.capture_rps_loss).toFixed(1)}%`,
      `+${m.capture_cpu_us}`,
      "",
    ]);
  }
  const l = r.learned;
  return [
    `### Capture overhead on pass-through${s.rate > 0 ? `, paced at ${s.rate.toLocaleString("en-US")} requests/s` : ""} (${date.slice(0, 10)}, ${machine.cpus} cores, Node ${machine.node})`,
    "",
    `autocannon on 127.0.0.1, ${s.connections} connections, pipelining 1, ${s.rate > 0 ? `${s.rate.toLocaleString("en-US")} requests/s offered to each target in total (overallRate: latencies without the queueing of a saturated target; requests/s are not a target here)` : "closed loop (each connection sends its next request when the last is answered)"}, ${s.duration_s} s per run after a ${s.warmup_s} s warm-up of each; the simulated upstream LLM (src/teacher/simulated-llm-server.ts, its own process) answers each of the ${r.texts} transfers-demo texts with its gold object's JSON. ` +
      `Every call asks for it with a strict json_schema response_format (model \`${MODEL}\`, a system message and the text), plain or streamed (SSE, include_usage). Three targets, same bodies: the upstream directly, a gateway with \`capture: false\` (pure pass-through) and a gateway with capture on (defaults: shadow mode, no auto_serve), so every call through it is relayed and then learned as an example of its captured task; each gateway one process, SQLite, log level \`${s.log}\`. ` +
      `${s.rounds} rounds, each running the six (target, reply) pairs in a rotated order; each round's differences are paired within the round and their median is reported. Latency is every response's time in fractional ms (autocannon's client), not autocannon's whole-ms histogram. ` +
      `After each capture-on run the next waited until the gateway had learned every call it relayed (learn lag: ms after the load stopped; ${l.max_learn_lag_ms} ms at most). ` +
      `Learned by the capture-on gateway: ${Object.entries(l.by_status).map(([k, v]) => `${v.toLocaleString("en-US")} ${k}`).join(", ")} (calls cut off when a run stops count as error); its task \`${l.task ?? "none"}\` holds ${l.examples ?? "?"} examples, specialist v${l.model_version ?? "?"} of ${l.versions ?? "?"} versions trained during the run. ${r.seconds.toFixed(0)} s in all.`,
    "",
    markdownTable(["replies", "round", "requests/s: direct / off / on", "p50 ms: direct / off / on", "p99 ms: direct / off / on", "pass-through adds p50 / p99 ms (off − direct)", "capture adds p50 / p99 ms (on − off)", "requests/s lost (on vs off)", "gateway CPU µs/request: off / on", "learn lag ms"], rows),
    "",
    markdownTable(
      ["target", "goal", "this run", ""],
      r.targets.map((t) => [t.name, t.goal, t.value, t.met ? "PASS" : "**FAIL**"]),
    ),
    ...(r.altered_samples.length > 0 ? ["", `Altered replies, e.g.: ${r.altered_samples.map((a) => `${a.config} ${a.mode}: expected \`${a.expected.slice(0, 200)}\`, got \`${a.got.slice(0, 200)}\``).join("; ")}`] : []),
  ].join("\n");
}
