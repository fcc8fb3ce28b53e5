// A structured task served by the gateway: created from an output block, answered by the teacher
// with objects it learns from, then by its specialist (predict with the object, per-field
// probabilities and spans; chat completions with the object as content through the openai SDK),
// corrected with an object, reported per field, and served again after a restart.
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalAnswer } from "../../src/engine/structured-answer.js";
import { structuredAnswerKey } from "../../src/teacher/sim-structured-key.js";
import { SimulatedTeacher } from "../../src/teacher/simulated-teacher.js";
import { TRANSFER_FIELDS, TRANSFER_OUTPUT, transferRequests } from "../helpers/transfer-requests.js";
import { startTestGateway, stopTestGateway, type TestGateway } from "./helpers.js";

const TRAIN = transferRequests(400, 41);
const FRESH = transferRequests(150, 42).filter((r) => !TRAIN.some((t) => t.text === r.text));
// Right about everything but some of the texts the audit test sends (FRESH from the fourth on).
const right = structuredAnswerKey({ fields: TRANSFER_FIELDS, gold: [...TRAIN, ...FRESH.slice(0, 3)], accuracy: 1 });
const slipping = structuredAnswerKey({ fields: TRANSFER_FIELDS, gold: FRESH.slice(3), accuracy: 0.7 });
const key = { ...right, answers: new Map([...right.answers, ...slipping.answers]), gold: new Map([...right.gold, ...slipping.gold]) };
const teacher = new SimulatedTeacher({ key });

const taskBody = (name: string, output: object = TRANSFER_OUTPUT) => ({
  name,
  instructions: "Read the banking app user's request.",
  output,
  teacher: { name: "sim" },
  routing: { max_error: 0.1, confidence_level: 0.95, audit_rate: 0 },
  training: { retrain_every: 1000, min_examples: 50, holdout_fraction: 0.3, seed: 1 },
});

let g: TestGateway;
beforeAll(async () => {
  g = await startTestGateway(undefined, { teacher });
});
afterAll(async () => {
  await stopTestGateway(g);
});

describe("structured tasks on the gateway", () => {
  it("creates the task, and says which fields only the teacher can answer", async () => {
    const created = await g.request("POST", "/v1/tasks", { body: taskBody("transfers") });
    expect(created.status).toBe(201);
    expect(created.body.definition.output.properties.amount).toEqual({ extract: true });
    expect(created.body.notices).toBeUndefined();
    const noted = await g.request("POST", "/v1/tasks", { body: taskBody("transfers-noted", { properties: { ...TRANSFER_OUTPUT.properties, note: { type: "string" } } }) });
    expect(noted.status).toBe(201);
    expect(noted.body.notices).toEqual([expect.stringMatching(/^field note is teacher-only/)]);
    const both = await g.request("POST", "/v1/tasks", { body: { ...taskBody("both"), labels: [{ name: "a" }, { name: "b" }] } });
    expect(both.status).toBe(400);
    expect(both.body.error.message).toMatch(/not both/);
    const nested = await g.request("POST", "/v1/tasks", { body: taskBody("nested", { properties: { who: { type: "object", properties: {} } } }) });
    expect(nested.status).toBe(400);
    expect(nested.body.error.message).toMatch(/output\.properties\.who/);
  });

  it("learns from the teacher's objects, then answers with its own, with per-field probabilities and spans", async () => {
    const first = await g.request("POST", "/v1/tasks/transfers/predict", { key: g.predictKey, body: { inputs: TRAIN.map((t) => t.text) } });
    expect(first.status).toBe(200);
    expect(first.body.data[0].source).toBe("teacher");
    expect(first.body.data[0].output).toEqual(JSON.parse(canonicalAnswer(TRANSFER_FIELDS, TRAIN[0].object)));
    const retrain = await g.request("POST", "/v1/tasks/transfers/retrain");
    expect(retrain.status).toBe(200);
    expect(retrain.body.promoted).toBe(true);
    expect(retrain.body.threshold.threshold).not.toBeNull();

    const res = await g.request("POST", "/v1/tasks/transfers/predict", { key: g.predictKey, body: { inputs: FRESH.map((t) => t.text) } });
    const answered = res.body.data.filter((r: { source: string }) => r.source === "specialist");
    expect(answered.length).toBeGreaterThan(FRESH.length / 3);
    const sent = answered.find((r: { output: { intent: string } }) => r.output.intent === "send_money");
    const gold = FRESH.find((t) => t.text === sent.input)!;
    expect(sent.output).toEqual(JSON.parse(canonicalAnswer(TRANSFER_FIELDS, gold.object)));
    expect(sent.label).toBe(canonicalAnswer(TRANSFER_FIELDS, gold.object));
    expect(sent.fields.intent.confidence).toBeGreaterThan(0.5);
    const [span] = sent.fields.recipient.spans;
    expect(sent.input.slice(span.start, span.end)).toBe(gold.object.recipient);
    // The playground's explanation shows the same object and fields, and logs nothing.
    const logged = (await g.request("GET", "/v1/tasks/transfers/stats")).body.requests;
    const explained = await g.request("POST", "/v1/tasks/transfers/explain", { body: { input: sent.input } });
    expect(explained.body.output).toEqual(sent.output);
    expect(explained.body.fields).toEqual(sent.fields);
    expect((await g.request("GET", "/v1/tasks/transfers/stats")).body.requests).toBe(logged);
  });

  it("answers chat completions with the object as JSON content, honouring a json_schema response_format", async () => {
    const client = new OpenAI({ baseURL: `${g.url}/v1`, apiKey: g.predictKey, maxRetries: 0 });
    const text = FRESH[0].text;
    const schema = { type: "object", properties: Object.fromEntries(TRANSFER_FIELDS.map((f) => [f.name, {}])), required: ["intent"] };
    const completion = await client.chat.completions.create({
      model: "task:transfers",
      messages: [{ role: "user", content: text }],
      response_format: { type: "json_schema", json_schema: { name: "transfer", schema } },
    });
    expect(JSON.parse(completion.choices[0].message.content!)).toEqual(JSON.parse(canonicalAnswer(TRANSFER_FIELDS, FRESH[0].object)));
    const lacking = client.chat.completions.create({
      model: "task:transfers",
      messages: [{ role: "user", content: text }],
      response_format: { type: "json_schema", json_schema: { name: "t", schema: { type: "object", properties: { intent: {} } } } },
    });
    await expect(lacking).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/lacks the task's fields "amount"/) });
  });

  it("takes a corrected object as feedback, checked like a teacher's", async () => {
    const res = await g.request("POST", "/v1/tasks/transfers/predict", { key: g.predictKey, body: { input: FRESH[1].text } });
    const id = res.body.request_id;
    const object = { ...(FRESH[1].object as Record<string, unknown>), urgent: !FRESH[1].object.urgent };
    const ok = await g.request("POST", "/v1/tasks/transfers/feedback", { body: { request_id: id, output: object } });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body.label).urgent).toBe(object.urgent);
    const notInText = await g.request("POST", "/v1/tasks/transfers/feedback", { body: { request_id: id, output: { ...object, recipient: "Nobody Here" } } });
    expect(notInText.status).toBe(400);
    expect(notInText.body.error.message).toMatch(/recipient/);
    const asLabel = await g.request("POST", "/v1/tasks/transfers/feedback", { body: { request_id: id, label: "send_money" } });
    expect(asLabel.status).toBe(400);
    expect(asLabel.body.error.message).toMatch(/output/);
    const imported = await g.request("POST", "/v1/tasks/transfers/examples", { rawBody: '{"text":"x","label":"y"}\n', contentType: "application/x-ndjson" });
    expect(imported.status).toBe(400);
    expect(imported.body.error.message).toMatch(/structured task/);
  });

  it("reports the specialist per field on the holdout", async () => {
    const report = await g.request("GET", "/v1/tasks/transfers/report");
    expect(report.status).toBe(200);
    expect(report.body.kind).toBe("structured");
    expect(report.body.per_field.map((f: { field: string }) => f.field)).toEqual(TRANSFER_FIELDS.map((f) => f.name));
    expect(report.body.exact_match).toBeGreaterThan(0.5);
    for (const f of report.body.per_field) expect(f.agreement).toBeGreaterThanOrEqual(report.body.exact_match);
  });

  it("audits whole objects and says per field where the disagreements are", async () => {
    const patched = await g.request("PATCH", "/v1/tasks/transfers", { body: { routing: { max_error: 0.1, confidence_level: 0.95, audit_rate: 1 } } });
    expect(patched.status).toBe(200);
    // The teacher slips on some of these texts, so some audits disagree.
    const res = await g.request("POST", "/v1/tasks/transfers/predict", { key: g.predictKey, body: { inputs: FRESH.slice(3).map((t) => t.text) } });
    expect(res.status).toBe(200);
    const stats = await g.request("GET", "/v1/tasks/transfers/stats");
    expect(stats.status).toBe(200);
    expect(stats.body.audit.audited).toBeGreaterThan(0);
    const perField = stats.body.audit.field_disagreements as Record<string, number>;
    // Whole objects are not answers to list one by one: a structured task's audits go by field.
    expect(stats.body.audit.by_answer).toBeUndefined();
    expect(Object.keys(perField)).toEqual(TRANSFER_FIELDS.map((f) => f.name));
    // Every disagreeing audit differs in at least one field.
    expect(Object.values(perField).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(stats.body.audit.disagreements);
    expect(stats.body.audit.disagreements).toBeGreaterThan(0);
  });

  it("serves the stored structured model after a restart", async () => {
    const before = await g.request("POST", "/v1/tasks/transfers/predict", { key: g.predictKey, body: { input: FRESH[2].text, route: "specialist" } });
    await stopTestGateway(g, false);
    g = await startTestGateway(g, { teacher });
    const after = await g.request("POST", "/v1/tasks/transfers/predict", { key: g.predictKey, body: { input: FRESH[2].text, route: "specialist" } });
    expect(after.status).toBe(200);
    expect(after.body.model_version).toBe(before.body.model_version);
    expect(after.body.output).toEqual(before.body.output);
    expect(after.body.confidence).toBeCloseTo(before.body.confidence, 12);
  });
});
