// npm run bench:capture [-- --data-dir DIR] [--orders N] [--quick] [--limit N] [--no-wait]
//
// bench:structured's SNIPS stream sent as captured traffic: an app calls model "gpt-sim" through
// the official openai client with a strict json_schema response_format (the SNIPS object: the
// intent an enum, each slot type an array of plain strings, which capture reads as values copied
// from the text), through a gateway started in-process whose upstream is a local simulated LLM
// answering from bench:structured's answer key (85% of whole objects right). The first call founds
// the captured task (in shadow mode, as every captured task starts); an admin then sets its
// routing and training to bench:structured's (PATCH /v1/tasks/:name) and switches it to serve
// (PATCH /v1/captured/:name), and the whole stream order is sent, its first text again. The same
// order also runs through bench:structured's in-process cascade (bench/lib/snips-structured.ts),
// in the same process, and the two are compared.
//
// The gateway retrains in a worker thread after replies, while the in-process cascade retrains
// inside the request that made a retrain due. By default the bench waits, after each call, until
// the gateway has learned from it and any retrain it started has finished (runtime.idle()), so
// both sides retrain at the same points of the stream; --no-wait sends the calls back to back as
// an app would, retrains overlapping the traffic.
//
// After the stream, the task is switched back to shadow and the test split is sent, shuffled: GET
// /v1/captured then gives the calls the final specialist would take over, its agreement with the
// upstream and the bound (shadow figures of the live version).
//
// --orders N (default 3) stream orders (seeds 101, 202, …), median and worst; --quick: 1 order.
// --limit N: the first N calls of each order, on both sides (default: the whole stream).
// Writes bench/results/capture.json and the capture section of bench/README.md (full runs only).
import { fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import OpenAI from "openai";
import { mulberry32, shuffleInPlace } from "../src/engine/random.js";
import { canonicalAnswer, parseCanonical } from "../src/engine/structured-answer.js";
import { CaptureSettingsSchema } from "../src/server/capture/capture-settings.js";
import type { Gateway } from "../src/server/start.js";
import { startGateway } from "../src/server/start.js";
import { openStore } from "../src/store/index.js";
import { lastUserText, startSimulatedLlm, type SimulatedLlm } from "../src/teacher/simulated-llm-server.js";
import { argValue, numberFlag, REPO_ROOT } from "./lib/banking77.js";
import { markdownTable, updateReadmeSection, writeResult } from "./lib/report.js";
import { ORDER_SEEDS, pct, runInlineOrder, runSummary, snipsStream, snipsStructured, TEACHER_ACCURACY, type SnipsItem } from "./lib/snips-structured.js";
import { medianAndWorst } from "./lib/spread.js";

const round = (x: number, d = 4) => Math.round(x * 10 ** d) / 10 ** d;
const dataDir = resolve(argValue("--data-dir") ?? join(REPO_ROOT, "../shared/datasets/snips"));
const orders = process.argv.includes("--quick") ? 1 : numberFlag("--orders", 3);
const seeds = ORDER_SEEDS.slice(0, orders);
const limit = argValue("--limit") === undefined ? Infinity : numberFlag("--limit", 1);
const wait = !process.argv.includes("--no-wait");

const setting = snipsStructured(dataDir);
const { fields, key, task, test } = setting;
const MODEL = "gpt-sim";
const SYSTEM = "Read the user's voice-assistant query: its intent, and every slot value, copied from the query.";
const [intentField, ...slotFields] = fields;
/** The SNIPS object as an app would declare it for OpenAI structured outputs. */
const SCHEMA = {
  type: "object",
  properties: {
    intent: { type: "string", enum: intentField.values, description: "What the user wants." },
    ...Object.fromEntries(slotFields.map((f) => [f.name, { type: "array", items: { type: "string" }, description: `Every ${f.name} value in the query, as written.` }])),
  },
  required: fields.map((f) => f.name),
  additionalProperties: false,
};
const call = (text: string) => ({
  model: MODEL,
  messages: [
    { role: "system" as const, content: SYSTEM },
    { role: "user" as const, content: text },
  ],
  response_format: { type: "json_schema" as const, json_schema: { name: "snips_query", strict: true, schema: SCHEMA } },
});
if (argValue("--inline-order") === undefined) console.error(`SNIPS as captured traffic: ${setting.train.length} stream / ${test.length} holdout texts, ${fields.length} fields; orders ${seeds.join(", ")}${Number.isFinite(limit) ? `, first ${limit} calls` : ""}; ${wait ? "waiting for each call's learning and retrain" : "no waiting (retrains overlap the traffic)"}`);

/** The upstream LLM: bench:structured's teacher, answering the last user message from the answer key. */
function answer(body: Record<string, unknown>) {
  const label = key.answers.get(lastUserText(body));
  return label === undefined ? { status: 500, message: "no answer for this text" } : { content: JSON.stringify(parseCanonical(label)) };
}

/** GET /v1/captured's shadow figures (ShadowSummary). */
interface ShadowFigures {
  requests: number;
  would_answer: number;
  would_answer_judged: number;
  disagreements: number;
  disagreement_bound: number | null;
  proven: boolean;
}

interface CaptureRun {
  seed: number;
  calls: number;
  forwarded: number;
  specialist: number;
  exactMatch: number;
  teacherOnlyExactMatch: number;
  /** Specialist answers differing from the upstream's answer to the same call. */
  disagreement: number | null;
  invalidAnswers: number;
  task: string;
  stats: Record<string, unknown>;
  holdoutShadow: ShadowFigures & { retrained: boolean };
  seconds: number;
}

async function admin(g: Gateway, adminKey: string, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${g.url}${path}`, { method, headers: { authorization: `Bearer ${adminKey}`, ...(body === undefined ? {} : { "content-type": "application/json" }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** Captured calls the gateway has finished learning from (after the reply, in shadow mode and for forwarded serve calls), by status. */
async function learned(g: Gateway): Promise<{ total: number; invalid: number }> {
  const { values } = await g.app.metrics.captured.get();
  return { total: values.reduce((s, v) => s + v.value, 0), invalid: values.filter((v) => v.labels.status === "invalid").reduce((s, v) => s + v.value, 0) };
}

/** Waits until the gateway has learned from `calls` captured calls, then until no retrain of `name` runs. */
async function settle(g: Gateway, name: string, calls: number): Promise<void> {
  for (let i = 0; (await learned(g)).total < calls; i++) {
    if (i > 20_000) throw new Error(`the gateway learned from ${(await learned(g)).total} of ${calls} calls`);
    await new Promise((r) => setImmediate(r));
  }
  await (await g.app.runtimes.get(name))?.idle();
}

async function runCaptured(seed: number, stream: readonly SnipsItem[]): Promise<CaptureRun> {
  const dir = mkdtempSync(join(tmpdir(), "apprentice-bench-capture-"));
  let llm: SimulatedLlm | null = null;
  let g: Gateway | null = null;
  try {
    llm = await startSimulatedLlm(answer);
    const store = await openStore(join(dir, "capture.db"));
    const adminKey = (await store.apiKeys.create("bench admin", "admin")).key;
    const appKey = (await store.apiKeys.create("bench app", "predict")).key;
    g = await startGateway({
      store,
      port: 0,
      host: "127.0.0.1",
      logger: false,
      handleSignals: false,
      env: {},
      upstream: { baseURL: llm.url, apiKey: "sk-bench-upstream" },
      capture: CaptureSettingsSchema.parse({ models: [MODEL], max_tasks: 5 }),
      rateLimit: false,
      retention: false,
    });
    const app = new OpenAI({ baseURL: `${g.url}/v1`, apiKey: appKey, maxRetries: 0 });

    // The founding call (shadow mode), then the benchmark's settings and serve mode.
    await app.chat.completions.create(call(stream[0].text));
    const { data } = (await admin(g, adminKey, "GET", "/v1/captured")) as { data: { name: string }[] };
    if (data.length !== 1) throw new Error(`expected one captured task, found ${data.length}`);
    const name = data[0].name;
    await settle(g, name, 1);
    await admin(g, adminKey, "PATCH", `/v1/tasks/${name}`, { routing: task.routing, training: task.training });
    await admin(g, adminKey, "PATCH", `/v1/captured/${name}`, { mode: "serve" });
    const fieldsOfTask = ((await admin(g, adminKey, "GET", `/v1/captured/${name}`)) as { fields: { name: string; kind: string }[] }).fields;
    const same = fieldsOfTask.length === fields.length && fieldsOfTask.every((f, i) => f.name === fields[i].name && f.kind === fields[i].kind);
    if (!same) throw new Error(`the captured task's fields are not the benchmark's: ${JSON.stringify(fieldsOfTask.slice(0, 3))}…`);

    const before = llm.calls;
    const learnedBefore = (await learned(g)).total;
    let specialist = 0;
    let correct = 0;
    let teacherCorrect = 0;
    let compared = 0;
    let disagreed = 0;
    const t0 = performance.now();
    const every = Math.ceil(stream.length / 10);
    for (let i = 0; i < stream.length; i++) {
      const { text, label: gold } = stream[i];
      const res = await app.chat.completions.create(call(text));
      const got = canonicalAnswer(fields, JSON.parse(res.choices[0].message.content ?? "null"));
      const upstream = key.answers.get(text)!;
      if (got === gold) correct++;
      if (upstream === gold) teacherCorrect++;
      if ((res as unknown as { apprentice?: { source?: string } }).apprentice?.source === "specialist") {
        specialist++;
        compared++;
        if (got !== upstream) disagreed++;
      }
      // Every call is learned from: a forwarded one after its reply, a specialist one before it.
      if (wait) await settle(g, name, learnedBefore + i + 1);
      if ((i + 1) % every === 0 || i + 1 === stream.length) {
        const rt = await g.app.runtimes.get(name);
        console.error(
          `[captured ${seed}] ${i + 1} calls: forwarded ${pct((llm.calls - before) / (i + 1))}, specialist ${pct(specialist / (i + 1))}, exact match ${pct(correct / (i + 1))} (upstream only ${pct(teacherCorrect / (i + 1))}), v${rt?.modelVersion ?? 0}, threshold ${rt?.cascade.router.threshold?.toFixed(3) ?? "none"}, ${((performance.now() - t0) / 1000).toFixed(0)} s`,
        );
      }
    }
    await settle(g, name, learnedBefore + stream.length);
    const forwarded = llm.calls - before;
    const seconds = (performance.now() - t0) / 1000;
    const invalidAnswers = (await learned(g)).invalid;
    const stats = await admin(g, adminKey, "GET", `/v1/tasks/${name}/stats`);

    // The final specialist on the test split, in shadow mode: what GET /v1/captured reports.
    const versionBefore = (await g.app.runtimes.get(name))?.modelVersion ?? 0;
    await admin(g, adminKey, "PATCH", `/v1/captured/${name}`, { mode: "shadow" });
    const shadowBefore = (await learned(g)).total;
    // Shuffled: the test file is sorted by intent, and 100 calls of one intent in a row are a
    // surge the guard would rightly sit out (surge-guard.ts), which is not what this row measures.
    const testCalls = shuffleInPlace([...test], mulberry32(seed + 1));
    for (let i = 0; i < testCalls.length; i++) {
      await app.chat.completions.create(call(testCalls[i].text));
      if (wait) await settle(g, name, shadowBefore + i + 1);
    }
    await settle(g, name, shadowBefore + test.length);
    const captured = (await admin(g, adminKey, "GET", `/v1/captured/${name}`)) as { model_version: number | null; shadow: ShadowFigures };
    return {
      seed,
      calls: stream.length,
      forwarded,
      specialist,
      exactMatch: correct / stream.length,
      teacherOnlyExactMatch: teacherCorrect / stream.length,
      disagreement: compared === 0 ? null : disagreed / compared,
      invalidAnswers,
      task: name,
      stats,
      // Every shadow call but the founding one (which had no specialist: nothing would be answered or judged).
      holdoutShadow: { ...captured.shadow, requests: captured.shadow.requests - 1, retrained: (captured.model_version ?? 0) !== versionBefore },
      seconds,
    };
  } finally {
    await g?.close();
    await llm?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** bench:structured's figures for one order: the in-process cascade on the same stream. */
async function inlineFigures(seed: number) {
  return runSummary(await runInlineOrder(setting, seed, { limit, label: "in-process" }));
}
type InlineFigures = Awaited<ReturnType<typeof inlineFigures>>;

/**
 * The in-process cascade in a child process of this script, so that it runs beside the gateway
 * (its retrains block the thread they run on). Waiting for the gateway's retrains makes the
 * captured side's figures independent of timing, so running both at once changes no figure.
 */
function inlineInChild(seed: number): Promise<InlineFigures> {
  const args = ["--inline-order", String(seed), "--data-dir", dataDir, ...(Number.isFinite(limit) ? ["--limit", String(limit)] : [])];
  const child = fork(fileURLToPath(import.meta.url), args, { execArgv: ["--import", "tsx"], stdio: ["ignore", "ignore", "inherit", "ipc"] });
  return new Promise((resolve, reject) => {
    child.once("message", (m) => resolve(m as InlineFigures));
    child.once("exit", (code) => reject(new Error(`the in-process run of order ${seed} exited with ${code} before reporting`)));
  });
}

const inlineOrder = argValue("--inline-order");
if (inlineOrder !== undefined) {
  process.send!(await inlineFigures(Number(inlineOrder)));
  process.exit(0);
}

async function compareOrder(seed: number) {
  const stream = snipsStream(setting, seed, limit);
  // Without waiting, the captured side's figures depend on timing: the in-process run then goes after it, not beside it.
  const [captured, structured] = wait ? await Promise.all([runCaptured(seed, stream), inlineInChild(seed)]) : [await runCaptured(seed, stream), await inlineInChild(seed)];
  const audit = (captured.stats as { audit?: Record<string, unknown> }).audit ?? null;
  const shadow = captured.holdoutShadow;
  const o = {
    order: seed,
    calls: captured.calls,
    captured: {
      teacher_share: round(captured.forwarded / captured.calls),
      specialist_share: round(captured.specialist / captured.calls),
      exact_match: round(captured.exactMatch),
      teacher_only_exact_match: round(captured.teacherOnlyExactMatch),
      disagreement: captured.disagreement === null ? null : round(captured.disagreement),
      invalid_upstream_answers: captured.invalidAnswers,
      seconds: round(captured.seconds, 1),
      audit,
      holdout_shadow: {
        calls: shadow.requests,
        taken_over: shadow.would_answer,
        taken_over_share: shadow.requests === 0 ? 0 : round(shadow.would_answer / shadow.requests),
        agreement: shadow.would_answer_judged === 0 ? null : round(1 - shadow.disagreements / shadow.would_answer_judged),
        bound: shadow.disagreement_bound === null ? null : round(shadow.disagreement_bound),
        proven: shadow.proven,
        retrained_meanwhile: shadow.retrained,
      },
    },
    structured,
    teacher_share_difference: 0,
  };
  o.teacher_share_difference = round(o.captured.teacher_share - o.structured.teacher_share);
  console.error(JSON.stringify(o));
  return o;
}

type Order = Awaited<ReturnType<typeof compareOrder>>;
const orderResults: Order[] = [];
for (const seed of seeds) orderResults.push(await compareOrder(seed));
const of = (f: (o: Order) => number, worst: "max" | "min") => medianAndWorst(orderResults.map(f), worst);
const spread = {
  orders: orderResults.length,
  captured_teacher_share: of((o) => o.captured.teacher_share, "max"),
  structured_teacher_share: of((o) => o.structured.teacher_share, "max"),
  teacher_share_difference: of((o) => Math.abs(o.teacher_share_difference), "max"),
  captured_exact_match_vs_upstream_only: of((o) => o.captured.exact_match - o.captured.teacher_only_exact_match, "min"),
  structured_exact_match_vs_teacher_only: of((o) => o.structured.exact_match - o.structured.teacher_only_exact_match, "min"),
  captured_disagreement: of((o) => o.captured.disagreement ?? 0, "max"),
  structured_disagreement: of((o) => o.structured.specialist_disagreement ?? 0, "max"),
  holdout_taken_over_share: of((o) => o.captured.holdout_shadow.taken_over_share, "min"),
  holdout_bound: of((o) => o.captured.holdout_shadow.bound ?? 1, "max"),
};
const targets = { same_teacher_share_within_2pt: spread.teacher_share_difference.worst <= 0.02 };
const result = {
  createdAt: new Date().toISOString(),
  dataset: { name: "SNIPS 2017", stream: orderResults[0]?.calls, holdout: test.length, fields: fields.length },
  teacher: { accuracy: TEACHER_ACCURACY, mistakes: key.mistakes },
  routing: task.routing,
  training: task.training,
  waited_for_retrains: wait,
  orders: orderResults,
  spread,
  targets,
};
console.log(JSON.stringify({ spread, targets }));
if (!process.argv.includes("--quick") && orders >= 3) {
  writeResult(wait ? "capture" : "capture-no-wait", result);
  const mw = (x: { median: number; worst: number }, signed = false) => `${signed && x.median >= 0 ? "+" : ""}${pct(x.median)} / ${signed && x.worst >= 0 ? "+" : ""}${pct(x.worst)}`;
  const table = markdownTable(
    ["figure (median / worst of orders)", "captured task (gateway, HTTP)", "structured task (in process)", "target"],
    [
      ["share of calls sent to the teacher (upstream)", mw(spread.captured_teacher_share), mw(spread.structured_teacher_share), "same within 2 pt"],
      ["difference in teacher share (absolute)", mw(spread.teacher_share_difference), "", "≤ 2 pt"],
      ["exact match minus teacher-only", mw(spread.captured_exact_match_vs_upstream_only, true), mw(spread.structured_exact_match_vs_teacher_only, true), ""],
      ["specialist answers differing from the teacher's", mw(spread.captured_disagreement), mw(spread.structured_disagreement), "≤ 5% (max_error)"],
    ],
  );
  const perOrder = markdownTable(
    ["order", "captured: teacher share", "structured: teacher share", "difference", "captured: exact match (upstream only)", "structured: exact match", "captured / structured disagreement", "test split in shadow: taken over, agreement, bound", "seconds (captured / structured)"],
    orderResults.map((o) => [
      o.order,
      pct(o.captured.teacher_share),
      pct(o.structured.teacher_share),
      `${o.teacher_share_difference >= 0 ? "+" : ""}${(100 * o.teacher_share_difference).toFixed(1)} pt`,
      `${pct(o.captured.exact_match)} (${pct(o.captured.teacher_only_exact_match)})`,
      pct(o.structured.exact_match),
      `${pct(o.captured.disagreement)} / ${pct(o.structured.specialist_disagreement)}`,
      `${o.captured.holdout_shadow.taken_over} of ${o.captured.holdout_shadow.calls} (${pct(o.captured.holdout_shadow.taken_over_share)}), ${pct(o.captured.holdout_shadow.agreement)}, ${pct(o.captured.holdout_shadow.bound)}${o.captured.holdout_shadow.proven ? " (proven)" : ""}`,
      `${o.captured.seconds} / ${o.structured.seconds}`,
    ]),
  );
  updateReadmeSection(
    wait ? "capture" : "capture-no-wait",
    `SNIPS as captured traffic (${orderResults[0].calls} calls per order, ${fields.length} fields), ${orderResults.length} stream orders, one run of \`npm run bench:capture${wait ? "" : " -- --no-wait"}\` (${result.createdAt.slice(0, 10)}); ${wait ? "the gateway's retrains waited for at the call that made them due" : "calls back to back, the gateway's retrains overlapping the traffic"}. Upstream answering from bench:structured's key (${pct(TEACHER_ACCURACY, 0)} whole-object accuracy); max_error 5% at 95%, audit rate 5%, training defaults, on both sides. Target met: **${targets.same_teacher_share_within_2pt ? "yes" : "no"}**.\n\n${table}\n\n${perOrder}`,
  );
}
