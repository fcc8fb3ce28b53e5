// What a task model's chat completion says (taskReply, src/server/openai/completion.ts): a label or
// object, a "none of these" answer as the task's `none` block says, and for a structured task
// without one, a refusal in the shape OpenAI gives when it cannot give a structured output, read
// by the official SDK (plain and streamed) from a local server that writes it as the gateway does.
import Fastify, { type FastifyInstance } from "fastify";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalAnswer } from "../../src/engine/structured-answer.js";
import { specialistKindOf } from "../../src/cascade/specialist-kind.js";
import { objectFormat, type AnswerFormat } from "../../src/server/openai/chat-request.js";
import { completionBody, noneRefusal, streamCompletion, taskReply, type CompletionParts } from "../../src/server/openai/completion.js";
import { NONE_LABEL, parseTask } from "../../src/task/definition.js";
import { compileOutput, outputJsonSchema } from "../../src/task/output-fields.js";
import { outputFields, parseStructuredTask, type AnyTask } from "../../src/task/structured.js";
import { TRANSFER_OUTPUT } from "../helpers/transfer-requests.js";

const structured = (extra: Record<string, unknown> = {}) => parseStructuredTask({ name: "transfers", instructions: "Read.", output: TRANSFER_OUTPUT, ...extra });
const FIELDS = outputFields(structured());
const OBJECT = { intent: "send_money", amount: "40", currency: "EUR", recipient: "Anna", urgent: false };
const NONE = { intent: NONE_LABEL, amount: null, currency: NONE_LABEL, recipient: null, urgent: false };
const answer = (o: object) => canonicalAnswer(FIELDS, o as Record<string, unknown>);
const FORMAT = objectFormat(undefined, FIELDS);
/** taskReply with the task's none test as its cascade has it. */
const reply = (task: AnyTask, format: AnswerFormat, label: string, hasUpstream: boolean) => taskReply(task, format, label, specialistKindOf(task).isNone, hasUpstream);

describe("taskReply", () => {
  it("answers a structured task's object as its JSON, none or not, when the object has no none", () => {
    expect(reply(structured({ none: { answer: "Sorry." } }), FORMAT, answer(OBJECT), true)).toEqual({ content: answer(OBJECT) });
  });

  it("answers a structured none answer with the configured reply, or the upstream's when there is one", () => {
    expect(reply(structured({ none: { answer: "Sorry." } }), FORMAT, answer(NONE), true)).toEqual({ content: "Sorry." });
    const upstream = structured({ none: { upstream_model: "gpt-up" } });
    expect(reply(upstream, FORMAT, answer(NONE), true)).toEqual({ upstream_model: "gpt-up" });
    // Without an upstream to pass it to, a refusal rather than an object that is not an answer.
    expect(reply(upstream, FORMAT, answer(NONE), false)).toEqual({ content: noneRefusal(["intent", "currency"]), refusal: true });
  });

  it("refuses a structured none answer without a none block, naming the fields answered none", () => {
    expect(reply(structured(), FORMAT, answer(NONE), true)).toEqual({ content: 'The message fits none of the values of fields "intent" and "currency", so no answer can be given.', refusal: true });
    expect(reply(structured(), FORMAT, answer({ ...OBJECT, currency: NONE_LABEL }), true)).toEqual({ content: 'The message fits none of the values of field "currency", so no answer can be given.', refusal: true });
    expect(noneRefusal(["a", "b", "c"])).toBe('The message fits none of the values of fields "a", "b" and "c", so no answer can be given.');
  });

  it("answers a captured task's object as it is: none_of_these there is the app's own value", () => {
    const output = { properties: { ...TRANSFER_OUTPUT.properties, intent: { enum: ["send_money", NONE_LABEL] } } };
    const captured = parseStructuredTask({ name: "c", instructions: "x", output, capture: { fingerprints: ["c".repeat(64)], model: "m", via: "response_format" } });
    const label = canonicalAnswer(outputFields(captured), { ...OBJECT, intent: NONE_LABEL });
    expect(reply(captured, FORMAT, label, true)).toEqual({ content: label });
  });

  it("answers a label task as before: the label's answer, the none block's reply or upstream", () => {
    const task = parseTask({ name: "t", instructions: "x", labels: [{ name: "a", answer: "About a." }, { name: "b" }], none: { answer: "Sorry." } });
    expect(reply(task, { kind: "text" }, "a", true)).toEqual({ content: "About a." });
    expect(reply(task, { kind: "text" }, "b", true)).toEqual({ content: "b" });
    expect(reply(task, { kind: "text" }, NONE_LABEL, true)).toEqual({ content: "Sorry." });
    expect(reply(task, { kind: "json", property: "label" }, NONE_LABEL, true)).toEqual({ content: `{"label":"${NONE_LABEL}"}` });
    const up = parseTask({ name: "t", instructions: "x", labels: [{ name: "a" }, { name: "b" }], none: { upstream_model: "gpt-up" } });
    expect(reply(up, { kind: "text" }, NONE_LABEL, true)).toEqual({ upstream_model: "gpt-up" });
    expect(reply(up, { kind: "text" }, NONE_LABEL, false)).toEqual({ content: NONE_LABEL });
  });
});

describe("a refusal as the OpenAI SDK reads it", () => {
  let app: FastifyInstance;
  let client: OpenAI;
  const REFUSAL = noneRefusal(["intent"]);
  beforeAll(async () => {
    app = Fastify();
    app.post("/v1/chat/completions", async (request, reply) => {
      const body = request.body as { stream?: boolean; messages: { content: string }[] };
      const refusal = body.messages[0].content === "refuse";
      const parts: CompletionParts = { id: "chatcmpl-1", requestId: "1", model: "task:transfers", content: refusal ? REFUSAL : answer(OBJECT), refusal, usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 }, apprentice: {} };
      return body.stream === true ? streamCompletion(reply, parts, false) : completionBody(parts);
    });
    await app.listen({ port: 0, host: "127.0.0.1" });
    const { port } = app.server.address() as { port: number };
    client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: "sk-local", maxRetries: 0 });
  });
  afterAll(async () => {
    await app.close();
  });
  const responseFormat = { type: "json_schema" as const, json_schema: { name: "transfer", strict: true, schema: outputJsonSchema(compileOutput(TRANSFER_OUTPUT)) } };
  const ask = (content: string) => ({ model: "task:transfers", messages: [{ role: "user" as const, content }], response_format: responseFormat });

  it("is message.refusal with null content and nothing parsed", async () => {
    const done = await client.chat.completions.parse(ask("refuse"));
    expect(done.choices[0]).toMatchObject({ finish_reason: "stop", message: { role: "assistant", content: null, refusal: REFUSAL, parsed: null } });
    const fits = await client.chat.completions.parse(ask("send 40 euros to Anna"));
    expect(fits.choices[0].message).toMatchObject({ refusal: null, parsed: OBJECT });
  });

  it("streams as refusal deltas, which the SDK's stream helper gathers", async () => {
    const stream = client.chat.completions.stream(ask("refuse"));
    const deltas: string[] = [];
    stream.on("refusal.delta", (e) => deltas.push(e.delta));
    const final = await stream.finalChatCompletion();
    expect(deltas.join("")).toBe(REFUSAL);
    expect(final.choices[0].message).toMatchObject({ content: null, refusal: REFUSAL, parsed: null });
  });
});
