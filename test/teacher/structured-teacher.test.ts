// The OpenAI teacher on a structured task, through the official SDK against the local fake server.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { NONE_LABEL, type TaskInput } from "../../src/task/definition.js";
import { outputJsonSchema } from "../../src/task/output-fields.js";
import { outputFields, parseStructuredTask } from "../../src/task/structured.js";
import { OpenAITeacher } from "../../src/teacher/openai-teacher.js";
import { FakeOpenAIServer, reply } from "./fake-openai-server.js";
import { FAKE_KEY, invoiceTask, recordingSleep } from "./helpers.js";

let server: FakeOpenAIServer;
beforeAll(async () => {
  server = await FakeOpenAIServer.start();
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  server.requests.length = 0;
});

function teacher(settings: Partial<TaskInput["teacher"]> = {}) {
  return new OpenAITeacher(invoiceTask(settings), { apiKey: FAKE_KEY, baseURL: server.baseURL, sleep: recordingSleep().sleep, random: () => 0.5 });
}

const TEXT = "Please refund EUR 40 to Anna Berg, it is urgent.";
const answer = { intent: "refund", urgent: true, topics: [], amount: "eur 40", people: ["Anna Berg"], note: null };
const CANONICAL = '{"intent":"refund","urgent":true,"topics":[],"amount":"EUR 40","people":["Anna Berg"],"note":null}';
const object = (o: object) => reply.text(JSON.stringify(o), { prompt_tokens: 400, completion_tokens: 30 });

describe("OpenAITeacher on a structured task", () => {
  it("answers with the canonical JSON and sends the strict JSON schema of the output block", async () => {
    server.enqueue(object(answer));
    const a = await teacher().classify(TEXT);
    expect(a).toMatchObject({ label: CANONICAL, status: "ok", attempts: 1, usage: { input_tokens: 400, output_tokens: 30 } });
    expect(a.cost).toBeCloseTo((400 * 1 + 30 * 2) / 1e6, 12);

    const body = server.requests[0].body;
    expect(body.response_format).toEqual({ type: "json_schema", json_schema: { name: "answer", strict: true, schema: outputJsonSchema(outputFields(invoiceTask())) } });
    const schema = body.response_format.json_schema.schema;
    expect(schema.required).toEqual(["intent", "urgent", "topics", "amount", "people", "note"]);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.amount).toEqual({ type: ["string", "null"] });
    // Every choice field offers "none of these" beside its values; tags and booleans do not.
    expect(schema.properties.intent).toEqual({ type: "string", enum: ["pay", "refund", NONE_LABEL], description: "What the customer wants." });
    expect(schema.properties.topics).toEqual({ type: "array", items: { type: "string", enum: ["card", "bank"] } });
    const system: string = body.messages[0].content;
    expect(system).toContain("Read the payment request.");
    expect(system).toContain('- "intent": one of "pay", "refund", "none_of_these". What the customer wants.');
    expect(system).toContain(`Answer "${NONE_LABEL}" for a field that lists it when the message fits none of that field's other values. That is not null: null means the message does not say.`);
    expect(system).toContain('- "amount": text copied from the message, or null when it is not there');
    expect(system).toContain("character for character");
    expect(body.messages.at(-1)).toEqual({ role: "user", content: TEXT });
  });

  it("shows few-shot examples as user/assistant pairs whose answer is the example's canonical JSON", async () => {
    server.enqueue(object(answer));
    await teacher().classify(TEXT, { fewShot: [{ text: "Pay 5 USD", label: '{"intent":"pay"}' }] });
    expect(server.requests[0].body.messages.slice(1)).toEqual([
      { role: "user", content: "Pay 5 USD" },
      { role: "assistant", content: '{"intent":"pay"}' },
      { role: "user", content: TEXT },
    ]);
  });

  it("asks for JSON in the prompt only, and reads a fenced object, when structured output is off", async () => {
    server.enqueue(reply.text("Sure:\n```json\n" + JSON.stringify(answer) + "\n```"));
    const a = await teacher({ structured_output: false }).classify(TEXT);
    expect(a).toMatchObject({ label: CANONICAL, status: "ok" });
    expect(server.requests[0].body.response_format).toBeUndefined();
    expect(server.requests[0].body.messages[0].content).toContain("Answer with the JSON object only");
  });

  it("falls back to the prompt when the server rejects response_format, without spending a retry", async () => {
    server.enqueue(reply.status(400, "response_format json_schema is not supported", undefined, "response_format"), object(answer));
    const a = await teacher().classify(TEXT);
    expect(a).toMatchObject({ label: CANONICAL, status: "ok", attempts: 2 });
    expect(server.requests[1].body.response_format).toBeUndefined();
  });

  it("records invalid JSON as invalid, keeping the raw content", async () => {
    server.enqueue(reply.text('{"intent": "refund", "urgent": tru'));
    const a = await teacher().classify(TEXT);
    expect(a).toMatchObject({ label: null, status: "invalid", raw: '{"intent": "refund", "urgent": tru', reason: "answer holds no JSON object" });
    expect(a.cost).toBeGreaterThan(0);
  });

  it("records a value outside a field's enum as invalid, naming the field", async () => {
    server.enqueue(object({ ...answer, intent: "chargeback" }));
    expect(await teacher().classify(TEXT)).toMatchObject({ label: null, status: "invalid", reason: 'field intent: "chargeback" is not one of its values' });
  });

  it("records an extracted value that is not in the text as invalid, naming the field and the value", async () => {
    server.enqueue(object({ ...answer, amount: "40.00 EUR" }));
    const a = await teacher().classify(TEXT);
    expect(a).toMatchObject({ label: null, status: "invalid", reason: 'field amount: "40.00 EUR" does not occur in the input' });
    expect(a.raw).toContain("40.00 EUR");
  });

  it("records a missing field as invalid, naming it", async () => {
    const { people: _people, ...rest } = answer;
    server.enqueue(object(rest));
    expect(await teacher().classify(TEXT)).toMatchObject({ label: null, status: "invalid", reason: "field people: missing" });
  });

  it('takes "none of these" for a choice field as a valid answer, and nowhere else', async () => {
    server.enqueue(object({ ...answer, intent: NONE_LABEL }));
    expect(await teacher().classify(TEXT)).toMatchObject({ status: "ok", label: CANONICAL.replace('"intent":"refund"', `"intent":"${NONE_LABEL}"`) });
    server.enqueue(object({ ...answer, topics: [NONE_LABEL] }));
    expect(await teacher().classify(TEXT)).toMatchObject({ label: null, status: "invalid", reason: `field topics: "${NONE_LABEL}" is not one of its values` });
  });

  it("offers a captured task's teacher nothing beyond the app's schema", async () => {
    const captured = parseStructuredTask({ ...invoiceTask(), capture: { fingerprints: ["a".repeat(64)], model: "gpt-app", via: "response_format" } });
    const t = new OpenAITeacher(captured, { apiKey: FAKE_KEY, baseURL: server.baseURL, sleep: recordingSleep().sleep });
    server.enqueue(object(answer), object({ ...answer, intent: NONE_LABEL }));
    expect(await t.classify(TEXT)).toMatchObject({ status: "ok", label: CANONICAL });
    const body = server.requests[0].body;
    expect(body.response_format.json_schema.schema.properties.intent.enum).toEqual(["pay", "refund"]);
    expect(body.messages[0].content).not.toContain(NONE_LABEL);
    expect(await t.classify(TEXT)).toMatchObject({ label: null, status: "invalid", reason: `field intent: "${NONE_LABEL}" is not one of its values` });
  });

  it("offers none once when a field's enum already holds it", async () => {
    const own = invoiceTask();
    const task = parseStructuredTask({ ...own, output: { ...own.output, properties: { ...own.output.properties, intent: { enum: ["pay", NONE_LABEL, "refund"] } } } });
    const t = new OpenAITeacher(task, { apiKey: FAKE_KEY, baseURL: server.baseURL, sleep: recordingSleep().sleep });
    server.enqueue(object({ ...answer, intent: NONE_LABEL }));
    expect((await t.classify(TEXT)).status).toBe("ok");
    expect(server.requests[0].body.response_format.json_schema.schema.properties.intent.enum).toEqual(["pay", NONE_LABEL, "refund"]);
    expect(server.requests[0].body.messages[0].content).toContain('- "intent": one of "pay", "none_of_these", "refund"\n');
  });

  it("notes an answer cut off at the token limit", async () => {
    server.enqueue({ kind: "content", content: '{"intent": "refund", "urg', finishReason: "length" });
    expect((await teacher().classify(TEXT)).reason).toBe("answer holds no JSON object (answer cut off at the token limit)");
  });
});
