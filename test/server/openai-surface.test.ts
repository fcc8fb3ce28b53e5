// Parameters of the OpenAI surface a task model cannot ignore silently: response_format is honoured
// as JSON, the rest is refused by name; models.retrieve works; unknown OpenAI routes are 404s.
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GOLD, startTestGateway, stopTestGateway, taskBody, type TestGateway } from "./helpers.js";

let g: TestGateway;
let client: OpenAI;
let labels: string[];

beforeAll(async () => {
  g = await startTestGateway();
  const body = taskBody("surface");
  labels = (body.labels as { name: string }[]).map((l) => l.name);
  expect((await g.request("POST", "/v1/tasks", { body })).status).toBe(201);
  client = new OpenAI({ baseURL: `${g.url}/v1`, apiKey: g.predictKey, maxRetries: 0 });
});
afterAll(async () => {
  await stopTestGateway(g);
});

const sports = GOLD.find((e) => e.label === "sports")!;
const messages = [{ role: "user" as const, content: sports.text }];

describe("response_format on a task model", () => {
  it("json_object: the content is a JSON object with the label", async () => {
    const res = await client.chat.completions.create({ model: "task:surface", messages, response_format: { type: "json_object" } });
    expect(JSON.parse(res.choices[0].message.content!)).toEqual({ label: "sports" });
  });

  it("json_schema: the schema's one required string property carries the label", async () => {
    const schema = { type: "object", properties: { intent: { type: "string", enum: labels }, note: { type: "string" } }, required: ["intent"], additionalProperties: false };
    const res = await client.chat.completions.create({ model: "task:surface", messages, response_format: { type: "json_schema", json_schema: { name: "intent", schema, strict: true } } });
    expect(JSON.parse(res.choices[0].message.content!)).toEqual({ intent: "sports" });
  });

  it("refuses a schema a label cannot fill, naming why", async () => {
    const cases: [object, RegExp][] = [
      [{ type: "object", properties: { a: { type: "string" }, b: { type: "string" } }, required: ["a", "b"] }, /exactly one required string property/],
      [{ type: "object", properties: { a: { type: "string" }, n: { type: "number" } }, required: ["a", "n"] }, /"n" would be missing/],
      [{ type: "object", properties: { a: { type: "string", enum: labels.slice(1) } }, required: ["a"] }, /lacks 1 of the task's labels/],
      [{ type: "array", items: { type: "string" } }, /of type "object"/],
    ];
    for (const [schema, message] of cases) {
      const res = await g.request("POST", "/v1/chat/completions", { key: g.predictKey, body: { model: "task:surface", messages, response_format: { type: "json_schema", json_schema: { name: "x", schema } } } });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("unsupported_response_format");
      expect(res.body.error.message).toMatch(message);
    }
    const odd = await g.request("POST", "/v1/chat/completions", { key: g.predictKey, body: { model: "task:surface", messages, response_format: { type: "xml" } } });
    expect(odd.status).toBe(400);
    expect(odd.body.error.message).toMatch(/"xml" is not one of/);
  });

  it("streams the JSON content too", async () => {
    const stream = await client.chat.completions.create({ model: "task:surface", messages, stream: true, response_format: { type: "json_object" } });
    let content = "";
    for await (const chunk of stream) content += chunk.choices[0]?.delta?.content ?? "";
    expect(JSON.parse(content)).toEqual({ label: "sports" });
  });
});

describe("parameters a task model cannot honour", () => {
  const refused: [string, Record<string, unknown>][] = [
    ["n", { n: 2 }],
    ["tools", { tools: [{ type: "function", function: { name: "f", parameters: { type: "object", properties: {} } } }] }],
    ["functions", { functions: [{ name: "f", parameters: {} }] }],
    ["tool_choice", { tool_choice: "required" }],
    ["logprobs", { logprobs: true }],
    ["top_logprobs", { top_logprobs: 3 }],
    ["modalities", { modalities: ["text", "audio"] }],
  ];
  for (const [param, extra] of refused) {
    it(`refuses ${param} with unsupported_parameter, naming it`, async () => {
      const res = await g.request("POST", "/v1/chat/completions", { key: g.predictKey, body: { model: "task:surface", messages, ...extra } });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: "unsupported_parameter", details: { param } });
      expect(res.body.error.message).toContain(`"${param}"`);
    });
  }

  it("accepts what leaves a label unchanged (n: 1, temperature, tool_choice none, max_tokens)", async () => {
    const res = await client.chat.completions.create({ model: "task:surface", messages, n: 1, temperature: 0.7, max_tokens: 5, tool_choice: "none", user: "u1" });
    expect(res.choices).toHaveLength(1);
    expect(res.choices[0].message.content).toBe("sports");
  });

  it("the official client surfaces the refusal as a BadRequestError", async () => {
    await expect(client.chat.completions.create({ model: "task:surface", messages, n: 3 })).rejects.toMatchObject({ status: 400, code: "unsupported_parameter" });
  });
});

describe("models and unknown OpenAI routes", () => {
  it("retrieves a task model, and answers model_not_found for others", async () => {
    const m = await client.models.retrieve("task:surface");
    expect(m).toMatchObject({ id: "task:surface", object: "model", owned_by: "apprentice" });
    await expect(client.models.retrieve("task:nope")).rejects.toMatchObject({ status: 404, code: "model_not_found" });
    await expect(client.models.retrieve("gpt-4o-mini")).rejects.toMatchObject({ status: 404, code: "model_not_found" });
  });

  it("answers 404 in OpenAI's error shape to a predict key on routes the gateway does not have", async () => {
    await expect(client.embeddings.create({ model: "task:surface", input: "x" })).rejects.toMatchObject({ status: 404 });
    for (const path of ["/v1/embeddings", "/v1/completions", "/v1/responses"]) {
      const res = await g.request("POST", path, { key: g.predictKey, body: { model: "task:surface", input: "x" } });
      expect(res.status, path).toBe(404);
      expect(res.body.error).toMatchObject({ type: "invalid_request_error", code: "not_found" });
      const anonymous = await g.request("POST", path, { key: null, body: {} });
      expect(anonymous.status, path).toBe(401);
    }
  });
});
