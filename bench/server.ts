// npm run bench:server [-- --connections N] [--duration S] [--pipelining N] [--batches N]
//                          [--max-error X] [--log info|off] [--phases chat,structured,mixed,predict,batch]
//                          [--rounds N] [--calibrate US,US,…] [--workers N] [--warmup S] [--quick]
//                          [--capture-rounds N] [--capture-duration S] [--capture-rate R]
//
// HTTP throughput and latency of the gateway on loopback, with autocannon. The server under test
// runs in its own process (bench/lib/server-child.ts, forked), autocannon in this one, so on a
// 2-core machine each has a core instead of sharing an event loop. In the same run and with the
// same autocannon settings, a bare Fastify app with one POST route (also in its own process) gives
// the ceiling the gateway is compared with.
//
// `--workers N` (default: one per core, as `apprentice serve --workers auto`): the gateway runs as
// N node:cluster worker processes sharing the port. The ceiling is then measured both ways, the
// bare app in one process and in N worker processes, and the better of the two is the ceiling
// (on this machine one process usually wins: autocannon needs a core of its own), so running
// the gateway in several processes cannot make the ceiling look lower than it is.
//
// Setup: a temporary SQLite file with an admin and a predict key; the banking-demo task with the
// simulated teacher (answering from the demo's gold labels); examples/banking-demo/train.csv
// imported as examples; one retrain, which promotes a specialist. Routing is set so the specialist
// answers most requests (see --max-error and taskBody below); the share the teacher answered is
// measured from the task's stats and reported.
//
// Phases, on the gateway: `chat`, POST /v1/chat/completions (model task:banking-demo) with bodies
// rotating over the demo's test texts the specialist answers (what the target is about:
// specialist-served chat completions); `mixed`, the same over all the test texts, the teacher
// answering the rest; `predict`, POST /v1/tasks/banking-demo/predict with one input (all texts);
// `batch`, `--batches` sequential predict requests of 1,000 inputs each, timed one by one;
// `structured`, POST /v1/chat/completions on the structured transfers-demo task (examples/
// transfers-demo: its train.jsonl answered by the simulated teacher through predict, then one
// retrain) with a strict json_schema response_format built from its fields, over the test texts
// its specialist answers: each reply is the object's JSON, reported as a share of the same ceiling.
// `--phases` runs a subset (e.g. `--phases chat` with BENCH_CHILD_EXECARGV="--cpu-prof" to
// profile one phase); targets on phases not run are reported as not measured. The gateway
// process's RSS is read from /proc before and after each phase.
//
// The machine is shared and its speed drifts by tens of percent within minutes, so the chat
// phase and the ceiling are measured in `--rounds` alternating pairs (ceiling, then chat) and the
// round with the median ratio is reported, with every round's ratio beside it.
//
// Calibration (`--calibrate`, default 25,50,100; none with --quick): the bare route again, in a
// fresh process, spinning that many µs of CPU per request before it answers. It shows what the
// 50% target leaves a server on this machine: how much work per request costs how much throughput.
//
// Capture (`--phases capture`, bench/lib/capture-overhead.ts), first, before any other server
// starts: what capture costs a call forwarded to an upstream LLM. The simulated upstream called
// directly, through a gateway with capture off and through one with capture on, with json_schema
// calls (every one captured and learned in shadow mode), plain and streamed, in
// `--capture-rounds` rotated rounds of `--capture-duration` s runs; every reply through a gateway
// is checked byte for byte against the upstream's own. `--phases capture` runs it alone (~2.5 min).
//
// Writes bench/results/server.json and the server section of bench/README.md (when every other
// phase ran), and bench/results/server-capture.json and the server-capture section (when the
// capture phase ran; not while profiling with BENCH_CHILD_EXECARGV).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { loadTransfersData, transfersResponseFormat } from "../src/cli/demo/transfers.js";
import { loadDatasetFile } from "../src/data/dataset-file.js";
import { argValue, numberFlag, REPO_ROOT } from "./lib/banking77.js";
import { captureMarkdown, measureCaptureOverhead } from "./lib/capture-overhead.js";
import { cpuMs, createBenchStore, heapMb, rssMb, startChild, stopChild } from "./lib/child.js";
import { markdownTable, updateReadmeSection, writeResult } from "./lib/report.js";

const DEMO_DIR = join(REPO_ROOT, "examples/banking-demo");
const TASK = "banking-demo";
const STRUCTURED_TASK = "transfers-demo";
const BATCH_SIZE = 1000;

const quick = process.argv.includes("--quick");
const settings = {
  connections: numberFlag("--connections", 10),
  duration_s: numberFlag("--duration", quick ? 3 : 10),
  pipelining: numberFlag("--pipelining", 1),
  warmup_s: numberFlag("--warmup", quick ? 1 : 3),
  batches: numberFlag("--batches", quick ? 5 : 20),
  rounds: numberFlag("--rounds", quick ? 1 : 3),
  workers: numberFlag("--workers", availableParallelism()),
  calibrate: (argValue("--calibrate") ?? (quick ? "" : "25,50,100")).split(",").filter((x) => x !== "").map(Number),
  max_error: numberFlag("--max-error", 0.1),
  log: argValue("--log") ?? "info",
  phases: (argValue("--phases") ?? "capture,chat,structured,mixed,predict,batch").split(","),
  capture_rounds: numberFlag("--capture-rounds", quick ? 1 : 5),
  capture_duration_s: numberFlag("--capture-duration", quick ? 2 : 4),
  capture_rate: numberFlag("--capture-rate", 0, { zero: true }),
};
const PHASES = ["chat", "structured", "mixed", "predict", "batch"];
for (const p of settings.phases) if (p !== "capture" && !PHASES.includes(p)) throw new Error(`--phases: unknown phase "${p}" (known: capture, ${PHASES.join(", ")})`);

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const pct = (x: number, d = 1) => `${(100 * x).toFixed(d)}%`;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function call(url: string, key: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text === "" ? null : JSON.parse(text) };
}

async function ok<T>(p: Promise<{ status: number; body: unknown }>, what: string): Promise<T> {
  const r = await p;
  if (r.status < 200 || r.status >= 300) throw new Error(`${what}: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 500)}`);
  return r.body as T;
}

interface Load {
  rps: number;
  requests: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Responses by status code, to tell what failed when something did. */
  status_codes: Record<string, number>;
  /** The server processes' CPU time per request during the measured run, µs. */
  server_cpu_us_per_request: number;
}

/** A ceiling measurement: the bare app in `processes` processes. */
type Ceiling = Load & { processes: number };

/** One autocannon run: `requests` rotate per connection; unless `warm`, a short untimed run first warms the JIT. */
async function load(url: string, pid: number, requests: autocannon.Request[], warm = false): Promise<Load> {
  const run = (duration: number) =>
    autocannon({ url, connections: settings.connections, pipelining: settings.pipelining, duration, requests, timeout: 10 });
  if (!warm) await run(settings.warmup_s);
  const cpu0 = cpuMs(pid);
  const r = await run(settings.duration_s);
  const cpu = cpuMs(pid) - cpu0;
  const total = r["2xx"] + r.non2xx;
  return {
    rps: Math.round(total / r.duration),
    requests: total,
    p50_ms: r.latency.p50,
    p99_ms: r.latency.p99,
    max_ms: r.latency.max,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    status_codes: Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([code, v]) => [code, v.count ?? 0])),
    server_cpu_us_per_request: total === 0 ? 0 : Math.round((cpu * 1000) / total),
  };
}

interface SourceCounts {
  requests: number;
  specialist: number;
  teacher: number;
  none: number;
}

async function sourceCounts(url: string, adminKey: string, task = TASK): Promise<SourceCounts> {
  const s = await ok<{ requests: number; by_source: { specialist: number; teacher: number; none: number } }>(call(url, adminKey, "GET", `/v1/tasks/${task}/stats`), "stats");
  return { requests: s.requests, ...s.by_source };
}

const servedShare = (s: SourceCounts) => (s.requests === 0 ? 0 : s.specialist / s.requests);
const chatBody = (text: string) => JSON.stringify({ model: `task:${TASK}`, messages: [{ role: "user", content: text }] });

/**
 * Trains the specialist the benchmark serves: POST /retrain, or, when another gateway worker
 * already holds the task's retrain lease (the example import made a first training due there),
 * the version that worker promotes.
 */
async function trainSpecialist(url: string, adminKey: string, task = TASK): Promise<{ model_version: number; threshold: number }> {
  const r = await call(url, adminKey, "POST", `/v1/tasks/${task}/retrain`);
  if (r.status === 200) {
    const report = r.body as { promoted: boolean; model_version: number; threshold: { threshold: number | null } | null };
    const threshold = report.threshold?.threshold;
    if (!report.promoted || threshold === null || threshold === undefined) throw new Error(`the retrain did not promote a specialist with a threshold: ${JSON.stringify(report).slice(0, 500)}`);
    return { model_version: report.model_version, threshold };
  }
  if (r.status !== 409) throw new Error(`retrain: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 500)}`);
  for (const until = Date.now() + 120_000; Date.now() < until; await new Promise((resolve) => setTimeout(resolve, 250))) {
    const models = await ok<{ promoted: number | null; data: { version: number; threshold: number | null }[] }>(call(url, adminKey, "GET", `/v1/tasks/${task}/models`), "models");
    const promoted = models.data.find((m) => m.version === models.promoted);
    if (promoted !== undefined) {
      if (promoted.threshold === null) throw new Error(`the other worker's retrain promoted v${promoted.version} without a threshold`);
      return { model_version: promoted.version, threshold: promoted.threshold };
    }
  }
  throw new Error("another gateway worker held the retrain lease and promoted nothing within 120 s");
}

interface Batch {
  size: number;
  requests: number;
  median_ms: number;
  max_ms: number;
  min_ms: number;
  server_cpu_ms_per_batch: number;
  failures: number;
  sources: SourceCounts;
  specialist_share: number;
}

const delta = (a: SourceCounts, b: SourceCounts) => ({
  requests: b.requests - a.requests,
  specialist: b.specialist - a.specialist,
  teacher: b.teacher - a.teacher,
  none: b.none - a.none,
});

/** Failed responses and warnings/errors in the gateway's JSON log (pino), with a few samples. */
function scanLog(path: string): { failed_responses: number; warnings_or_errors: number; samples: string[] } {
  let failed = 0;
  let bad = 0;
  const samples: string[] = [];
  let text = "";
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return { failed_responses: 0, warnings_or_errors: 0, samples: [] };
  }
  for (const line of text.split("\n")) {
    if (line === "") continue;
    let entry: { level?: number; msg?: string; res?: { statusCode?: number }; err?: { message?: string } };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue;
    }
    const isFailed = (entry.res?.statusCode ?? 200) >= 400;
    const isBad = (entry.level ?? 30) >= 40;
    if (isFailed) failed++;
    if (isBad) bad++;
    if ((isFailed || isBad) && samples.length < 5) samples.push(line.slice(0, 400));
  }
  return { failed_responses: failed, warnings_or_errors: bad, samples };
}

/** The capture section: measured, printed, and recorded in its own results file and README section. */
async function captureSection(childFlags: string[]): Promise<void> {
  const result = await measureCaptureOverhead({ connections: settings.connections, duration_s: settings.capture_duration_s, warmup_s: settings.warmup_s, rounds: settings.capture_rounds, log: settings.log, rate: settings.capture_rate, childFlags });
  const date = new Date().toISOString();
  const machine = { cpus: cpus().length, node: process.version };
  const md = captureMarkdown(result, date, machine);
  console.log(md);
  if (childFlags.length === 0) {
    // A paced run has its own file and section beside the closed-loop one.
    const name = settings.capture_rate > 0 ? "server-capture-paced" : "server-capture";
    const path = writeResult(name, { benchmark: name, date, machine, ...result });
    updateReadmeSection(name, md);
    console.error(`wrote ${path} and the ${name} section of bench/README.md`);
  }
}

async function main() {
  const started = performance.now();
  const childFlags = process.env.BENCH_CHILD_EXECARGV?.split(" ").filter(Boolean) ?? [];
  if (settings.phases.includes("capture")) {
    await captureSection(childFlags);
    if (settings.phases.every((p) => p === "capture")) return;
  }
  const labelled = async (f: string) => (await loadDatasetFile(join(DEMO_DIR, f), { textColumn: "text", labelColumn: "label" })).examples.map((e) => ({ text: e.text, label: e.label! }));
  const train = await labelled("train.csv");
  const test = await labelled("test.csv");
  const testTexts = test.map((e) => e.text);
  console.error(`settings: ${JSON.stringify(settings)}`);

  // (1) The ceiling: a bare Fastify process, idle while the gateway is measured and vice versa.
  // BENCH_CHILD_EXECARGV (read above): extra Node flags for the server processes, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const bareChildren = [{ processes: 1, child: await startChild(["bare"], "/dev/null", childFlags) }];
  if (settings.workers > 1) bareChildren.push({ processes: settings.workers, child: await startChild(["bare", "0", String(settings.workers)], "/dev/null", childFlags) });
  const ceilingRequests = testTexts.map((text): autocannon.Request => ({ method: "POST", path: "/v1/chat/completions", headers: { "content-type": "application/json" }, body: chatBody(text) }));
  /** The ceiling of each round: the better of the bare app's runs in that round. */
  const ceilings: Ceiling[] = [];
  /** Every bare run, for the report. */
  const bareRuns: Ceiling[][] = [];
  const measureCeiling = async () => {
    const runs: Ceiling[] = [];
    for (const { processes, child } of bareChildren) {
      runs.push({ ...(await load(child.url, child.pid, ceilingRequests, bareRuns.length > 0)), processes });
      console.error(`ceiling, ${processes} process(es): ${JSON.stringify(runs[runs.length - 1])}`);
    }
    bareRuns.push(runs);
    ceilings.push(runs.reduce((best, r) => (r.rps > best.rps ? r : best)));
  };

  // The gateway's store and keys, made before it starts (as `apprentice keys create` would).
  const dir = mkdtempSync(join(tmpdir(), "apprentice-bench-server-"));
  try {
  const dbPath = join(dir, "bench.db");
  const { adminKey, predictKey } = await createBenchStore(dbPath);

  const logPath = join(dir, "gateway.log");
  const gw = await startChild(["gateway", dbPath, settings.log, String(settings.workers)], logPath, ["--expose-gc", ...childFlags]);
  try {
    const url = gw.url;
    const taskFile = JSON.parse(readFileSync(join(DEMO_DIR, "task.json"), "utf8")) as Record<string, unknown>;
    const setupStarted = performance.now();
    await ok(
      call(url, adminKey, "POST", "/v1/tasks", {
        ...taskFile,
        teacher: { name: "sim" },
        // audit_rate 0: an audit sends a specialist-answered request to the teacher as well,
        // which is not the path measured here. retrain_every far above the run's traffic: a
        // background retrain (a worker thread training on the second core) would land in the
        // middle of a phase at a time that depends on the run.
        routing: { max_error: settings.max_error, confidence_level: 0.95, audit_rate: 0 },
        training: { retrain_every: 1_000_000, min_examples: 100, holdout_fraction: 0.3, seed: 1 },
      }),
      "create task",
    );
    await ok(call(url, adminKey, "POST", `/v1/tasks/${TASK}/examples`, train), "import examples");
    const retrain = await trainSpecialist(url, adminKey);
    // The structured task: its train.jsonl answered by the simulated teacher through predict (the
    // teacher's objects become its examples), then one retrain.
    const transfers = settings.phases.includes("structured") ? await loadTransfersData(false) : null;
    let structuredRetrain: { model_version: number; threshold: number } | null = null;
    if (transfers !== null) {
      await ok(
        call(url, adminKey, "POST", "/v1/tasks", {
          ...transfers.task,
          teacher: { name: "sim" },
          routing: { max_error: settings.max_error, confidence_level: 0.95, audit_rate: 0 },
          training: { retrain_every: 1_000_000, min_examples: 60, holdout_fraction: 0.3, seed: 1 },
        }),
        "create the structured task",
      );
      const trainTexts = transfers.gold.slice(0, transfers.trainCount).map((g) => g.text);
      await ok(call(url, predictKey, "POST", `/v1/tasks/${STRUCTURED_TASK}/predict`, { inputs: trainTexts }), "structured task: teacher answers");
      structuredRetrain = await trainSpecialist(url, adminKey, STRUCTURED_TASK);
    }
    const setupSeconds = (performance.now() - setupStarted) / 1000;
    // With several workers, the one that trained promoted the model; the others adopt it at their
    // next sync (every second), so wait for two.
    if (settings.workers > 1) await new Promise((resolve) => setTimeout(resolve, 2500));

    // Which test texts the specialist answers: one pass over them (also the first use of every
    // code path) before anything is timed.
    const probe = await ok<{ data: { source: string }[] }>(call(url, predictKey, "POST", `/v1/tasks/${TASK}/predict`, { inputs: testTexts }), "probe");
    const specialistTexts = testTexts.filter((_, i) => probe.data[i].source === "specialist");
    const probeSpecialist = specialistTexts.length / testTexts.length;
    console.error(`setup ${setupSeconds.toFixed(1)} s: model v${retrain.model_version}, threshold ${retrain.threshold.toFixed(3)}, specialist answers ${pct(probeSpecialist)} of the test texts`);
    // The same for the structured task, over its test.jsonl.
    const structuredTestTexts = transfers === null ? [] : transfers.gold.slice(transfers.trainCount).map((g) => g.text);
    let structuredTexts: string[] = [];
    if (transfers !== null) {
      const sprobe = await ok<{ data: { source: string }[] }>(call(url, predictKey, "POST", `/v1/tasks/${STRUCTURED_TASK}/predict`, { inputs: structuredTestTexts }), "structured probe");
      structuredTexts = structuredTestTexts.filter((_, i) => sprobe.data[i].source === "specialist");
      console.error(`structured task: model v${structuredRetrain!.model_version}, threshold ${structuredRetrain!.threshold.toFixed(3)}, specialist answers ${structuredTexts.length} of ${structuredTestTexts.length} test texts`);
      if (structuredTexts.length === 0) throw new Error("the structured specialist answers none of the test texts");
    }

    const auth = { authorization: `Bearer ${predictKey}`, "content-type": "application/json" };
    const rss: { phase: string; mb: number }[] = [{ phase: "after setup", mb: rssMb(gw.pid) }];
    const heap: { phase: string; mb: number }[] = [{ phase: "after setup", mb: await heapMb(gw) }];
    const phases: Partial<Record<"chat" | "structured" | "mixed" | "predict", Load & { sources: SourceCounts }>> = {};
    let ceilingOfChat: Ceiling | undefined;
    const after = async (name: string) => {
      rss.push({ phase: `after ${name}`, mb: rssMb(gw.pid) });
      heap.push({ phase: `after ${name}`, mb: await heapMb(gw) });
    };

    const measuredOnce = async (name: string, requests: autocannon.Request[], warm: boolean, task = TASK) => {
      const before = await sourceCounts(url, adminKey, task);
      const r = await load(url, gw.pid, requests, warm);
      const sources = delta(before, await sourceCounts(url, adminKey, task));
      await after(name);
      console.error(`${name}: ${JSON.stringify({ ...r, sources })}, RSS ${rss[rss.length - 1].mb} MB`);
      return { ...r, sources };
    };
    const measured = async (name: "mixed" | "predict", requests: autocannon.Request[]) => {
      if (settings.phases.includes(name)) phases[name] = await measuredOnce(name, requests, false);
    };
    const chatRequest = (text: string): autocannon.Request => ({ method: "POST", path: "/v1/chat/completions", headers: auth, body: chatBody(text) });

    // (2) Chat completions the specialist answers, in rounds alternating with the ceiling; (3)
    // the same over every test text.
    const chatRounds: { ceiling: Ceiling; chat: Load & { sources: SourceCounts }; ratio: number }[] = [];
    if (settings.phases.includes("chat")) {
      for (let i = 0; i < settings.rounds; i++) {
        await measureCeiling();
        const chat = await measuredOnce(`chat round ${i + 1}`, specialistTexts.map(chatRequest), i > 0);
        chatRounds.push({ ceiling: ceilings[ceilings.length - 1], chat, ratio: chat.rps / ceilings[ceilings.length - 1].rps });
      }
      const median = [...chatRounds].sort((a, b) => a.ratio - b.ratio)[Math.floor((chatRounds.length - 1) / 2)];
      phases.chat = median.chat;
      ceilingOfChat = median.ceiling;
    }
    if (ceilings.length === 0) await measureCeiling();
    const ceiling = ceilingOfChat ?? ceilings[0];
    // (2b) Structured chat completions the specialist answers, with a strict json_schema.
    if (transfers !== null) {
      const responseFormat = transfersResponseFormat(transfers);
      const structuredRequest = (text: string): autocannon.Request => ({
        method: "POST",
        path: "/v1/chat/completions",
        headers: auth,
        body: JSON.stringify({ model: `task:${STRUCTURED_TASK}`, messages: [{ role: "user", content: text }], response_format: responseFormat }),
      });
      phases.structured = await measuredOnce("structured", structuredTexts.map(structuredRequest), false, STRUCTURED_TASK);
    }
    await measured("mixed", testTexts.map(chatRequest));
    // (4) Predict, one input per request.
    await measured("predict", testTexts.map((text) => ({ method: "POST", path: `/v1/tasks/${TASK}/predict`, headers: auth, body: JSON.stringify({ input: text }) })));

    // (5) Batches of 1,000 inputs (the test texts repeated), one request at a time, each timed
    // from send to parsed reply. Two untimed batches first.
    let batch: Batch | undefined;
    if (settings.phases.includes("batch")) {
      const batchInputs = Array.from({ length: BATCH_SIZE }, (_, i) => testTexts[i % testTexts.length]);
      const batchBefore = await sourceCounts(url, adminKey);
      const batchMs: number[] = [];
      let batchFailures = 0;
      let batchCpu = 0;
      for (let i = 0; i < settings.batches + 2; i++) {
        const cpu0 = cpuMs(gw.pid);
        const t0 = performance.now();
        const r = await call(url, predictKey, "POST", `/v1/tasks/${TASK}/predict`, { inputs: batchInputs });
        const ms = performance.now() - t0;
        if (i >= 2) batchCpu += cpuMs(gw.pid) - cpu0;
        const n = (r.body as { data?: unknown[] } | null)?.data?.length;
        if (r.status !== 200 || n !== BATCH_SIZE) batchFailures++;
        if (i >= 2) batchMs.push(ms);
      }
      const sources = delta(batchBefore, await sourceCounts(url, adminKey));
      await after("batch");
      batch = { size: BATCH_SIZE, requests: settings.batches, median_ms: round(median(batchMs), 1), max_ms: round(Math.max(...batchMs), 1), min_ms: round(Math.min(...batchMs), 1), server_cpu_ms_per_batch: round(batchCpu / settings.batches, 1), failures: batchFailures, sources, specialist_share: round(servedShare(sources), 4) };
      console.error(`batch: ${JSON.stringify(batch)}, RSS ${rss[rss.length - 1].mb} MB`);
    }

    // (6) Calibration: the bare route with CPU work added per request.
    const calibration: { busy_us: number; rps: number; server_cpu_us_per_request: number; of_ceiling: number }[] = [];
    for (const busy of settings.calibrate) {
      const child = await startChild(["bare", String(busy)], "/dev/null", childFlags);
      try {
        const l = await load(child.url, child.pid, ceilingRequests);
        calibration.push({ busy_us: busy, rps: l.rps, server_cpu_us_per_request: l.server_cpu_us_per_request, of_ceiling: round(l.rps / ceiling.rps, 3) });
        console.error(`calibration ${busy} µs: ${JSON.stringify(l)}`);
      } finally {
        await stopChild(child);
      }
    }

    const log = scanLog(logPath);
    if (log.samples.length > 0) console.error(`gateway log: ${log.failed_responses} failed responses, ${log.warnings_or_errors} warnings/errors, e.g.\n${log.samples.join("\n")}`);
    const totalSeconds = (performance.now() - started) / 1000;
    const { chat, structured } = phases;
    const loads: Load[] = [...bareRuns.flat(), ...chatRounds.map((r) => r.chat), ...(structured ? [structured] : []), ...(phases.mixed ? [phases.mixed] : []), ...(phases.predict ? [phases.predict] : [])];
    const failed = loads.reduce((n, l) => n + l.non2xx + l.errors, 0) + (batch?.failures ?? 0);
    const heapGrowth = round(heap[heap.length - 1].mb - heap[0].mb, 1);
    const target = (name: string, goal: string, value: string | undefined, met: boolean) => ({ name, goal, value: value ?? "not measured (phase not run)", met: value !== undefined && met });
    const targets = [
      target("specialist-served chat throughput", "≥ 50% of the bare Fastify ceiling", chat && `${chat.rps.toLocaleString("en-US")} rps = ${pct(chat.rps / ceiling.rps)}`, chat !== undefined && chat.rps >= 0.5 * ceiling.rps),
      target("chat p99 latency at that load", "≤ 10 ms", chat && `${chat.p99_ms} ms`, chat !== undefined && chat.p99_ms <= 10),
      target("specialist-served structured chat throughput (json_schema)", "≥ 35% of the bare Fastify ceiling", structured && `${structured.rps.toLocaleString("en-US")} rps = ${pct(structured.rps / ceiling.rps)}`, structured !== undefined && structured.rps >= 0.35 * ceiling.rps),
      target(`batch of ${BATCH_SIZE.toLocaleString("en-US")} inputs`, "≤ 50 ms (median)", batch && `${batch.median_ms} ms (max ${batch.max_ms})`, batch !== undefined && batch.median_ms <= 50),
      target("failed requests", "0 (non-2xx, errors, timeouts)", String(failed), failed === 0),
      target("memory stable: live heap after GC, growth over the phases", "≤ 5 MB", `${heapGrowth} MB (${heap.map((h) => h.mb).join(" → ")}); RSS ${rss[0].mb} → ${rss[rss.length - 1].mb} MB`, heapGrowth <= 5),
    ];
    const withShare = (l: (Load & { sources: SourceCounts }) | undefined) => l && { ...l, specialist_share: round(servedShare(l.sources), 4) };
    const result = {
      benchmark: "server",
      setup: {
        task: TASK,
        imported_examples: train.length,
        body_texts: testTexts.length,
        teacher: "simulated, answers from the demo's gold labels (accuracy 1)",
        routing: { max_error: settings.max_error, confidence_level: 0.95, audit_rate: 0 },
        model_version: retrain.model_version,
        threshold: round(retrain.threshold, 4),
        probe_specialist_share: round(probeSpecialist, 4),
        specialist_texts: specialistTexts.length,
        structured:
          structuredRetrain === null
            ? null
            : { task: STRUCTURED_TASK, model_version: structuredRetrain.model_version, threshold: round(structuredRetrain.threshold, 4), test_texts: structuredTestTexts.length, specialist_texts: structuredTexts.length },
        gateway_log_level: settings.log,
        store: "SQLite (temporary file, WAL)",
        setup_seconds: round(setupSeconds, 1),
      },
      settings,
      machine: { cpus: cpus().length, node: process.version },
      date: new Date().toISOString(),
      ceiling,
      chat: withShare(chat),
      structured: withShare(structured),
      calibration,
      bare_runs: bareRuns.map((runs) => runs.map((r) => ({ processes: r.processes, rps: r.rps, server_cpu_us_per_request: r.server_cpu_us_per_request }))),
      chat_rounds: chatRounds.map((r) => ({ ceiling_rps: r.ceiling.rps, ceiling_processes: r.ceiling.processes, chat_rps: r.chat.rps, ratio: round(r.ratio, 3), ceiling_cpu_us: r.ceiling.server_cpu_us_per_request, chat_cpu_us: r.chat.server_cpu_us_per_request })),
      mixed: withShare(phases.mixed),
      predict: withShare(phases.predict),
      batch,
      rss_mb: rss,
      heap_after_gc_mb: heap,
      gateway_log: log,
      targets,
      wall_seconds: round(totalSeconds, 1),
    };
    const md = markdown(result);
    console.log(md);
    // A partial run (for profiling) does not replace the published results.
    if (PHASES.every((p) => settings.phases.includes(p))) {
      const path = writeResult("server", result);
      updateReadmeSection("server", md);
      console.error(`wrote ${path} and the server section of bench/README.md`);
    }
  } finally {
    await stopChild(gw);
  }
  } finally {
    for (const { child } of bareChildren) await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

type Phase = Load & { sources: SourceCounts; specialist_share: number };
type Round = { ceiling_rps: number; chat_rps: number; ratio: number; ceiling_cpu_us: number; chat_cpu_us: number };
type Result = {
  setup: {
    threshold: number;
    model_version: number;
    probe_specialist_share: number;
    specialist_texts: number;
    gateway_log_level: string;
    routing: { max_error: number };
    structured: { task: string; model_version: number; threshold: number; test_texts: number; specialist_texts: number } | null;
  };
  settings: typeof settings;
  machine: { cpus: number; node: string };
  date: string;
  ceiling: Ceiling;
  bare_runs: { processes: number; rps: number; server_cpu_us_per_request: number }[][];
  chat?: Phase;
  structured?: Phase;
  chat_rounds: Round[];
  calibration: { busy_us: number; rps: number; server_cpu_us_per_request: number; of_ceiling: number }[];
  mixed?: Phase;
  predict?: Phase;
  batch?: Batch;
  rss_mb: { phase: string; mb: number }[];
  heap_after_gc_mb: { phase: string; mb: number }[];
  targets: { name: string; goal: string; value: string; met: boolean }[];
  wall_seconds: number;
};

function markdown(r: Result): string {
  const s = r.settings;
  const loadRow = (name: string, l: Load, share: string) => [
    name,
    l.rps.toLocaleString("en-US"),
    pct(l.rps / r.ceiling.rps, 0),
    l.p50_ms,
    l.p99_ms,
    l.server_cpu_us_per_request,
    l.non2xx + l.errors,
    share,
  ];
  const served = (x: { specialist_share: number; sources: SourceCounts }) => `${pct(x.specialist_share)} (${x.sources.teacher.toLocaleString("en-US")} teacher)`;
  const rows = [loadRow(`bare Fastify, one POST route (ceiling), ${r.ceiling.processes === 1 ? "1 process" : `${r.ceiling.processes} worker processes`}`, r.ceiling, "–")];
  const phaseRows: [string, Phase | undefined][] = [
    [`POST /v1/chat/completions, the ${r.setup.specialist_texts} texts the specialist answers`, r.chat],
    [`POST /v1/chat/completions on ${r.setup.structured?.task ?? "the structured task"} with a json_schema response_format, the ${r.setup.structured?.specialist_texts ?? 0} texts its specialist answers`, r.structured],
    ["POST /v1/chat/completions, all 180 texts (mixed)", r.mixed],
    ["POST /v1/tasks/:name/predict, one input, all 180 texts", r.predict],
  ];
  for (const [name, phase] of phaseRows) if (phase) rows.push(loadRow(name, phase, served(phase)));
  const b = r.batch;
  return [
    `### Gateway over HTTP (${r.date.slice(0, 10)}, ${r.machine.cpus} cores, Node ${r.machine.node})`,
    "",
    `autocannon on 127.0.0.1, ${s.connections} connections, pipelining ${s.pipelining}, ${s.duration_s} s per phase after a ${s.warmup_s} s warm-up; ` +
      `the gateway (SQLite store, log level \`${r.setup.gateway_log_level}\` as \`apprentice serve\`, ${s.workers === 1 ? "one process" : `${s.workers} worker processes as \`apprentice serve --workers ${s.workers}\``}) and the bare Fastify ceiling each in their own process(es). ` +
      (s.workers > 1
        ? `The ceiling of each round is the better of the bare app in 1 process and in ${s.workers} (each round's runs, requests/s: ${r.bare_runs.map((runs) => runs.map((x) => `${x.rps.toLocaleString("en-US")} (${x.processes})`).join(" vs ")).join("; ")}). `
        : "") +
      `banking-demo task, train.csv imported, specialist v${r.setup.model_version} promoted (max_error ${r.setup.routing.max_error}, threshold ${r.setup.threshold.toFixed(3)}, no audits); ` +
      `of the 180 test texts the specialist answers ${r.setup.specialist_texts} (${pct(r.setup.probe_specialist_share)}), the simulated teacher the rest. ` +
      (r.setup.structured
        ? `Structured phase: ${r.setup.structured.task} (examples/transfers-demo: train.jsonl answered by the simulated teacher through predict, then one retrain), specialist v${r.setup.structured.model_version} (threshold ${r.setup.structured.threshold.toFixed(3)}) answers ${r.setup.structured.specialist_texts} of its ${r.setup.structured.test_texts} test texts; each request carries a strict json_schema of its 5 fields and gets the object's JSON. `
        : "") +
      `The ceiling gets the same chat bodies (all 180 texts). Specialist share measured from the task's stats over each phase. ` +
      (r.chat_rounds.length > 1
        ? `The ceiling and the specialist-served chat phase ran in ${r.chat_rounds.length} alternating rounds; shown is the round with the median ratio (all rounds: ${r.chat_rounds.map((x) => `${x.chat_rps.toLocaleString("en-US")}/${x.ceiling_rps.toLocaleString("en-US")} = ${pct(x.ratio)}`).join(", ")}).`
        : ""),
    "",
    markdownTable(["phase", "requests/s", "of ceiling", "p50 ms", "p99 ms", "server CPU µs/request", "failed", "specialist-served"], rows),
    "",
    ...(b
      ? [
          `Batch predict of ${b.size.toLocaleString("en-US")} inputs, ${b.requests} sequential requests: median ${b.median_ms} ms, max ${b.max_ms} ms (server CPU ${b.server_cpu_ms_per_batch} ms per batch), ` +
            `${b.failures} failed, specialist-served ${served(b)}.`,
        ]
      : []),
    ...(r.calibration.length > 0
      ? [
          `Calibration, the bare route spinning N µs of CPU per request before answering (its own process, after the phases above): ` +
            r.calibration.map((c) => `${c.busy_us} µs → ${c.rps.toLocaleString("en-US")} rps, ${pct(c.of_ceiling, 0)} of the ceiling (${c.server_cpu_us_per_request} µs CPU/request)`).join("; ") +
            ".",
        ]
      : []),
    `Gateway live heap after GC (MB): ${r.heap_after_gc_mb.map((x) => `${x.phase} ${x.mb}`).join(", ")}; RSS (MB, includes the allocator's high-water mark): ${r.rss_mb.map((x) => `${x.phase} ${x.mb}`).join(", ")}. ${r.wall_seconds.toFixed(0)} s in all.`,
    "",
    markdownTable(
      ["target", "goal", "this run", ""],
      r.targets.map((t) => [t.name, t.goal, t.value, t.met ? "PASS" : "**FAIL**"]),
    ),
  ].join("\n");
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
