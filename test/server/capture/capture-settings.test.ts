// The gateway's capture settings and a captured task's own: which keys are captured, how inputs
// are kept, how many tasks may be founded, and auto_serve switching a task once shadow traffic
// proves its bound.
import OpenAI from "openai";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CaptureSettings } from "../../../src/server/capture/capture-settings.js";
import { CaptureSettingsSchema } from "../../../src/server/capture/capture-settings.js";
import { startSimulatedLlm, type SimulatedLlm } from "../../../src/teacher/simulated-llm-server.js";
import { startTestGateway, stopTestGateway, type TestGateway } from "../helpers.js";
import { SYSTEM_PROMPT, TRANSFER_SCHEMA, transferAnswer, transferCall, transferLlm, transferTexts } from "./transfer-calls.js";

let llm: SimulatedLlm;
let g: TestGateway;

async function start(settings: Partial<CaptureSettings>): Promise<OpenAI> {
  llm = await startSimulatedLlm(transferLlm);
  g = await startTestGateway(undefined, { upstream: { baseURL: llm.url }, options: { capture: CaptureSettingsSchema.parse(settings) } });
  return new OpenAI({ baseURL: `${g.url}/v1`, apiKey: g.predictKey, maxRetries: 0 });
}

async function until<T>(read: () => Promise<T>, done: (x: T) => boolean): Promise<T> {
  let x = await read();
  for (let i = 0; !done(x) && i < 400; i++) {
    await new Promise((r) => setTimeout(r, 25));
    x = await read();
  }
  return x;
}

const captured = async () => (await g.request("GET", "/v1/captured")).body.data as { name: string; capture: { mode: string }; privacy: string }[];

afterEach(async () => {
  await stopTestGateway(g);
  await llm.close();
});

describe("capture settings", () => {
  let app: OpenAI;

  describe("hash_inputs and an excluded key", () => {
    beforeEach(async () => {
      app = await start({ privacy: "hash_inputs", exclude_keys: ["test admin"] });
    });

    it("keeps only the hash of a captured input in the request log, and still learns the answer", async () => {
      const [text] = transferTexts(1);
      await app.chat.completions.create(transferCall(text));
      const [task] = await until(captured, (t) => t.length === 1);
      expect(task.privacy).toBe("hash_inputs");
      await until(() => g.store.requests.count(task.name), (n) => n === 1);
      const { data } = await g.store.requests.search(task.name, {}, 1);
      expect(data[0].input).toBeNull();
      expect(data[0].input_hash).toMatch(/^[0-9a-f]{64}$/);
      expect((await g.store.examples.all(task.name)).map((e) => JSON.parse(e.label))).toEqual([transferAnswer(text)]);
      // Nor does the console show samples of it.
      expect((await g.request("GET", `/v1/captured/${task.name}`)).body.samples).toEqual([]);
    });

    it("passes the calls of an excluded key through untouched", async () => {
      const admin = new OpenAI({ baseURL: `${g.url}/v1`, apiKey: g.adminKey, maxRetries: 0 });
      const [text] = transferTexts(1, 5);
      const res = await admin.chat.completions.create(transferCall(text));
      expect(JSON.parse(res.choices[0].message.content!)).toEqual(transferAnswer(text));
      await new Promise((r) => setTimeout(r, 100));
      expect(await captured()).toEqual([]);
    });
  });

  it("founds at most max_tasks tasks, and none for a schema it cannot learn", async () => {
    app = await start({ max_tasks: 1 });
    const nested = { type: "object", properties: { payee: { type: "object", properties: { name: { type: "string" } } } } };
    const res = await app.chat.completions.create({ ...transferCall("Send 4 euros to Anna"), response_format: { type: "json_schema", json_schema: { name: "nested", schema: nested } } });
    expect(res.choices[0].message.content).toBe(JSON.stringify(transferAnswer("Send 4 euros to Anna")));
    await app.chat.completions.create(transferCall(transferTexts(1)[0]));
    await until(captured, (t) => t.length === 1);
    await app.chat.completions.create({ ...transferCall(transferTexts(1)[0]), model: "gpt-other" });
    await new Promise((r) => setTimeout(r, 100));
    const tasks = await captured();
    expect(tasks.map((t) => t.name)).toEqual([expect.stringMatching(/^transfer-/)]);
    const metrics = await (await fetch(`${g.url}/metrics`)).text();
    expect(metrics).toMatch(/apprentice_capture_skipped_total\{reason="unsupported_schema"\} 1/);
    expect(metrics).toMatch(/apprentice_capture_skipped_total\{reason="task_limit"\} 1/);
  });

  it("captures an app's few-shot turns as part of its prompt once a call repeats them, and never a conversation whose history varies", async () => {
    app = await start({});
    const texts = transferTexts(4, 40);
    const withTurns = (text: string, turns: { role: "user" | "assistant"; content: string }[]) => ({
      ...transferCall(text),
      messages: [{ role: "system" as const, content: SYSTEM_PROMPT }, ...turns, { role: "user" as const, content: text }],
    });
    const quiet = () => new Promise((r) => setTimeout(r, 100));
    // A conversation: every call's history is its own, so its answer may depend on more than the
    // last message, which is all a specialist would read.
    for (const [i, text] of texts.slice(0, 3).entries()) {
      const res = await app.chat.completions.create(withTurns(text, [{ role: "user", content: `earlier message ${i}` }, { role: "assistant", content: "{}" }]));
      expect(JSON.parse(res.choices[0].message.content!)).toEqual(transferAnswer(text));
    }
    await quiet();
    expect(await captured()).toEqual([]);
    // Few-shot examples written as messages: the same turns in every call are the task's prompt.
    const fewShot = [{ role: "user" as const, content: "Send 3 euros to Bo" }, { role: "assistant" as const, content: JSON.stringify(transferAnswer("Send 3 euros to Bo")) }];
    await app.chat.completions.create(withTurns(texts[0], fewShot));
    await quiet();
    expect(await captured()).toEqual([]);
    await app.chat.completions.create(withTurns(texts[3], fewShot));
    const [task] = await until(captured, (t) => t.length === 1);
    const examples = await until(() => g.store.examples.all(task.name), (e) => e.length === 1);
    expect(examples.map((e) => [e.text, JSON.parse(e.label)])).toEqual([[texts[3], transferAnswer(texts[3])]]);
    // The same prompt without the turns asks differently: another task.
    await app.chat.completions.create(transferCall(texts[1]));
    expect((await until(captured, (t) => t.length === 2)).length).toBe(2);
    const metrics = await (await fetch(`${g.url}/metrics`)).text();
    expect(metrics).toMatch(/apprentice_capture_skipped_total\{reason="unrepeated_turns"\} 4/);
  });

  it("auto_serve switches a task to serve once shadow calls prove its bound, and it then answers itself", async () => {
    // More than the ~60 held-out calls could give: the version must prove itself on shadow calls.
    app = await start({ auto_serve: { min_requests: 100 } });
    const texts = transferTexts(260);
    await app.chat.completions.create(transferCall(texts[0]));
    const [{ name }] = await until(captured, (t) => t.length === 1);
    expect((await g.request("PATCH", `/v1/tasks/${name}`, { body: { routing: { max_error: 0.2, confidence_level: 0.9, audit_rate: 0 }, training: { min_examples: 60, retrain_every: 60, holdout_fraction: 0.3, seed: 1 } } })).status).toBe(200);
    // Not yet: the first version may prove itself on these calls already, and the test is about the retrained one.
    expect((await g.request("PATCH", `/v1/captured/${name}`, { body: { auto_serve: false } })).status).toBe(200);
    for (const text of texts.slice(1, 200)) await app.chat.completions.create(transferCall(text));
    await until(() => g.store.requests.count(name), (n) => n >= 200);
    expect((await g.request("POST", `/v1/tasks/${name}/retrain`)).status).toBe(200);
    // A retrain the 200 calls started may still be running: the version to prove is the last one.
    await g.app.runtimes.idle();
    expect((await g.request("PATCH", `/v1/captured/${name}`, { body: { auto_serve: true } })).status).toBe(200);
    // Replays: the specialist's would-be answers are judged against the LLM's.
    let mode = "shadow";
    for (let i = 0; mode === "shadow" && i < 10; i++) {
      for (const text of texts.slice(0, 50)) await app.chat.completions.create(transferCall(text));
      mode = (await until(captured, (t) => t[0].capture.mode === "serve")).at(0)!.capture.mode;
    }
    expect(mode).toBe("serve");
    const report = (await g.request("GET", `/v1/captured/${name}`)).body;
    expect(report.shadow_live_version.proven).toBe(true);
    expect(report.shadow_live_version.would_answer_judged).toBeGreaterThanOrEqual(100);
    // Serving: some replay is now answered by the specialist, in the OpenAI shape the app asked for.
    let specialist = 0;
    for (const text of texts.slice(0, 30)) {
      const stream = await app.chat.completions.create({ ...transferCall(text), stream: true });
      let content = "";
      let source: string | undefined;
      for await (const chunk of stream) {
        content += chunk.choices[0]?.delta?.content ?? "";
        source ??= (chunk as unknown as { apprentice?: { source: string } }).apprentice?.source;
      }
      expect(JSON.parse(content)).toEqual(transferAnswer(text));
      if (source === "specialist") specialist++;
    }
    expect(specialist).toBeGreaterThan(0);
  });

  it("auto_serve counts the held-out calls a version's threshold covers: a task retrained after every call batch still switches", async () => {
    // More than the 25 calls between two checks could judge live: only held-out calls can reach it.
    app = await start({ auto_serve: { min_requests: 30 } });
    const texts = transferTexts(260);
    await app.chat.completions.create(transferCall(texts[0]));
    const [{ name }] = await until(captured, (t) => t.length === 1);
    const training = { min_examples: 60, retrain_every: 60, holdout_fraction: 0.3, seed: 1 };
    expect((await g.request("PATCH", `/v1/tasks/${name}`, { body: { routing: { max_error: 0.2, confidence_level: 0.9, audit_rate: 0 }, training } })).status).toBe(200);
    expect((await g.request("PATCH", `/v1/captured/${name}`, { body: { auto_serve: false } })).status).toBe(200);
    for (const text of texts.slice(1, 200)) await app.chat.completions.create(transferCall(text));
    await until(() => g.store.requests.count(name), (n) => n >= 200);
    expect((await g.request("POST", `/v1/tasks/${name}/retrain`)).status).toBe(200);
    await g.app.runtimes.idle();
    const choice = (await g.app.runtimes.get(name))?.cascade.thresholdChoice;
    expect(choice?.threshold).not.toBeNull();
    expect(choice!.covered).toBeGreaterThanOrEqual(30);
    expect((await g.request("PATCH", `/v1/captured/${name}`, { body: { auto_serve: true } })).status).toBe(200);
    // One check's worth of new calls switches it: the held-out proof is enough.
    for (const text of texts.slice(200, 226)) await app.chat.completions.create(transferCall(text));
    const [task] = await until(captured, (t) => t[0].capture.mode === "serve");
    expect(task.capture.mode).toBe("serve");
    const shadow = (await g.request("GET", `/v1/captured/${name}`)).body.shadow_live_version;
    expect(shadow.would_answer_judged).toBeLessThan(30);
  });

  it("learns every relayed call before it stops, those still waiting to be learned included", async () => {
    app = await start({});
    const texts = transferTexts(40);
    const replies = await Promise.all(texts.map((text) => app.chat.completions.create(transferCall(text))));
    expect(replies.map((r) => JSON.parse(r.choices[0].message.content!))).toEqual(texts.map(transferAnswer));
    // Stopped the moment the last reply is in: calls still queued for learning are learned first.
    const { dir, adminKey, predictKey } = g;
    await g.close();
    g = await startTestGateway({ dir, adminKey, predictKey }, { upstream: { baseURL: llm.url } });
    const [{ name }] = await captured();
    expect(await g.store.requests.count(name)).toBe(texts.length);
    expect(await g.store.examples.count(name)).toBe(texts.length);
  });

  it("relays the calls it has no room to learn, and counts them per task", async () => {
    app = await start({});
    const texts = transferTexts(6);
    await app.chat.completions.create(transferCall(texts[0]));
    const [{ name }] = await until(captured, (t) => t.length === 1);
    await until(() => g.store.requests.count(name), (n) => n >= 1);
    // The same database under a gateway whose learning queue holds nothing: every call is shed.
    const { dir, adminKey, predictKey } = g;
    await g.close();
    g = await startTestGateway({ dir, adminKey, predictKey }, { upstream: { baseURL: llm.url }, options: { capture: CaptureSettingsSchema.parse({ learn_queue: { calls: 0 } }) } });
    app = new OpenAI({ baseURL: `${g.url}/v1`, apiKey: g.predictKey, maxRetries: 0 });
    for (const text of texts.slice(1)) {
      const reply = await app.chat.completions.create(transferCall(text));
      expect(JSON.parse(reply.choices[0].message.content!)).toEqual(transferAnswer(text));
    }
    const report = (await g.request("GET", `/v1/captured/${name}`)).body;
    expect(report.shed_calls).toBe(texts.length - 1);
    expect(report.shadow.requests).toBe(1);
    expect(await g.store.examples.count(name)).toBe(1);
    expect((await g.app.metrics.captured.get()).values.find((v) => v.labels.status === "shed")?.value).toBe(texts.length - 1);
  });

  it("serves a forced tool call as a tool call", async () => {
    app = await start({});
    const tools = [{ type: "function" as const, function: { name: "record_transfer", parameters: TRANSFER_SCHEMA } }];
    const call = (text: string) => ({ model: "gpt-sim", messages: [{ role: "user" as const, content: text }], tools, tool_choice: "required" as const });
    const texts = transferTexts(200);
    await app.chat.completions.create(call(texts[0]));
    const [{ name }] = await until(captured, (t) => t.length === 1);
    await g.request("PATCH", `/v1/tasks/${name}`, { body: { routing: { max_error: 0.2, confidence_level: 0.9, audit_rate: 0 }, training: { min_examples: 60, retrain_every: 1000, holdout_fraction: 0.3, seed: 1 } } });
    for (const text of texts.slice(1)) await app.chat.completions.create(call(text));
    await until(() => g.store.requests.count(name), (n) => n >= 200);
    expect((await g.request("POST", `/v1/tasks/${name}/retrain`)).status).toBe(200);
    expect((await g.request("PATCH", `/v1/captured/${name}`, { body: { mode: "serve" } })).status).toBe(200);
    let specialist = 0;
    for (const text of texts.slice(0, 40)) {
      const res = await app.chat.completions.create(call(text));
      const tool = res.choices[0].message.tool_calls![0] as { type: string; function: { name: string; arguments: string } };
      expect(tool.function.name).toBe("record_transfer");
      expect(JSON.parse(tool.function.arguments)).toEqual(transferAnswer(text));
      if ((res as unknown as { apprentice?: { source: string } }).apprentice?.source === "specialist") {
        specialist++;
        expect(res.choices[0].finish_reason).toBe("tool_calls");
      }
    }
    expect(specialist).toBeGreaterThan(0);
  });
});
