// Capture end to end: an app's json_schema calls through the official openai client, pointed at
// the gateway, which forwards them to a local simulated LLM; replies must arrive unchanged, and the
// calls must become a captured task that learns in shadow mode and serves once switched.
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CaptureSettingsSchema } from "../../../src/server/capture/capture-settings.js";
import { startSimulatedLlm, type SimulatedLlm } from "../../../src/teacher/simulated-llm-server.js";
import { startTestGateway, stopTestGateway, type TestGateway } from "../helpers.js";
import { SYSTEM_PROMPT, TRANSFER_SCHEMA, transferAnswer, transferCall, transferLlm, transferTexts } from "./transfer-calls.js";

let llm: SimulatedLlm;
let g: TestGateway;
let app: OpenAI;
let direct: OpenAI;

/** Waits until `task` has `rows` logged requests (learning runs after the reply went to the app). */
async function logged(gateway: TestGateway, task: string, rows: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if ((await gateway.store.requests.count(task)) >= rows) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`task ${task} has ${await gateway.store.requests.count(task)} logged requests, expected ${rows}`);
}

async function capturedTasks(gateway: TestGateway) {
  const res = await gateway.request("GET", "/v1/captured");
  expect(res.status).toBe(200);
  return res.body.data as { name: string; capture: { mode: string; fingerprints: string[]; via: string; follows?: string }; examples: number; shadow: { requests: number; would_answer: number; disagreements: number } }[];
}

beforeAll(async () => {
  llm = await startSimulatedLlm(transferLlm);
  g = await startTestGateway(undefined, { upstream: { baseURL: llm.url, apiKey: "sk-upstream-secret-capture" }, options: { capture: CaptureSettingsSchema.parse({ exclude_models: ["gpt-private"], max_tasks: 5, task_defaults: { routing: { max_error: 0.12 }, training: { min_examples: 40 } }, prices: { "gpt-sim": { input_per_mtok: 1, output_per_mtok: 2 } } }) } });
  app = new OpenAI({ baseURL: `${g.url}/v1`, apiKey: g.predictKey, maxRetries: 0 });
  direct = new OpenAI({ baseURL: llm.url, apiKey: "unused", maxRetries: 0 });
});
afterAll(async () => {
  await stopTestGateway(g);
  await llm.close();
});

describe("capture in shadow mode", () => {
  let task: string;

  it("relays plain and streamed replies unchanged and founds one task for them", async () => {
    const [text, streamedText] = transferTexts(2);
    const viaGateway = await app.chat.completions.create(transferCall(text));
    const straight = await direct.chat.completions.create(transferCall(text));
    expect(viaGateway.choices[0].message.content).toBe(straight.choices[0].message.content);
    expect(viaGateway.usage).toEqual(straight.usage);
    expect((viaGateway as unknown as Record<string, unknown>).apprentice).toBeUndefined();

    const stream = await app.chat.completions.create({ ...transferCall(streamedText), stream: true, stream_options: { include_usage: true } });
    let content = "";
    for await (const chunk of stream) content += chunk.choices[0]?.delta?.content ?? "";
    expect(JSON.parse(content)).toEqual(transferAnswer(streamedText));

    const tasks = await capturedTasks(g);
    expect(tasks).toHaveLength(1);
    task = tasks[0].name;
    expect(task).toMatch(/^transfer-[0-9a-f]{10}$/);
    await logged(g, task, 2);
    const examples = await g.store.examples.all(task);
    expect(examples.map((e) => JSON.parse(e.label))).toEqual(expect.arrayContaining([transferAnswer(text), transferAnswer(streamedText)]));
    const { data } = await g.store.requests.search(task, {}, 10);
    expect(data.every((r) => r.shadow && r.source === "teacher")).toBe(true);
    // Cost from the simulated usage at the configured prices.
    expect(data.every((r) => r.cost > 0)).toBe(true);
    // A task first seen minutes ago projects its day from an hour: 2 calls an hour are 48 a day.
    const report = (await g.request("GET", `/v1/captured/${task}`)).body;
    expect(report.per_day.calls).toBeCloseTo(48, 6);
    expect(report.shadow).toMatchObject({ requests: 2, judged: 2, would_answer: 0 });
    // Its teacher is the upstream's answer to each call: there is none to ask directly, and the task says so.
    const described = (await g.request("GET", `/v1/tasks/${task}`)).body;
    expect(described.teacher).toMatchObject({ status: "unavailable", reason: expect.stringMatching(/is a captured task: its teacher is the upstream's own answer/) });
    // It starts with the gateway's capture.task_defaults, the rest a task's defaults.
    expect(described.definition.routing).toMatchObject({ max_error: 0.12, confidence_level: 0.95 });
    expect(described.definition.training).toMatchObject({ min_examples: 40, retrain_every: 250 });
  });

  it("keeps the task for a re-serialised schema and a re-indented prompt, and links a changed prompt to it", async () => {
    const reordered = { ...TRANSFER_SCHEMA, properties: { recipient: TRANSFER_SCHEMA.properties.recipient, amount: TRANSFER_SCHEMA.properties.amount, currency: TRANSFER_SCHEMA.properties.currency } };
    const [text, other] = transferTexts(2, 2);
    await app.chat.completions.create({
      ...transferCall(text),
      messages: [
        { role: "system", content: `  ${SYSTEM_PROMPT.replace(/ /g, "\n   ")}  ` },
        { role: "user", content: text },
      ],
      response_format: { type: "json_schema", json_schema: { name: "transfer", strict: true, schema: reordered } },
    });
    await logged(g, task, 3);
    expect(await capturedTasks(g)).toHaveLength(1);

    await app.chat.completions.create({ ...transferCall(other), messages: [{ role: "system", content: `${SYSTEM_PROMPT} Answer in JSON.` }, { role: "user", content: other }] });
    let tasks = await capturedTasks(g);
    for (let i = 0; tasks.length < 2 && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 20));
      tasks = await capturedTasks(g);
    }
    const changed = tasks.find((t) => t.name !== task)!;
    expect(changed.capture.follows).toBe(task);
    expect(changed.capture.fingerprints[0]).not.toBe(tasks.find((t) => t.name === task)!.capture.fingerprints[0]);
    expect((await g.request("DELETE", `/v1/tasks/${changed.name}`)).status).toBe(204);
  });

  it("relays an upstream failure unchanged and never learns from it", async () => {
    const before = await g.store.examples.count(task);
    const rows = await g.store.requests.count(task);
    const viaGateway = await app.chat.completions.create(transferCall("Send 5 euros to Anna FAIL")).catch((e: unknown) => e);
    const straight = await direct.chat.completions.create(transferCall("Send 5 euros to Anna FAIL")).catch((e: unknown) => e);
    expect(viaGateway).toBeInstanceOf(OpenAI.APIError);
    expect((viaGateway as InstanceType<typeof OpenAI.APIError>).status).toBe(500);
    expect((viaGateway as InstanceType<typeof OpenAI.APIError>).error).toEqual((straight as InstanceType<typeof OpenAI.APIError>).error);
    await logged(g, task, rows + 1);
    expect(await g.store.examples.count(task)).toBe(before);
    const { data } = await g.store.requests.search(task, {}, 1);
    expect(data[0]).toMatchObject({ status: "teacher_error", label: null, shadow: true });
  });

  it("captures a forced tool call, whose arguments are the answer", async () => {
    const [text] = transferTexts(1, 9);
    const res = await app.chat.completions.create({
      model: "gpt-sim",
      messages: [{ role: "user", content: text }],
      tools: [{ type: "function", function: { name: "record_transfer", parameters: TRANSFER_SCHEMA } }],
      tool_choice: { type: "function", function: { name: "record_transfer" } },
    });
    const call = res.choices[0].message.tool_calls![0] as { function: { arguments: string } };
    expect(JSON.parse(call.function.arguments)).toEqual(transferAnswer(text));
    let tool: { name: string; capture: { via: string } } | undefined;
    for (let i = 0; tool === undefined && i < 100; i++) {
      tool = (await capturedTasks(g)).find((t) => t.capture.via === "tool");
      if (tool === undefined) await new Promise((r) => setTimeout(r, 20));
    }
    expect(tool!.name).toMatch(/^record-transfer-/);
    await logged(g, tool!.name, 1);
    expect((await g.store.examples.all(tool!.name)).map((e) => JSON.parse(e.label))).toEqual([transferAnswer(text)]);
  });

  it("passes calls to an excluded model, and calls without a schema, through without capturing them", async () => {
    const count = (await capturedTasks(g)).length;
    const requests = await g.store.requests.count(task);
    await app.chat.completions.create({ ...transferCall(transferTexts(1, 40)[0]), model: "gpt-private" });
    await app.chat.completions.create({ model: "gpt-sim", messages: [{ role: "user", content: "Send 3 euros to Ben" }] }).catch(() => null);
    await new Promise((r) => setTimeout(r, 100));
    expect((await capturedTasks(g)).length).toBe(count);
    expect(await g.store.requests.count(task)).toBe(requests);
  });
});

describe("from shadow to serve", () => {
  it("serves exactly the calls shadow mode said the specialist would answer, with the answers it logged", async () => {
    const [{ name: task }] = (await capturedTasks(g)).filter((t) => t.capture.via === "response_format");
    // Small enough to train and prove a threshold on a few hundred calls.
    const patched = await g.request("PATCH", `/v1/tasks/${task}`, { body: { routing: { max_error: 0.2, confidence_level: 0.9, audit_rate: 0 }, training: { min_examples: 60, retrain_every: 1000, holdout_fraction: 0.3, seed: 1 } } });
    expect(patched.status).toBe(200);
    const training = transferTexts(240, 100);
    for (const text of training) await app.chat.completions.create(transferCall(text));
    await logged(g, task, training.length);
    const retrain = await g.request("POST", `/v1/tasks/${task}/retrain`);
    expect(retrain.status).toBe(200);
    const rt = await g.app.runtimes.get(task);
    expect(rt!.modelVersion).toBeGreaterThan(0);
    expect(rt!.cascade.router.threshold).not.toBeNull();

    // Calls the task has seen (their answers are stored, so replaying them changes no example).
    const replay = training.slice(0, 80);
    const before = await g.store.requests.count(task);
    for (const text of replay) await app.chat.completions.create(transferCall(text));
    await logged(g, task, before + replay.length);
    const { data: shadowRows } = await g.store.requests.search(task, {}, replay.length);
    const wouldAnswer = new Map(shadowRows.filter((r) => r.shadow).map((r) => [r.input, r.shadow_label]));
    expect(wouldAnswer.size).toBe(replay.length);
    const answered = [...wouldAnswer.values()].filter((l) => l !== null).length;
    expect(answered).toBeGreaterThan(0);

    const switched = await g.request("PATCH", `/v1/captured/${task}`, { body: { mode: "serve" } });
    expect(switched.status).toBe(200);
    expect(switched.body.capture.mode).toBe("serve");
    const callsBefore = llm.calls;
    let served = 0;
    for (const text of replay) {
      const res = await app.chat.completions.create(transferCall(text));
      const apprentice = (res as unknown as { apprentice?: { source: string } }).apprentice;
      const expected = wouldAnswer.get(text)!;
      if (expected === null) {
        expect(apprentice).toBeUndefined();
      } else {
        served++;
        expect(apprentice?.source).toBe("specialist");
        expect(res.model).toBe("gpt-sim");
        expect(JSON.parse(res.choices[0].message.content!)).toEqual(JSON.parse(expected));
      }
    }
    expect(served).toBe(answered);
    expect(llm.calls - callsBefore).toBe(replay.length - answered);
    // The report counts what serving did beside what shadow mode measured.
    const report = (await g.request("GET", `/v1/captured/${task}`)).body;
    expect(report.served).toMatchObject({ requests: replay.length, by_specialist: answered });
    expect(report.shadow.requests).toBe(before + replay.length);
  });
});
