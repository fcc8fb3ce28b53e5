// npm run bench:reliability [-- --duration S] [--quick] [--connections N] [--fault-rate X] [--kill-after N] [--probe-ms MS] [--anonymous-address IP]
//
// The soak benchmark: the gateway under a mixed load while its teacher fails, a retrain runs, and
// the process is killed (SIGKILL) mid-load and restarted on the same database.
//
// Setup: a temporary SQLite file; the gateway in a child process (bench/lib/server-child.ts
// task-gateway, on a fixed loopback port so a restart keeps its URL) with `requestLog: "sync"`
// (each request's log row committed before the reply: with the default write-behind log, a
// SIGKILL loses the rows of the last ~50 ms, the documented trade-off, and "requests lost" could
// not be required to be 0). Two copies of the banking-demo task, train.csv imported, a specialist
// trained: `spec` (teacher.on_failure "specialist") and `fail` (on_failure "fail"). Their teacher is
// the real OpenAITeacher (provider "openai", timeout_ms 500, max_retries 1) pointed at a
// fault-injecting OpenAI-protocol server in this process (test/support/fault-teacher.ts) that
// answers the demo's gold label, except for a share of calls (--fault-rate, default 20%) that get
// a 500, 503, 429, connection reset, timeout, malformed JSON or an off-list label.
//
// Load (autocannon, in this process): per connection a cycle of 20 requests: predict with one input
// (7), chat completions (6), feedback on request ids from earlier replies (2), small JSON imports of
// 3 examples (2) and deliberately bad bodies (3: malformed JSON, wrong types, too many inputs, an
// empty chat, an import with an unknown label), which must all be answered 4xx. Every predicted and
// imported text is unique (a demo text with a "[rN]" suffix), so that each acknowledged example can
// be looked up afterwards. A retrain (POST /retrain) is started at 25% and 75% of the run; the tasks
// retrain in the background as examples arrive (retrain_every 300).
//
// The crash: once --kill-after replies have arrived (default: at half the duration), the gateway is
// SIGKILLed, the load stopped (requests in flight get no reply: they were never acknowledged),
// the gateway restarted on the same file and port, and the load resumed for the rest of the
// duration. Afterwards, with the gateway stopped: every example acknowledged (an import's accepted
// rows, a prediction the teacher answered) must be in the store, every acknowledged prediction
// must have its request-log row, and SQLite's integrity check must pass.
//
// The attacker (bench/lib/attacker.ts, issue 20) runs beside the load in each segment and stops
// before the kill: oversized imports, forced-teacher floods (a predict key, and a key with
// force_teacher and a budget of 20 teacher calls per hour), huge batches and anonymous floods
// (from 127.0.0.2, so that the failed-auth limiter sees another client than the load's). Every
// reply outside an attack's expected statuses, any 5xx and any request without a reply fails the
// run, as do a refused import's row in the store and anything acknowledged to the attacker that the
// store lacks. Meanwhile a worker thread times GET /healthz every --probe-ms (10 ms), after 2 s on
// the idle gateway for the floor; the machine's load average is sampled every 5 s.
//
// Writes bench/results/reliability.json and the reliability section of bench/README.md.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { createServer } from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { loadDatasetFile } from "../src/data/dataset-file.js";
import { MAX_PREDICT_INPUTS } from "../src/server/routes/prediction-schemas.js";
import { openStore } from "../src/store/index.js";
import { SqliteDatabase } from "../src/store/sqlite-driver.js";
import { call, seededRandom } from "../test/crash/harness.js";
import { fault, FaultTeacher, type Fault } from "../test/support/fault-teacher.js";
import { ATTACK_MARK, Attacker, type AttackCounts } from "./lib/attacker.js";
import { argValue, numberFlag, REPO_ROOT } from "./lib/banking77.js";
import { createBenchStore, heapMb, killChild9, rssMb, startChild, stopChild, type Child } from "./lib/child.js";
import { probeHealthz, probeStats, startHealthzProbe, type ProbeSamples, type ProbeStats } from "./lib/healthz-probe.js";
import { markdownTable, updateReadmeSection, writeResult } from "./lib/report.js";

const DEMO_DIR = join(REPO_ROOT, "examples/banking-demo");
const TASKS = { spec: "banking-spec", fail: "banking-fail" } as const;
const KEY_ENV = "APPRENTICE_BENCH_TEACHER_KEY";

const quick = process.argv.includes("--quick");
const settings = {
  duration_s: numberFlag("--duration", quick ? 10 : 60),
  connections: numberFlag("--connections", 10),
  fault_rate: numberFlag("--fault-rate", 0.2),
  kill_after: argValue("--kill-after") === undefined ? null : numberFlag("--kill-after", 1),
  teacher_timeout_ms: 500,
  teacher_max_retries: 1,
  retrain_every: 300,
  request_log: "sync" as const,
  healthz_probe_ms: numberFlag("--probe-ms", 10),
  metered_key_calls_per_hour: 20,
  // Another loopback address is another client to the failed-auth limiter; 127.0.0.1 shares the load's (as callers behind one proxy do).
  anonymous_address: argValue("--anonymous-address") ?? "127.0.0.2",
};

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const percentile = (sorted: number[], p: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]);
const inc = (m: Record<string, number>, k: string, n = 1) => void (m[k] = (m[k] ?? 0) + n);

/** A free loopback port (the gateway's, kept across the restart). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => (typeof a === "object" && a !== null ? resolve(a.port) : reject(new Error("no port"))));
    });
  });
}

/**
 * One POST on a connection of its own (no keep-alive pool): the server closes the connection after
 * a malformed body, which a pooled client could race with its next request.
 */
function postOnce(url: string, key: string, path: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url + path, { method: "POST", agent: false, headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on("error", reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end(body);
  });
}

/** Retrain reports and error-level lines in the gateway's JSON log (pino). */
function scanLog(path: string): { retrains: number; promoted: number; errors: number; samples: string[] } {
  const out = { retrains: 0, promoted: 0, errors: 0, samples: [] as string[] };
  let text = "";
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return out;
  }
  for (const line of text.split("\n")) {
    let e: { level?: number; msg?: string; promoted?: boolean };
    try {
      e = JSON.parse(line) as typeof e;
    } catch {
      continue;
    }
    if (e.msg === "retrained") {
      out.retrains++;
      if (e.promoted === true) out.promoted++;
    }
    if ((e.level ?? 30) >= 50) {
      out.errors++;
      if (out.samples.length < 5) out.samples.push(line.slice(0, 400));
    }
  }
  return out;
}

type Kind = "predict" | "chat" | "feedback" | "import" | "bad";
type Outcome = { kind: Kind; task: string; status: number; code: string | null };

async function main() {
  const started = performance.now();
  const labelled = async (f: string) => (await loadDatasetFile(join(DEMO_DIR, f), { textColumn: "text", labelColumn: "label" })).examples.map((e) => ({ text: e.text, label: e.label! }));
  const train = await labelled("train.csv");
  const test = await labelled("test.csv");
  const gold = new Map([...train, ...test].map((e) => [e.text, e.label]));
  const taskFile = JSON.parse(readFileSync(join(DEMO_DIR, "task.json"), "utf8")) as { labels: { name: string }[] } & Record<string, unknown>;
  const labels = taskFile.labels.map((l) => l.name);
  console.error(`settings: ${JSON.stringify(settings)}`);

  // The teacher: gold labels, a share of faults drawn from a seeded PRNG, counted by kind.
  const teacher = await FaultTeacher.start();
  const rng = seededRandom(7);
  const faultKinds: (() => Fault)[] = [() => fault.status(500), () => fault.status(503), () => fault.rateLimited("0"), () => fault.reset(), () => fault.timeout(), () => fault.malformedJson(), () => fault.offLabel()];
  const faultName = (f: Fault) => (f.kind === "status" ? `http_${f.status}` : f.kind);
  const injected: Record<string, number> = {};
  let teacherCalls = 0;
  const goldOf = (text: string) => gold.get(text.replace(/ \[r\d+\]$/, "")) ?? labels[0];
  teacher.normal = (text) => {
    teacherCalls++;
    if (rng() >= settings.fault_rate) return fault.answer(goldOf(text));
    const f = faultKinds[Math.floor(rng() * faultKinds.length)]();
    inc(injected, faultName(f));
    return f;
  };
  // FaultTeacher keeps every request (with its prompt): drop them, the counts above are enough.
  const trim = setInterval(() => void (teacher.requests.length = 0), 1000);

  const dir = mkdtempSync(join(tmpdir(), "apprentice-bench-reliability-"));
  const dbPath = join(dir, "bench.db");
  let gw: Child | null = null;
  try {
    const { adminKey, predictKey } = await createBenchStore(dbPath);
    const store = await openStore(dbPath);
    const meteredKey = (await store.apiKeys.create("bench attacker metered", "predict", { force_teacher: true, teacher_budget: { calls_per_hour: settings.metered_key_calls_per_hour } })).key;
    await store.close();
    process.env[KEY_ENV] = "sk-bench-fault-teacher";
    const port = await freePort();
    // The fault server is the operator's declared teacher; the tasks name it.
    const faultTeacher = { provider: "openai", model: "fault-model", base_url: teacher.baseURL, api_key_env: KEY_ENV, timeout_ms: settings.teacher_timeout_ms, max_retries: settings.teacher_max_retries, concurrency: 32 };
    const childArgs = ["task-gateway", dbPath, "info", String(port), settings.request_log, JSON.stringify({ fault: faultTeacher })];
    const logPath = (n: number) => join(dir, `gateway-${n}.log`);
    gw = await startChild(childArgs, logPath(1), ["--expose-gc"]);
    const url = gw.url;

    // Setup: both tasks, train.csv imported, a specialist promoted.
    const setupStarted = performance.now();
    const setupModel: Record<string, number> = {};
    for (const [policy, name] of Object.entries(TASKS)) {
      const ok = async (r: Promise<{ status: number; body: unknown }>, what: string) => {
        const x = await r;
        if (x.status < 200 || x.status >= 300) throw new Error(`${what} (${name}): HTTP ${x.status} ${JSON.stringify(x.body).slice(0, 400)}`);
        return x.body as { promoted?: boolean; model_version?: number };
      };
      await ok(
        call(url, adminKey, "POST", "/v1/tasks", {
          ...taskFile,
          name,
          teacher: { name: "fault", on_failure: policy === "spec" ? "specialist" : "fail" },
          routing: { max_error: 0.1, confidence_level: 0.95, audit_rate: 0.05 },
          training: { retrain_every: settings.retrain_every, min_examples: 100, holdout_fraction: 0.3, seed: 1 },
        }),
        "create task",
      );
      await ok(call(url, adminKey, "POST", `/v1/tasks/${name}/examples`, train), "import");
      const r = await ok(call(url, adminKey, "POST", `/v1/tasks/${name}/retrain`), "retrain");
      if (r.promoted !== true) throw new Error(`the setup retrain of ${name} promoted no specialist`);
      setupModel[name] = r.model_version ?? 0;
    }
    // A few request ids for the first feedback requests.
    const feedbackIds: { task: string; id: string }[] = [];
    for (const name of Object.values(TASKS)) {
      const r = await call(url, predictKey, "POST", `/v1/tasks/${name}/predict`, { inputs: test.slice(0, 20).map((e) => e.text) });
      for (const d of (r.body as { data?: { request_id: string; source: string }[] }).data ?? []) if (d.source !== "none") feedbackIds.push({ task: name, id: d.request_id });
    }
    const setupSeconds = (performance.now() - setupStarted) / 1000;
    const memStart = { rss_mb: rssMb(gw.pid), heap_mb: await heapMb(gw) };
    console.error(`setup ${setupSeconds.toFixed(1)} s; gateway RSS ${memStart.rss_mb} MB, heap ${memStart.heap_mb} MB`);

    // What the load saw. `acked*`: what replies acknowledged, checked against the store at the end.
    const outcomes = new Map<string, number>(); // JSON of an Outcome → count
    const latencies: number[] = [];
    const ackedExamples: { task: string; text: string; segment: number }[] = [];
    const ackedRequests: { id: string; segment: number }[] = [];
    let segment = 1;
    let textCounter = 0;
    const nextText = () => {
      const i = textCounter++;
      return `${test[i % test.length].text} [r${i}]`;
    };
    const record = (kind: Kind, task: string, status: number, body: string): unknown => {
      let parsed: unknown = null;
      try {
        parsed = JSON.parse(body);
      } catch {
        // not JSON
      }
      const code = (parsed as { error?: { code?: string | null } } | null)?.error?.code ?? null;
      const key = JSON.stringify({ kind, task, status, code: status >= 400 ? code : null } satisfies Outcome);
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      return parsed;
    };
    type Ctx = { text?: string; texts?: string[] };
    const auth = (key: string) => ({ authorization: `Bearer ${key}`, "content-type": "application/json" });
    const onPrediction = (task: string, text: string | undefined, p: { request_id?: string; source?: string; status?: string } | undefined) => {
      if (p?.request_id === undefined) return;
      ackedRequests.push({ id: p.request_id, segment });
      if (p.source !== "none" && feedbackIds.length < 5000) feedbackIds.push({ task, id: p.request_id });
      if (p.source === "teacher" && p.status === "ok" && text !== undefined) ackedExamples.push({ task, text, segment });
    };
    const predictReq = (task: string): autocannon.Request => ({
      method: "POST",
      path: `/v1/tasks/${task}/predict`,
      headers: auth(predictKey),
      setupRequest: (req, context) => {
        const text = nextText();
        (context as Ctx).text = text;
        return { ...req, body: JSON.stringify({ input: text }) };
      },
      onResponse: (status, body, context) => {
        const p = record("predict", task, status, body);
        if (status === 200) onPrediction(task, (context as Ctx).text, p as Parameters<typeof onPrediction>[2]);
      },
    });
    const chatReq = (task: string): autocannon.Request => ({
      method: "POST",
      path: "/v1/chat/completions",
      headers: auth(predictKey),
      setupRequest: (req, context) => {
        const text = nextText();
        (context as Ctx).text = text;
        return { ...req, body: JSON.stringify({ model: `task:${task}`, messages: [{ role: "user", content: text }] }) };
      },
      onResponse: (status, body, context) => {
        const p = record("chat", task, status, body) as { apprentice?: Parameters<typeof onPrediction>[2] } | null;
        if (status === 200) onPrediction(task, (context as Ctx).text, p?.apprentice);
      },
    });
    let feedbackPick = 0;
    const pick = seededRandom(11);
    const feedbackReq = (): autocannon.Request => ({
      method: "POST",
      path: `/v1/tasks/${TASKS.spec}/feedback`,
      headers: auth(adminKey),
      setupRequest: (req, context) => {
        const f = feedbackIds[Math.floor(pick() * feedbackIds.length)];
        (context as Ctx).text = f.task;
        return { ...req, path: `/v1/tasks/${f.task}/feedback`, body: JSON.stringify({ request_id: f.id, label: labels[feedbackPick++ % labels.length] }) };
      },
      onResponse: (status, body, context) => void record("feedback", (context as Ctx).text ?? "?", status, body),
    });
    const importReq = (task: string): autocannon.Request => ({
      method: "POST",
      path: `/v1/tasks/${task}/examples`,
      headers: auth(adminKey),
      setupRequest: (req, context) => {
        const rows = [0, 1, 2].map(() => {
          const i = textCounter++;
          const e = train[i % train.length];
          return { text: `${e.text} [r${i}]`, label: e.label };
        });
        (context as Ctx).texts = rows.map((r) => r.text);
        return { ...req, body: JSON.stringify(rows) };
      },
      onResponse: (status, body, context) => {
        const p = record("import", task, status, body) as { accepted?: number } | null;
        const texts = (context as Ctx).texts ?? [];
        if (status === 200 && p?.accepted === texts.length) for (const text of texts) ackedExamples.push({ task, text, segment });
        else if (status === 200) console.error(`import accepted ${p?.accepted} of ${texts.length}`);
      },
    });
    const tooMany = JSON.stringify({ inputs: Array.from({ length: MAX_PREDICT_INPUTS + 1 }, (_, i) => test[i % test.length].text) });
    const badBodies: { path: string; key: string; body: string }[] = [
      { path: `/v1/tasks/${TASKS.fail}/predict`, key: predictKey, body: JSON.stringify({ input: 42 }) },
      { path: `/v1/tasks/${TASKS.spec}/predict`, key: predictKey, body: JSON.stringify({ inputs: "not an array" }) },
      { path: `/v1/tasks/${TASKS.fail}/predict`, key: predictKey, body: tooMany },
      { path: "/v1/chat/completions", key: predictKey, body: JSON.stringify({ model: `task:${TASKS.spec}`, messages: [] }) },
      { path: "/v1/chat/completions", key: predictKey, body: JSON.stringify({ model: `task:${TASKS.fail}`, messages: "hello" }) },
      { path: `/v1/tasks/${TASKS.spec}/examples`, key: adminKey, body: JSON.stringify([{ text: "x", label: "not-a-label" }]) },
      { path: `/v1/tasks/${TASKS.fail}/feedback`, key: adminKey, body: JSON.stringify({ request_id: 7, label: labels[0] }) },
    ];
    // Malformed JSON is sent by a side loop (below), not by autocannon: Fastify answers it 400 and
    // closes the connection, and autocannon, reconnecting, then pairs later replies with the wrong
    // requests (it keeps the lost request in its queue), which would mix up the per-kind counts.
    const malformed = '{"input": "my card has not arrived';
    let badPick = 0;
    const badReq = (): autocannon.Request => ({
      method: "POST",
      path: badBodies[0].path,
      headers: auth(predictKey),
      setupRequest: (req) => {
        const b = badBodies[badPick++ % badBodies.length];
        return { ...req, path: b.path, headers: auth(b.key), body: b.body };
      },
      onResponse: (status, body) => void record("bad", "-", status, body),
    });
    const cycle: autocannon.Request[] = [
      predictReq(TASKS.spec), chatReq(TASKS.fail), badReq(), predictReq(TASKS.fail), chatReq(TASKS.spec), feedbackReq(), predictReq(TASKS.spec),
      importReq(TASKS.spec), chatReq(TASKS.fail), predictReq(TASKS.fail), badReq(), chatReq(TASKS.spec), predictReq(TASKS.spec), feedbackReq(),
      predictReq(TASKS.fail), chatReq(TASKS.spec), importReq(TASKS.fail), badReq(), chatReq(TASKS.fail), predictReq(TASKS.spec),
    ];

    let connectionErrors = 0;
    let responses = 0;
    const run = (duration: number) => {
      let finish: (r: autocannon.Result) => void = () => undefined;
      let fail: (err: unknown) => void = () => undefined;
      const done = new Promise<autocannon.Result>((resolve, reject) => ((finish = resolve), (fail = reject)));
      const instance = autocannon({ url, connections: settings.connections, pipelining: 1, duration, requests: cycle, timeout: 10 }, (err, r) => (err ? fail(err) : finish(r)));
      instance.on("response", (_client: unknown, _status: number, _bytes: number, ms: number) => {
        responses++;
        latencies.push(ms);
      });
      return { instance, done };
    };

    // Retrains during the load, started without waiting; a reply lost to the crash is reported as such.
    const retrains: { task: string; at_s: number; status: number | string; promoted: boolean | null }[] = [];
    const retrainTimers: NodeJS.Timeout[] = [];
    const loadStarted = performance.now();
    const elapsed = () => (performance.now() - loadStarted) / 1000;
    const pendingRetrains: Promise<void>[] = [];
    const retrainAt = (task: string, afterS: number) =>
      retrainTimers.push(
        setTimeout(() => {
          const entry = { task, at_s: round(elapsed(), 1), status: "pending" as number | string, promoted: null as boolean | null };
          retrains.push(entry);
          pendingRetrains.push(
            postOnce(url, adminKey, `/v1/tasks/${task}/retrain`, "{}").then(
              (r) => void ((entry.status = r.status), (entry.promoted = (JSON.parse(r.body) as { promoted?: boolean } | null)?.promoted ?? null)),
              (err: unknown) => void (entry.status = `no reply (${(err as Error).message}: ${String((err as { cause?: unknown }).cause)})`),
            ),
          );
        }, afterS * 1000),
      );
    // One retrain in each half: halfway to the kill, and halfway through the rest after the restart.
    retrainAt(TASKS.spec, settings.duration_s / 4);

    // The malformed-JSON side loop: one request at a time, a pause between, while `sideLoopOn`;
    // failures to connect (the gateway is down) are not replies and are not counted.
    let sideLoopOn = true;
    const sideLoop = (async () => {
      for (let i = 0; sideLoopOn && i < 1_000_000; i++) {
        const task = i % 2 === 0 ? TASKS.spec : TASKS.fail;
        try {
          const r = await postOnce(url, predictKey, `/v1/tasks/${task}/predict`, malformed);
          record("bad", "-", r.status, r.body);
        } catch {
          // connection refused while the gateway restarts
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    })();

    // The attacker and the /healthz probe run beside the load in each segment, and stop before the
    // kill, so that every reply they count came from a live gateway. The probe on the idle gateway
    // first gives the floor; the machine's load average is sampled throughout (it is shared).
    const attacker = new Attacker({ url, task: TASKS.spec, label: labels[0], texts: test.map((e) => e.text), adminKey, predictKey, meteredKey, anonymousAddress: settings.anonymous_address });
    const idleHealthz = await probeHealthz(url, settings.healthz_probe_ms, 2000);
    const probeRuns: ProbeSamples[] = [];
    const besideTheLoad = () => {
      const attack = attacker.start();
      const probe = startHealthzProbe(url, settings.healthz_probe_ms);
      return async () => {
        await attack.stop();
        probeRuns.push(await probe.stop());
      };
    };
    const loadAverages: number[] = [];
    const sampleLoad = setInterval(() => loadAverages.push(loadavg()[0]), 5000);

    // Segment 1, until the kill.
    const first = run(settings.duration_s);
    const stopAttack1 = besideTheLoad();
    const killAt = settings.kill_after;
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if ((killAt !== null && responses >= killAt) || elapsed() >= settings.duration_s / 2) {
          clearInterval(check);
          resolve();
        }
      }, 20);
    });
    await stopAttack1();
    const memBeforeKill = { rss_mb: rssMb(gw.pid) };
    const responsesAtKill = responses;
    const killedAtS = elapsed();
    const killed = killChild9(gw);
    first.instance.stop();
    await killed;
    const r1 = await first.done;
    connectionErrors += r1.errors;
    segment = 2;
    const restartStarted = performance.now();
    gw = await startChild(childArgs, logPath(2), ["--expose-gc"]);
    if (gw.url !== url) throw new Error(`the restarted gateway listens on ${gw.url}, not ${url}`);
    const restartS = (performance.now() - restartStarted) / 1000;
    console.error(`killed at ${killedAtS.toFixed(1)} s after ${responsesAtKill} replies; restarted in ${restartS.toFixed(1)} s`);

    // Segment 2, the rest of the duration (the restart's time not counted).
    const rest = Math.max(1, settings.duration_s - killedAtS);
    retrainAt(TASKS.fail, rest / 2);
    const second = run(rest);
    const stopAttack2 = besideTheLoad();
    const r2 = await second.done;
    await stopAttack2();
    clearInterval(sampleLoad);
    connectionErrors += r2.errors;
    sideLoopOn = false;
    await sideLoop;
    for (const t of retrainTimers) clearTimeout(t);
    await Promise.all(pendingRetrains);
    const loadSeconds = killedAtS + r2.duration;

    const memEnd = { rss_mb: rssMb(gw.pid), heap_mb: await heapMb(gw) };
    const models: Record<string, number> = {};
    const circuits: Record<string, unknown> = {};
    for (const name of Object.values(TASKS)) {
      const m = await call(url, adminKey, "GET", `/v1/tasks/${name}/models`);
      models[name] = ((m.body as { data?: unknown[] } | null)?.data ?? []).length;
      const t = await call(url, adminKey, "GET", `/v1/tasks/${name}`);
      circuits[name] = (t.body as { teacher?: { circuit?: unknown } } | null)?.teacher?.circuit ?? null;
    }
    await stopChild(gw);
    gw = null;
    const logs = [scanLog(logPath(1)), scanLog(logPath(2))];
    const gatewayLog = { retrains: logs[0].retrains + logs[1].retrains, promoted: logs[0].promoted + logs[1].promoted, errors: logs[0].errors + logs[1].errors, samples: [...logs[0].samples, ...logs[1].samples].slice(0, 5) };
    if (gatewayLog.samples.length > 0) console.error(`gateway log errors:\n${gatewayLog.samples.join("\n")}`);

    // The store, with the gateway stopped.
    const db = new SqliteDatabase(dbPath, { readonly: true });
    let integrity: string;
    let examplesLost: { before_kill: number; after: number; checked: number };
    let requestsLost: { before_kill: number; after: number; checked: number };
    let attackerLost: { requests: number; requests_checked: number; examples: number; examples_checked: number; oversized_import_rows_stored: number };
    try {
      integrity = (db.pragma("integrity_check") as { integrity_check: string }[]).map((r) => r.integrity_check).join("; ");
      const stored = new Set((db.prepare("select task, text from examples").all() as { task: string; text: string }[]).map((r) => `${r.task}\n${r.text}`));
      const missingEx = ackedExamples.filter((e) => !stored.has(`${e.task}\n${e.text}`));
      examplesLost = { before_kill: missingEx.filter((e) => e.segment === 1).length, after: missingEx.filter((e) => e.segment === 2).length, checked: ackedExamples.length };
      const logged = new Set((db.prepare("select id from requests").all() as { id: string }[]).map((r) => r.id));
      const missingReq = ackedRequests.filter((r) => !logged.has(r.id));
      requestsLost = { before_kill: missingReq.filter((r) => r.segment === 1).length, after: missingReq.filter((r) => r.segment === 2).length, checked: ackedRequests.length };
      // The attacker stopped before the kill: nothing it was acknowledged may be missing.
      const marked = db.prepare("select count(*) as n from examples where substr(text, 1, ?) = ?").get(ATTACK_MARK.length, ATTACK_MARK) as { n: number };
      attackerLost = {
        requests: attacker.ackedRequests.filter((id) => !logged.has(id)).length,
        requests_checked: attacker.ackedRequests.length,
        examples: attacker.ackedExamples.filter((e) => !stored.has(`${e.task}\n${e.text}`)).length,
        examples_checked: attacker.ackedExamples.length,
        oversized_import_rows_stored: marked.n,
      };
    } finally {
      db.close();
    }

    // Tally.
    const byStatus: Record<string, number> = {};
    const byKind: Record<string, Record<string, number>> = {};
    let served = 0;
    let badTried = 0;
    let badNot4xx = 0;
    let injected5xx = 0;
    let other5xx = 0;
    let unexpected4xx = 0;
    const otherSamples: string[] = [];
    for (const [key, n] of outcomes) {
      const o = JSON.parse(key) as Outcome;
      served += n;
      const label = o.status >= 400 ? `${o.status} ${o.code ?? "?"}` : String(o.status);
      inc(byStatus, label, n);
      byKind[o.kind] ??= {};
      inc(byKind[o.kind], label, n);
      if (o.kind === "bad") {
        badTried += n;
        if (o.status < 400 || o.status >= 500) badNot4xx += n;
        continue;
      }
      if (o.status >= 500) {
        const teacherFailure = o.task === TASKS.fail && (o.kind === "predict" || o.kind === "chat") && ((o.status === 503 && o.code === "teacher_unavailable") || (o.status === 502 && o.code === "teacher_invalid"));
        if (teacherFailure) injected5xx += n;
        else {
          other5xx += n;
          otherSamples.push(key);
        }
      } else if (o.status >= 400) unexpected4xx += n;
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    const attacks = attacker.summary();
    const attackUnexpected = Object.values(attacks).reduce((sum, a) => sum + a.unexpected, 0);
    const totalFaults = Object.values(injected).reduce((a, b) => a + b, 0);
    const result = {
      benchmark: "reliability",
      settings,
      machine: { cpus: cpus().length, node: process.version },
      date: new Date().toISOString(),
      setup: {
        tasks: { [TASKS.spec]: "on_failure specialist", [TASKS.fail]: "on_failure fail" },
        imported_examples: train.length,
        setup_model_versions: setupModel,
        teacher: `OpenAITeacher → fault server on 127.0.0.1 (timeout_ms ${settings.teacher_timeout_ms}, max_retries ${settings.teacher_max_retries}), gold labels otherwise`,
        store: "SQLite (temporary file, WAL)",
        request_log: settings.request_log,
        setup_seconds: round(setupSeconds, 1),
      },
      load: {
        seconds: round(loadSeconds, 1),
        requests_served: served,
        rps: Math.round(served / loadSeconds),
        p50_ms: round(percentile(sorted, 50), 1),
        p99_ms: round(percentile(sorted, 99), 1),
        max_ms: round(sorted.length === 0 ? 0 : sorted[sorted.length - 1], 1),
        by_status: byStatus,
        by_kind: byKind,
        connection_errors: connectionErrors,
        unexpected_4xx: unexpected4xx,
      },
      memory: { start: memStart, before_kill: memBeforeKill, end: memEnd },
      teacher: { calls: teacherCalls, faults_injected: totalFaults, faults_by_kind: injected },
      crash: { crashes_survived: 1, killed_at_s: round(killedAtS, 1), replies_before_kill: responsesAtKill, restart_s: round(restartS, 1), in_flight_without_reply: r1.errors },
      retrains: { during_load: retrains, model_versions_at_end: models, completed_in_log: gatewayLog.retrains - Object.keys(TASKS).length, promoted_in_log: gatewayLog.promoted - Object.keys(TASKS).length },
      gateway_log_errors: { count: gatewayLog.errors, samples: gatewayLog.samples },
      circuits_at_end: circuits,
      attacker: {
        anonymous_address: settings.anonymous_address,
        metered_key_budget: { calls_per_hour: settings.metered_key_calls_per_hour },
        attacks,
        unexpected: attackUnexpected,
        ...attackerLost,
      },
      healthz: { probe_every_ms: settings.healthz_probe_ms, idle: idleHealthz, under_attack: probeStats(probeRuns) },
      load_average: { sampled_1min: { min: round(Math.min(...loadAverages), 1), max: round(Math.max(...loadAverages), 1), samples: loadAverages.length }, at_end_1_5_15: loadavg().map((x) => round(x, 1)) },
      checks: {
        bad_inputs_tried: badTried,
        bad_inputs_not_4xx: badNot4xx,
        injected_teacher_failure_5xx_fail_task: injected5xx,
        other_5xx: other5xx,
        other_5xx_samples: otherSamples.slice(0, 10),
        requests_lost: requestsLost,
        examples_lost: examplesLost,
        sqlite_integrity: integrity,
      },
      wall_seconds: round((performance.now() - started) / 1000, 1),
    };
    const path = writeResult("reliability", result);
    const md = markdown(result);
    updateReadmeSection("reliability", md);
    console.log(md);
    console.error(`wrote ${path} and the reliability section of bench/README.md`);
    const failed = attackUnexpected + attackerLost.requests + attackerLost.examples + attackerLost.oversized_import_rows_stored + badNot4xx + other5xx + requestsLost.before_kill + requestsLost.after + examplesLost.before_kill + examplesLost.after + (integrity === "ok" ? 0 : 1);
    if (failed > 0) process.exitCode = 1;
  } finally {
    clearInterval(trim);
    if (gw !== null) await killChild9(gw);
    await teacher.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

type Result = {
  settings: typeof settings;
  machine: { cpus: number; node: string };
  date: string;
  load: { seconds: number; requests_served: number; rps: number; p50_ms: number; p99_ms: number; by_status: Record<string, number>; connection_errors: number; unexpected_4xx: number };
  memory: { start: { rss_mb: number; heap_mb: number }; end: { rss_mb: number; heap_mb: number } };
  teacher: { calls: number; faults_injected: number; faults_by_kind: Record<string, number> };
  crash: { crashes_survived: number; killed_at_s: number; replies_before_kill: number; restart_s: number; in_flight_without_reply: number };
  retrains: { during_load: { task: string; at_s: number; status: number | string; promoted: boolean | null }[]; model_versions_at_end: Record<string, number>; completed_in_log: number; promoted_in_log: number };
  gateway_log_errors: { count: number };
  attacker: { anonymous_address: string; metered_key_budget: { calls_per_hour: number }; attacks: Record<string, AttackCounts>; unexpected: number; requests: number; requests_checked: number; examples: number; examples_checked: number; oversized_import_rows_stored: number };
  healthz: { probe_every_ms: number; idle: ProbeStats; under_attack: ProbeStats };
  load_average: { sampled_1min: { min: number; max: number }; at_end_1_5_15: number[] };
  checks: {
    bad_inputs_tried: number;
    bad_inputs_not_4xx: number;
    injected_teacher_failure_5xx_fail_task: number;
    other_5xx: number;
    requests_lost: { before_kill: number; after: number; checked: number };
    examples_lost: { before_kill: number; after: number; checked: number };
    sqlite_integrity: string;
  };
};

function markdown(r: Result): string {
  const s = r.settings;
  const c = r.checks;
  const n = (x: number) => x.toLocaleString("en-US");
  const pass = (ok: boolean) => (ok ? "PASS" : "**FAIL**");
  const lost = (l: { before_kill: number; after: number; checked: number }) => `${l.before_kill + l.after} of ${n(l.checked)} acknowledged`;
  const byStatus = (counts: Record<string, number>) =>
    Object.entries(counts)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}: ${n(v)}`)
      .join(", ");
  const statuses = byStatus(r.load.by_status);
  const a = r.attacker;
  const attackReplies = Object.values(a.attacks).reduce((sum, x) => sum + Object.values(x.by_status).reduce((s, v) => s + v, 0), 0);
  const faults = Object.entries(r.teacher.faults_by_kind)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k} ${n(v)}`)
    .join(", ");
  return [
    `### Reliability soak (${r.date.slice(0, 10)}, ${r.machine.cpus} cores, Node ${r.machine.node})`,
    "",
    `${s.duration_s} s of mixed load (autocannon, ${s.connections} connections, 127.0.0.1): predict, chat completions, feedback, 3-example JSON imports and deliberately bad bodies (wrong types, too many inputs, empty messages, unknown labels; malformed JSON from a side loop), ` +
      `on two banking-demo tasks (on_failure \`specialist\` and \`fail\`) whose teacher is the OpenAI client against a fault server failing ${Math.round(100 * s.fault_rate)}% of calls ` +
      `(timeout_ms ${s.teacher_timeout_ms}, max_retries ${s.teacher_max_retries}); retrains requested during the load and in the background (retrain_every ${s.retrain_every}). ` +
      `The gateway (SQLite, own process) was SIGKILLed at ${r.crash.killed_at_s} s after ${n(r.crash.replies_before_kill)} replies and restarted on the same file in ${r.crash.restart_s} s. ` +
      `It ran with \`request_log: sync\`: with the default write-behind log a SIGKILL loses the request-log rows of the last ~50 ms (documented trade-off), so "requests lost = 0" holds only in sync mode; examples are committed before the reply in both modes.`,
    "",
    markdownTable(
      ["check", "goal", "this run", ""],
      [
        ["bad inputs tried", "all answered 4xx", `${n(c.bad_inputs_tried)} (${n(c.bad_inputs_not_4xx)} not 4xx)`, pass(c.bad_inputs_not_4xx === 0)],
        ["teacher faults injected", "–", `${n(r.teacher.faults_injected)} of ${n(r.teacher.calls)} calls (${faults})`, "–"],
        ["crashes survived (SIGKILL mid-load, restart)", "1", String(r.crash.crashes_survived), pass(r.crash.crashes_survived === 1)],
        ["requests lost (acknowledged, no log row)", "0", lost(c.requests_lost), pass(c.requests_lost.before_kill + c.requests_lost.after === 0)],
        ["examples lost (acknowledged, not in the store)", "0", lost(c.examples_lost), pass(c.examples_lost.before_kill + c.examples_lost.after === 0)],
        ["5xx under load, outside injected teacher failures on the `fail` task", "0", String(c.other_5xx), pass(c.other_5xx === 0)],
        ["5xx from injected teacher failures, `fail` task (503/502)", "–", n(c.injected_teacher_failure_5xx_fail_task), "–"],
        ["SQLite integrity_check after the run", "ok", c.sqlite_integrity, pass(c.sqlite_integrity === "ok")],
        ["attacker: replies outside each attack's expected statuses (5xx and no reply included)", "0", `${n(a.unexpected)} of ${n(attackReplies)}`, pass(a.unexpected === 0)],
        ["attacker: rows of refused imports and forced-teacher inputs stored", "0", n(a.oversized_import_rows_stored), pass(a.oversized_import_rows_stored === 0)],
        ["attacker: requests lost (acknowledged, no log row)", "0", `${n(a.requests)} of ${n(a.requests_checked)} acknowledged`, pass(a.requests === 0)],
        ["attacker: examples lost (metered key's teacher answers, not in the store)", "0", `${n(a.examples)} of ${n(a.examples_checked)} acknowledged`, pass(a.examples === 0)],
      ],
    ),
    "",
    `The attacker (bench/lib/attacker.ts) ran beside the load in both segments and stopped before the kill, one request at a time per attack with a pause between; the anonymous floods came from ${a.anonymous_address} (${a.anonymous_address === "127.0.0.1" ? "the load's own address, as callers behind one proxy share one" : "another client to the failed-auth limiter"}), the rest from 127.0.0.1. ` +
      `The metered key has force_teacher and a teacher budget of ${a.metered_key_budget.calls_per_hour} calls per hour. /healthz was timed every ${r.healthz.probe_every_ms} ms from a worker thread during the attack; machine load average (1 min) ${r.load_average.sampled_1min.min}–${r.load_average.sampled_1min.max} during the load, ${r.load_average.at_end_1_5_15.join(" / ")} (1/5/15 min) at the end.`,
    "",
    markdownTable(
      ["attack", "expected", "replies by status", "unexpected"],
      Object.entries(a.attacks).map(([name, x]) => [name, x.expected.join(", "), byStatus(x.by_status), x.unexpected === 0 ? "0" : `**${n(x.unexpected)}**`]),
    ),
    "",
    markdownTable(
      ["/healthz", "probes", "p50 ms", "p99 ms", "max ms", "failures"],
      [
        ["idle gateway, before the load", r.healthz.idle.probes, r.healthz.idle.p50_ms, r.healthz.idle.p99_ms, r.healthz.idle.max_ms, r.healthz.idle.failures],
        ["during the load and the attack", r.healthz.under_attack.probes, r.healthz.under_attack.p50_ms, r.healthz.under_attack.p99_ms, r.healthz.under_attack.max_ms, r.healthz.under_attack.failures],
      ],
    ),
    "",
    markdownTable(
      ["load", "value"],
      [
        ["requests served", `${n(r.load.requests_served)} in ${r.load.seconds} s (${n(r.load.rps)}/s)`],
        ["latency p50 / p99", `${r.load.p50_ms} / ${r.load.p99_ms} ms`],
        ["responses by status", statuses],
        ["unexpected 4xx (valid requests)", n(r.load.unexpected_4xx)],
        ["connection errors (autocannon, at the kill)", n(r.load.connection_errors)],
        ["gateway RSS start → end", `${r.memory.start.rss_mb} → ${r.memory.end.rss_mb} MB (end: the restarted process)`],
        ["gateway live heap after GC start → end", `${r.memory.start.heap_mb} → ${r.memory.end.heap_mb} MB`],
        ["retrains during the load", r.retrains.during_load.map((x) => `${x.task} at ${x.at_s} s: ${x.status}${x.promoted === null ? "" : x.promoted ? ", promoted" : ", not promoted"}`).join("; ")],
        ["retrains completed during the load (requested + background, both processes)", `${n(r.retrains.completed_in_log)}, ${n(r.retrains.promoted_in_log)} promoted; stored model versions at the end: ${Object.entries(r.retrains.model_versions_at_end).map(([k, v]) => `${k} ${v}`).join(", ")}`],
        ["error-level lines in the gateway log", n(r.gateway_log_errors.count)],
      ],
    ),
  ].join("\n");
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
