// apprentice demo --capture: the one-line adoption. A small "app" reads money transfers out of
// messages by calling gpt-4o-mini with a json_schema response_format, exactly as it would call
// OpenAI, except that its client's base URL is the gateway. The upstream is a local simulated LLM
// that answers like a consistent model would (the bundled messages' reference answers). The
// gateway captures the calls as a task and learns it in shadow mode; the demo then reads what
// shadow mode measured, switches the task to serve as an admin would on the Discovered page, and
// sends the rest of the traffic, most of which the specialist now answers.
import OpenAI from "openai";
import { parseCanonical } from "../../engine/structured-answer.js";
import type { StructuredSpecialist } from "../../engine/structured-specialist.js";
import { trainStructuredSpecialist } from "../../engine/structured-train.js";
import { CaptureSettingsSchema } from "../../server/capture/capture-settings.js";
import type { DiscoveredTask } from "../../server/capture/discovered.js";
import { startGateway, type Gateway } from "../../server/start.js";
import { compileOutput, outputJsonSchema } from "../../task/output-fields.js";
import { lastUserText, startSimulatedLlm, type SimulatedLlm } from "../../teacher/simulated-llm-server.js";
import { fixed, percent } from "../format.js";
import { demoServerOptions, freshDemoStore } from "./demo-gateway.js";
import { loadTransfersData, type GoldObject, type TransfersData } from "./transfers.js";

/** The model the app calls, and its price per million tokens (gpt-4o-mini's list price). */
export const APP_MODEL = "gpt-4o-mini";
const PRICE = { input_per_mtok: 0.15, output_per_mtok: 0.6 };
const SYSTEM_PROMPT = "Read the money transfer the customer asks for. Copy amounts, names and dates exactly as written.";
/** Calls sent while the task is in shadow mode; the rest are sent once it serves. */
const SHADOW_CALLS = 650;
const REPORT_EVERY = 150;
/** Longest wait for the gateway to log one call (it logs within 50 ms; far longer means a call was lost). */
const LOG_WAIT_MS = 10_000;

export interface CaptureDemo {
  gateway: Gateway;
  llm: SimulatedLlm;
  adminKey: string;
  predictKey: string;
  data: TransfersData;
  close(): Promise<void>;
}

/** The simulated upstream: each bundled message's reference answer; any other text, a specialist trained on all of them. */
function transferLlm(data: TransfersData) {
  const answers = new Map(data.gold.map((r) => [r.text, r.answer]));
  let reference: StructuredSpecialist | null = null;
  return (body: Record<string, unknown>) => {
    const text = lastUserText(body);
    let label = answers.get(text);
    if (label === undefined) {
      reference ??= trainStructuredSpecialist(
        data.fields,
        data.gold.map((r) => ({ text: r.text, object: r.object })),
        { classifier: { seed: 7 } },
      );
      label = reference.predict(text).label;
    }
    return { content: JSON.stringify(parseCanonical(label)) };
  };
}

export async function startCaptureDemo(options: { port: number; host: string; db: string; handleSignals?: boolean }): Promise<CaptureDemo> {
  const data = await loadTransfersData(false);
  const llm = await startSimulatedLlm(transferLlm(data));
  const { store, adminKey, predictKey } = await freshDemoStore(options.db);
  // What the team accepts from a specialist its calls become (capture.task_defaults): the bundled
  // transfers task's own settings, as the main demo runs it. At a task's defaults (5%, a retrain
  // every 250) the 950 messages are too few to prove a threshold.
  const { max_error } = data.task.routing;
  const { retrain_every, min_examples, holdout_fraction } = data.task.training;
  const taskDefaults = { routing: { max_error }, training: { retrain_every, min_examples, holdout_fraction } };
  const gateway = await startGateway({
    ...demoServerOptions(store, options),
    upstream: { baseURL: llm.url },
    capture: CaptureSettingsSchema.parse({ task_defaults: taskDefaults, prices: { [APP_MODEL]: PRICE } }),
  });
  return {
    gateway,
    llm,
    adminKey,
    predictKey,
    data,
    close: async () => {
      await gateway.close();
      await llm.close();
    },
  };
}

/** What one phase of the replay saw, from the app's side. */
export interface PhaseTally {
  calls: number;
  /** Replies whose `apprentice.source` was "specialist". */
  specialist: number;
  /** Replies whose answer was the message's reference answer. */
  correct: number;
}

export interface CaptureReplay {
  shadow: PhaseTally;
  serve: PhaseTally;
  /** The task as GET /v1/captured reported it when shadow mode ended, and at the end. */
  atSwitch: DiscoveredTask | null;
  task: DiscoveredTask | null;
}

/** The bundled messages in the order the app sends them: train.jsonl's, then test.jsonl's. */
export function captureTraffic(data: TransfersData): GoldObject[] {
  return data.gold.map((r) => ({ text: r.text, label: r.answer }));
}

/**
 * The app: every transfer message, in order, through the openai client pointed at the gateway
 * (every fourth one streamed); after SHADOW_CALLS of them, the admin switches the task to serve.
 * `progress` is told every REPORT_EVERY calls how things stand.
 */
export async function replayCapturedCalls(demo: CaptureDemo, progress: (line: string) => void): Promise<CaptureReplay> {
  const { gateway, data } = demo;
  const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: demo.predictKey, maxRetries: 0 });
  // The app's own schema: the output block as written, without the "none of these" a declared task's teacher is offered.
  const responseFormat = { type: "json_schema" as const, json_schema: { name: "transfer", strict: true, schema: outputJsonSchema(compileOutput(data.task.output)) } };
  const admin = { authorization: `Bearer ${demo.adminKey}` };
  const report = async (): Promise<DiscoveredTask | null> => {
    const res = await fetch(`${gateway.url}/v1/captured`, { headers: admin });
    return ((await res.json()) as { data: DiscoveredTask[] }).data[0] ?? null;
  };
  const traffic = captureTraffic(data);
  const result: CaptureReplay = { shadow: emptyTally(), serve: emptyTally(), atSwitch: null, task: null };
  for (const [i, g] of traffic.entries()) {
    if (i === SHADOW_CALLS) {
      result.atSwitch = await report();
      if (result.atSwitch === null) throw new Error("the gateway captured no task from the app's calls");
      progress(switchLine(result.atSwitch));
      const res = await fetch(`${gateway.url}/v1/captured/${result.atSwitch.name}`, { method: "PATCH", headers: { ...admin, "content-type": "application/json" }, body: JSON.stringify({ mode: "serve" }) });
      if (!res.ok) throw new Error(`switching the task to serve failed: HTTP ${res.status} ${await res.text()}`);
    }
    const tally = i < SHADOW_CALLS ? result.shadow : result.serve;
    const { content, source } = await callApp(client, g.text, responseFormat, i % 4 === 3);
    tally.calls++;
    if (source === "specialist") tally.specialist++;
    if (JSON.stringify(JSON.parse(content)) === JSON.stringify(parseCanonical(g.label))) tally.correct++;
    // The gateway learns after each reply: wait for it (and for a retrain under way), so every run tells the same story.
    await settled(gateway, i + 1);
    if ((i + 1) % REPORT_EVERY === 0 && i < SHADOW_CALLS) progress(progressLine(i + 1, await report()));
  }
  result.task = await report();
  return result;
}

const emptyTally = (): PhaseTally => ({ calls: 0, specialist: 0, correct: 0 });

async function callApp(client: OpenAI, text: string, responseFormat: OpenAI.ResponseFormatJSONSchema, streamed: boolean): Promise<{ content: string; source: string | undefined }> {
  const messages = [
    { role: "system" as const, content: SYSTEM_PROMPT },
    { role: "user" as const, content: text },
  ];
  const sourceOf = (x: unknown) => (x as { apprentice?: { source?: string } }).apprentice?.source;
  if (!streamed) {
    const reply = await client.chat.completions.create({ model: APP_MODEL, messages, response_format: responseFormat });
    return { content: reply.choices[0].message.content ?? "", source: sourceOf(reply) };
  }
  const stream = await client.chat.completions.create({ model: APP_MODEL, messages, response_format: responseFormat, stream: true });
  let content = "";
  let source: string | undefined;
  for await (const chunk of stream) {
    content += chunk.choices[0]?.delta?.content ?? "";
    source ??= sourceOf(chunk);
  }
  return { content, source };
}

/** Waits until the gateway has logged `calls` captured calls and finished the retrains they started. */
async function settled(gateway: Gateway, calls: number): Promise<void> {
  const until = Date.now() + LOG_WAIT_MS;
  for (;;) {
    let logged = 0;
    for (const t of await gateway.store.tasks.list()) logged += await gateway.store.requests.count(t.name);
    if (logged >= calls) break;
    if (Date.now() > until) throw new Error(`the gateway logged ${logged} of the app's ${calls} calls within ${LOG_WAIT_MS / 1000} s: a captured call was lost`);
    await new Promise((r) => setTimeout(r, 5));
  }
  await gateway.app.runtimes.idle();
}

function shadowFigures(task: DiscoveredTask): string {
  const s = task.shadow_live_version ?? task.shadow;
  const bound = s.disagreement_bound === null ? "no bound yet" : `disagreeing with the LLM on ≤ ${percent(s.disagreement_bound)} (${percent(s.confidence_level)} confidence)`;
  return `the specialist would have answered ${s.would_answer} of ${s.requests} calls, ${bound}`;
}

function progressLine(calls: number, task: DiscoveredTask | null): string {
  if (task === null) return `  ${calls} calls: no task captured yet`;
  return `  ${calls} calls: ${task.name} in ${task.capture.mode} mode, specialist v${task.model_version ?? 0}: ${shadowFigures(task)}`;
}

function switchLine(task: DiscoveredTask): string {
  return `After ${SHADOW_CALLS} calls in shadow mode (live version): ${shadowFigures(task)}. The admin switches it to serve (PATCH /v1/captured/${task.name}, or the Discovered page).`;
}

export function captureSummary(r: CaptureReplay, demo: CaptureDemo): string[] {
  const task = r.task;
  if (task === null) return ["No task was captured."];
  const cost = task.shadow.cost / Math.max(1, task.shadow.requests);
  const { serve, shadow } = r;
  const all = shadow.calls + serve.calls;
  return [
    `Captured task ${task.name}: ${task.fields.length} fields (${task.fields.map((f) => `${f.name}: ${f.kind}`).join(", ")}), from calls to ${task.capture.model}.`,
    `In serve mode the specialist answered ${serve.specialist} of ${serve.calls} calls (${percent(serve.specialist / Math.max(1, serve.calls))}); the rest went to the LLM, and audits asked it on the side.`,
    `Replies matching the message's reference answer: ${percent(serve.correct / Math.max(1, serve.calls))} in serve mode, ${percent((shadow.correct + serve.correct) / Math.max(1, all))} of all ${all} (the simulated LLM always gives it).`,
    `LLM calls: ${demo.llm.calls} for ${all} app calls. Cost per LLM call here: $${fixed(cost, 6)}; the calls the specialist took saved $${fixed(cost * serve.specialist, 4)}.`,
  ];
}

/** What to paste to try it: the app's one-line change, for the Node and Python clients. */
export function captureTryLines(demo: CaptureDemo): string[] {
  const { url } = demo.gateway;
  return [
    "The one-line change in an app (its LLM calls stay as they are):",
    `  Node:   new OpenAI({ baseURL: "${url}/v1", apiKey: "<gateway key>" })`,
    `  Python: OpenAI(base_url="${url}/v1", api_key="<gateway key>")`,
    `  export KEY=${demo.predictKey}`,
    `Dashboard: ${url}/#/discovered (sign in with the admin key ${demo.adminKey})`,
  ];
}
