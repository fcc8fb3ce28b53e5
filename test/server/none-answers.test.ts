// "None of these" through the gateway: a real OpenAITeacher over loopback is offered the none
// answer, answers it for messages that fit no label, and the gateway stores, counts and returns
// it as the task says (a configured reply, or the upstream LLM's own reply); people may give it
// too, by feedback and by import.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NONE_LABEL } from "../../src/task/definition.js";
import { FaultTeacher } from "../support/fault-teacher.js";
import { GOLD, startTestGateway, stopTestGateway, taskBody, type TestGateway } from "./helpers.js";

const KEY = "sk-none-SECRET-51c0de";
const SORRY = "Sorry, I can only help with the topics of this service.";
const OFF_TOPIC = "what does the word serendipity mean";

let ft: FaultTeacher;
let upstream: Server;
/** Bodies the fake upstream received. */
const upstreamSeen: { model: string }[] = [];
let g: TestGateway;
let client: OpenAI;

function noneTask(name: string, overrides: Record<string, unknown> = {}) {
  // An error target no holdout can certify: every request goes to the teacher.
  return taskBody(name, { teacher: { name: "fault" }, routing: { max_error: 0.001, confidence_level: 0.95, audit_rate: 0 }, ...overrides });
}

beforeAll(async () => {
  ft = await FaultTeacher.start();
  const gold = new Map(GOLD.map((e) => [e.text, e.label]));
  ft.answerFor = (text) => gold.get(text) ?? NONE_LABEL;
  upstream = createServer((req, res) => {
    let text = "";
    req.on("data", (c: Buffer) => (text += c.toString("utf8")));
    req.on("end", () => {
      const body = JSON.parse(text) as { model: string; messages: { content: string }[] };
      upstreamSeen.push({ model: body.model });
      const message = { role: "assistant", content: `the LLM on: ${body.messages[0].content}`, refusal: null };
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ id: "chatcmpl-up", object: "chat.completion", created: 1, model: body.model, choices: [{ index: 0, message, logprobs: null, finish_reason: "stop" }] }));
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  const fault = { provider: "openai" as const, base_url: ft.baseURL, model: "fault-model", api_key_env: "APPRENTICE_NONE_TEST_KEY", timeout_ms: 2_000, max_retries: 0, concurrency: 4 };
  g = await startTestGateway(undefined, {
    teachers: { fault },
    env: { APPRENTICE_NONE_TEST_KEY: KEY },
    upstream: { baseURL: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`, apiKey: "sk-upstream-none" },
  });
  client = new OpenAI({ baseURL: `${g.url}/v1`, apiKey: g.predictKey, maxRetries: 0 });
  for (const t of [noneTask("none-reply", { none: { answer: SORRY } }), noneTask("none-upstream", { none: { upstream_model: "gpt-up" } }), noneTask("none-plain")]) {
    expect((await g.request("POST", "/v1/tasks", { body: t })).status).toBe(201);
  }
});

afterAll(async () => {
  await stopTestGateway(g);
  await ft.close();
  await new Promise<void>((resolve) => upstream.close(() => resolve()));
});

describe("none of these, answered by the teacher", () => {
  it("is offered to the teacher in the prompt and the structured-output schema", async () => {
    const before = ft.requests.length;
    expect((await g.request("POST", "/v1/tasks/none-plain/predict", { key: g.predictKey, body: { input: GOLD[0].text } })).body).toMatchObject({ label: GOLD[0].label, source: "teacher" });
    const sent = ft.requests[before].body as { messages: { role: string; content: string }[]; response_format?: { json_schema: { schema: { properties: { label: { enum: string[] } } } } } };
    expect(sent.messages[0].content).toContain(`"${NONE_LABEL}"`);
    expect(sent.response_format?.json_schema.schema.properties.label.enum).toContain(NONE_LABEL);
  });

  it("is returned, stored as an example and counted in stats", async () => {
    const res = await g.request("POST", "/v1/tasks/none-plain/predict", { key: g.predictKey, body: { input: OFF_TOPIC } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ label: NONE_LABEL, source: "teacher", status: "ok" });
    const rt = (await g.app.runtimes.get("none-plain"))!;
    expect(rt.cascade.store.get(OFF_TOPIC)?.label).toBe(NONE_LABEL);
    const stats = await g.request("GET", "/v1/tasks/none-plain/stats");
    expect(stats.body).toMatchObject({ requests: 2, none_answers: 1, none_share: 0.5 });
  });

  it("answers a chat completion with the task's configured reply", async () => {
    const done = await client.chat.completions.create({ model: "task:none-reply", messages: [{ role: "user", content: OFF_TOPIC }] });
    expect(done.choices[0].message.content).toBe(SORRY);
    expect((done as unknown as { apprentice: { label: string } }).apprentice.label).toBe(NONE_LABEL);
    // A message that fits a label keeps that label's reply.
    const fits = await client.chat.completions.create({ model: "task:none-reply", messages: [{ role: "user", content: GOLD[1].text }] });
    expect(fits.choices[0].message.content).not.toBe(SORRY);
  });

  it("passes the chat completion to the upstream LLM under the configured model, and logs the request", async () => {
    const before = upstreamSeen.length;
    const { data, response } = await client.chat.completions.create({ model: "task:none-upstream", messages: [{ role: "user", content: OFF_TOPIC }] }).withResponse();
    expect(data.choices[0].message.content).toBe(`the LLM on: ${OFF_TOPIC}`);
    expect(upstreamSeen.slice(before)).toEqual([{ model: "gpt-up" }]);
    const id = response.headers.get("x-apprentice-request-id");
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await g.app.requestLog.flush();
    expect(await g.store.requests.get(id!)).toMatchObject({ task: "none-upstream", label: NONE_LABEL, source: "teacher" });
    // An in-scope message never reaches the upstream.
    await client.chat.completions.create({ model: "task:none-upstream", messages: [{ role: "user", content: GOLD[2].text }] });
    expect(upstreamSeen.length).toBe(before + 1);
  });
});

describe("none of these, given by people", () => {
  it("is a label feedback may give, and other unknown labels are still refused", async () => {
    const res = await g.request("POST", "/v1/tasks/none-plain/predict", { key: g.predictKey, body: { input: GOLD[3].text } });
    const ok = await g.request("POST", "/v1/tasks/none-plain/feedback", { body: { request_id: res.body.request_id, label: NONE_LABEL } });
    expect(ok.status).toBe(200);
    const rt = (await g.app.runtimes.get("none-plain"))!;
    expect(rt.cascade.store.get(GOLD[3].text)).toMatchObject({ label: NONE_LABEL, source: "human" });
    const bad = await g.request("POST", "/v1/tasks/none-plain/feedback", { body: { request_id: res.body.request_id, label: "none_of_those" } });
    expect(bad.status).toBe(400);
  });

  it("is a label an import may carry", async () => {
    const res = await g.request("POST", "/v1/tasks/none-reply/examples", { body: [{ text: "is it going to snow on mars", label: NONE_LABEL }, { text: "who won the chess final", label: "nope" }] });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ line: 2, reason: 'label "nope" is not one of the task\'s labels' }]);
    const ok = await g.request("POST", "/v1/tasks/none-reply/examples", { body: [{ text: "is it going to snow on mars", label: NONE_LABEL }] });
    expect(ok.status).toBe(200);
  });
});
