// The OpenAI-compatible surface, through the official `openai` client.
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GOLD, startTestGateway, stopTestGateway, taskBody, type TestGateway } from "./helpers.js";

let g: TestGateway;
let client: OpenAI;

beforeAll(async () => {
  g = await startTestGateway();
  expect((await g.request("POST", "/v1/tasks", { body: taskBody("chat") })).status).toBe(201);
  client = new OpenAI({ baseURL: `${g.url}/v1`, apiKey: g.predictKey, maxRetries: 0 });
});
afterAll(async () => {
  await stopTestGateway(g);
});

const weather = GOLD.find((e) => e.label === "weather")!;
const sports = GOLD.find((e) => e.label === "sports")!;

describe("OpenAI-compatible API", () => {
  it("lists the tasks as models", async () => {
    const models = [];
    for await (const m of client.models.list()) models.push(m.id);
    expect(models).toEqual(["task:chat"]);
  });

  it("answers a chat completion with the label's answer text, or the label", async () => {
    const res = await client.chat.completions.create({ model: "task:chat", messages: [{ role: "system", content: "be nice" }, { role: "user", content: weather.text }] });
    expect(res.object).toBe("chat.completion");
    expect(res.choices[0].message.content).toBe("Here is the weather forecast.");
    expect(res.choices[0].finish_reason).toBe("stop");
    expect(res.usage!.prompt_tokens).toBeGreaterThan(0);
    expect(res.usage!.total_tokens).toBe(res.usage!.prompt_tokens + res.usage!.completion_tokens);
    const extra = (res as unknown as { apprentice: { label: string; source: string; request_id: string } }).apprentice;
    expect(extra).toMatchObject({ label: "weather", source: "teacher" });
    expect(await g.app.requestLog.get(extra.request_id)).toMatchObject({ task: "chat", label: "weather" });

    const plain = await client.chat.completions.create({ model: "task:chat", messages: [{ role: "user", content: [{ type: "text", text: sports.text }] }] });
    expect(plain.choices[0].message.content).toBe("sports");
  });

  it("reports in `apprentice` every field of a prediction but the echoed input and route", async () => {
    // The reply is serialized from the documented schema: a field missing there would be dropped.
    const predicted = await g.request("POST", "/v1/tasks/chat/predict", { key: g.predictKey, body: { input: sports.text } });
    const chat = await g.request("POST", "/v1/chat/completions", { key: g.predictKey, body: { model: "task:chat", messages: [{ role: "user", content: sports.text }] } });
    expect(chat.status).toBe(200);
    const { input: _input, route: _route, ...decision } = predicted.body as Record<string, unknown>;
    expect(Object.keys(chat.body.apprentice).sort()).toEqual(Object.keys(decision).sort());
    expect(chat.body.apprentice).toMatchObject({ label: decision.label, source: decision.source, status: "ok", degraded: false });
    // The completion is named after its logged request, a fresh UUIDv7 per HTTP request.
    expect(chat.body.id).toBe(`chatcmpl-${chat.body.apprentice.request_id}`);
    expect(chat.body.apprentice.request_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(chat.body.apprentice.request_id).not.toBe(predicted.body.request_id);
  });

  it("never takes a request id from the client", async () => {
    const res = await fetch(`${g.url}/v1/tasks/chat/predict`, {
      method: "POST",
      headers: { authorization: `Bearer ${g.predictKey}`, "content-type": "application/json", "request-id": "chosen-by-client", "x-request-id": "chosen-by-client" },
      body: JSON.stringify({ input: sports.text }),
    });
    const body = (await res.json()) as { request_id: string };
    expect(body.request_id).not.toBe("chosen-by-client");
    expect(await g.app.requestLog.get(body.request_id)).toMatchObject({ input: sports.text });
  });

  it("streams as server-sent events ending with [DONE]", async () => {
    const stream = await client.chat.completions.create({ model: "task:chat", messages: [{ role: "user", content: weather.text }], stream: true, stream_options: { include_usage: true } });
    let content = "";
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      expect(chunk.object).toBe("chat.completion.chunk");
      for (const c of chunk.choices) {
        content += c.delta.content ?? "";
        finish = c.finish_reason ?? finish;
      }
      usage = chunk.usage ?? usage;
    }
    expect(content).toBe("Here is the weather forecast.");
    expect(finish).toBe("stop");
    expect(usage!.completion_tokens).toBeGreaterThan(0);

    const raw = await fetch(`${g.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${g.predictKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "task:chat", messages: [{ role: "user", content: sports.text }], stream: true }),
    });
    expect(raw.headers.get("content-type")).toContain("text/event-stream");
    const text = await raw.text();
    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
  });

  it("answers 404 in OpenAI's shape for other models", async () => {
    await expect(client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] })).rejects.toMatchObject({ status: 404, code: "model_not_found" });
    await expect(client.chat.completions.create({ model: "task:missing", messages: [{ role: "user", content: "hi" }] })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it("answers 503 when the teacher has no answer and the specialist cannot answer", async () => {
    await expect(client.chat.completions.create({ model: "task:chat", messages: [{ role: "user", content: "a text the teacher does not know" }] })).rejects.toMatchObject({ status: 503, code: "teacher_unavailable" });
    const stats = await g.request("GET", "/v1/tasks/chat/stats");
    expect(stats.body.by_status.teacher_error).toBe(1);
  });

  it("refuses a bad key and a request without a user message", async () => {
    const bad = new OpenAI({ baseURL: `${g.url}/v1`, apiKey: "apx_" + "y".repeat(43), maxRetries: 0 });
    await expect(bad.chat.completions.create({ model: "task:chat", messages: [{ role: "user", content: "hi" }] })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(client.chat.completions.create({ model: "task:chat", messages: [{ role: "system", content: "hi" }] })).rejects.toBeInstanceOf(OpenAI.BadRequestError);
  });
});
