// apprentice demo --capture: the one-line adoption. A small "app" reads money transfers out of
// messages by calling gpt-4o-mini with a json_schema response_format, exactly as it would call
// OpenAI, except that its client's base URL is the gateway. The upstream is a local simulated LLM
// (it knows the bundled transfer messages, right on most of them like a real model). The gateway
// captures the calls as a task, learns it in shadow mode, switches it to serve by itself once
// shadow traffic proves the bound (auto_serve), and from then on answers the calls it is sure of.
import OpenAI from "openai";
import { parseCanonical } from "../../engine/structured-answer.js";
import type { StructuredSpecialist } from "../../engine/structured-specialist.js";
import { trainStructuredSpecialist } from "../../engine/structured-train.js";
import type { DiscoveredTask } from "../../server/capture/discovered.js";
import { startGateway, type Gateway } from "../../server/start.js";
import { outputJsonSchema } from "../../task/output-fields.js";
import { structuredAnswerKey } from "../../teacher/sim-structured-key.js";
import { lastUserText, startSimulatedLlm, type SimulatedLlm } from "../../teacher/simulated-llm-server.js";
import { DEFAULT_STRUCTURED_SIM_ACCURACY } from "../simulate-structured.js";
import { fixed, percent } from "../format.js";
import { freshDemoStore } from "./demo-gateway.js";
import { loadTransfersData, type TransfersData } from "./transfers.js";

/** The model the app calls, and its price per million tokens (gpt-4o-mini's list price). */
export const APP_MODEL = "gpt-4o-mini";
const PRICE = { input_per_mtok: 0.15, output_per_mtok: 0.6 };
const SYSTEM_PROMPT = "Read the money transfer the customer asks for. Copy amounts, names and dates exactly as written.";
/** Shadow calls the specialist would have answered, judged, before auto_serve may switch the task. */
const AUTO_SERVE_AFTER = 100;
const REPORT_EVERY = 150;

export interface CaptureDemo {
  gateway: Gateway;
  llm: SimulatedLlm;
  adminKey: string;
  predictKey: string;
  data: TransfersData;
  close(): Promise<void>;
}

/** The simulated upstream: the transfer messages' answers (wrong on a share of them), a specialist trained on all of them for any other text. */
function transferLlm(data: TransfersData) {
  const gold = data.gold.map((r) => ({ text: r.text, object: r.object }));
  const key = structuredAnswerKey({ fields: data.fields, gold, accuracy: DEFAULT_STRUCTURED_SIM_ACCURACY, seed: data.task.training.seed });
  let reference: StructuredSpecialist | null = null;
  return (body: Record<string, unknown>) => {
    const text = lastUserText(body);
    let label = key.answers.get(text);
    if (label === undefined) {
      reference ??= trainStructuredSpecialist(data.fields, gold, { classifier: { seed: 7 } });
      label = reference.predict(text).label;
    }
    return { content: JSON.stringify(parseCanonical(label)) };
  };
}

export async function startCaptureDemo(options: { port: number; host: string; db: string; handleSignals?: boolean }): Promise<CaptureDemo> {
  const data = await loadTransfersData(false);
  const llm = await startSimulatedLlm(transferLlm(data));
  const { store, adminKey, predictKey } = await freshDemoStore(options.db);
  const gateway = await startGateway({
    store,
    port: options.port,
    host: options.host,
    logger: false,
    handleSignals: options.handleSignals,
    upstream: { baseURL: llm.url },
    capture: { exclude_models: [], exclude_keys: [], privacy: "keep_inputs", auto_serve: { min_requests: AUTO_SERVE_AFTER }, max_tasks: 50, prices: { [APP_MODEL]: PRICE } },
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

export interface CaptureReplay {
  calls: number;
  /** Calls the specialist answered (the app's reply carried `apprentice.source: "specialist"`). */
  specialist: number;
  /** The call after which the task was serving, or null if it never switched. */
  servedFrom: number | null;
  /** Replies whose answer matched the transfer's gold answer. */
  correct: number;
  task: DiscoveredTask | null;
}

/**
 * The app: every transfer message, in order, through the openai client pointed at the gateway
 * (every fourth one streamed). `progress` is told every REPORT_EVERY calls how things stand.
 */
export async function replayCapturedCalls(demo: CaptureDemo, progress: (line: string) => void): Promise<CaptureReplay> {
  const { gateway, data } = demo;
  const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: demo.predictKey, maxRetries: 0 });
  const responseFormat = { type: "json_schema" as const, json_schema: { name: "transfer", strict: true, schema: outputJsonSchema(data.fields) } };
  const gold = [...data.seed, ...data.traffic];
  const result: CaptureReplay = { calls: 0, specialist: 0, servedFrom: null, correct: 0, task: null };
  const report = async (): Promise<DiscoveredTask | null> => {
    const res = await fetch(`${gateway.url}/v1/captured`, { headers: { authorization: `Bearer ${demo.adminKey}` } });
    const tasks = ((await res.json()) as { data: DiscoveredTask[] }).data;
    return tasks[0] ?? null;
  };
  for (const [i, g] of gold.entries()) {
    const messages = [
      { role: "system" as const, content: SYSTEM_PROMPT },
      { role: "user" as const, content: g.text },
    ];
    let content = "";
    let source: string | undefined;
    if (i % 4 === 3) {
      const stream = await client.chat.completions.create({ model: APP_MODEL, messages, response_format: responseFormat, stream: true });
      for await (const chunk of stream) {
        content += chunk.choices[0]?.delta?.content ?? "";
        source ??= (chunk as unknown as { apprentice?: { source?: string } }).apprentice?.source;
      }
    } else {
      const reply = await client.chat.completions.create({ model: APP_MODEL, messages, response_format: responseFormat });
      content = reply.choices[0].message.content ?? "";
      source = (reply as unknown as { apprentice?: { source?: string } }).apprentice?.source;
    }
    result.calls++;
    if (source === "specialist") {
      result.specialist++;
      result.servedFrom ??= result.calls;
    }
    if (JSON.stringify(JSON.parse(content)) === JSON.stringify(parseCanonical(g.label))) result.correct++;
    // The gateway learns after each reply: wait for it (and for a retrain under way), so every run tells the same story.
    await settled(gateway, result.calls);
    if (result.calls % REPORT_EVERY === 0) progress(progressLine(result, await report()));
  }
  result.task = await report();
  return result;
}

/** Waits until the gateway has logged `calls` captured calls and finished the retrains they started. */
async function settled(gateway: Gateway, calls: number): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    const tasks = (await gateway.store.tasks.list()).map((t) => t.name);
    let logged = 0;
    for (const t of tasks) logged += await gateway.store.requests.count(t);
    if (logged >= calls) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  await gateway.app.runtimes.idle();
}

function progressLine(r: CaptureReplay, task: DiscoveredTask | null): string {
  if (task === null) return `  ${r.calls} calls: no task captured yet`;
  const s = task.shadow_live_version ?? task.shadow;
  const bound = s.disagreement_bound === null ? "no bound yet" : `disagreement ≤ ${percent(s.disagreement_bound)} (${percent(s.confidence_level)})`;
  return `  ${r.calls} calls: mode ${task.capture.mode}, specialist v${task.model_version ?? 0}; shadow: would answer ${s.would_answer} of ${s.requests}, ${bound}; answered by the specialist so far: ${r.specialist}`;
}

export function captureSummary(r: CaptureReplay, demo: CaptureDemo): string[] {
  const task = r.task;
  if (task === null) return ["No task was captured."];
  const cost = task.shadow.cost / Math.max(1, task.shadow.requests);
  return [
    `Captured task ${task.name}: ${task.fields.length} fields (${task.fields.map((f) => `${f.name}: ${f.kind}`).join(", ")}), from calls to ${task.capture.model}.`,
    r.servedFrom === null
      ? `It stayed in ${task.capture.mode} mode: shadow traffic did not prove the bound within ${r.calls} calls.`
      : `auto_serve switched it to serve; the specialist answered its first call at call ${r.servedFrom}.`,
    `Of ${r.calls} calls the specialist answered ${r.specialist} (${percent(r.specialist / r.calls)}); the LLM answered ${demo.llm.calls} (audits included).`,
    `Replies matching the transfer's true answer: ${percent(r.correct / r.calls)} (the simulated LLM is right on ${percent(DEFAULT_STRUCTURED_SIM_ACCURACY)} of them).`,
    `The LLM's cost per call here: $${fixed(cost, 6)}; calls not sent to it saved $${fixed(cost * r.specialist, 4)}.`,
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
