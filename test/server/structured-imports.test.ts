// Importing a structured task's examples over POST /v1/tasks/:name/examples: JSONL and JSON rows
// {"text", "output": {...}} and CSV with a column per field, each object checked like a teacher's
// (values located in their text), all or nothing unless ?partial=true, bad rows named by line
// and field — over real HTTP.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalAnswer, type StructuredObject } from "../../src/engine/structured-answer.js";
import { structuredAnswerKey } from "../../src/teacher/sim-structured-key.js";
import { SimulatedTeacher } from "../../src/teacher/simulated-teacher.js";
import { TRANSFER_FIELDS, TRANSFER_OUTPUT, transferRequests, type TransferRequest } from "../helpers/transfer-requests.js";
import { createFreshTask, startTestGateway, stopTestGateway, type TestGateway } from "./helpers.js";

const ROWS = transferRequests(40, 7);
const teacher = new SimulatedTeacher({ key: structuredAnswerKey({ fields: TRANSFER_FIELDS, gold: ROWS, accuracy: 1 }) });

/** Every kind of field a CSV cell maps to: tags, extracted lists, optional booleans, teacher-only numbers. */
const TICKET_OUTPUT = {
  properties: {
    topics: { tags: ["card", "fees", "app"] },
    people: { extract_list: true },
    count: { type: "integer" },
    ok: { type: "boolean" },
  },
  required: ["topics", "people", "count"],
};
const structured = (output: object) => ({ labels: undefined, output, training: { retrain_every: 1000, min_examples: 50, holdout_fraction: 0.3, seed: 1 } });

let g: TestGateway;
beforeAll(async () => {
  g = await startTestGateway(undefined, { teacher, rateLimit: false });
});
afterAll(async () => {
  await g.app.runtimes.idle();
  await stopTestGateway(g);
});

const newTask = (output: object = TRANSFER_OUTPUT) => createFreshTask(g, "six", structured(output));
const post = (task: string, body: string, contentType: string, query = "") => g.request("POST", `/v1/tasks/${task}/examples${query}`, { rawBody: body, contentType });
const jsonl = (rows: unknown[]): string => rows.map((r) => JSON.stringify(r)).join("\n") + "\n";
const csvField = (s: string): string => (/[",\r\n|]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
const HEADER = "text,intent,amount,currency,recipient,urgent";
const csvRow = ({ text, object: o }: TransferRequest): string => [text, o.intent, o.amount ?? "", o.currency ?? "", o.recipient ?? "", String(o.urgent)].map((v) => csvField(String(v))).join(",");
const answer = (object: StructuredObject) => canonicalAnswer(TRANSFER_FIELDS, object);

async function storedLabels(task: string): Promise<Map<string, string>> {
  const page = await g.request("GET", `/v1/tasks/${task}/examples?limit=1000`);
  expect(page.status).toBe(200);
  return new Map(page.body.data.map((e: { text: string; label: string }) => [e.text, e.label]));
}

describe("importing a structured task's examples", () => {
  it("imports JSONL objects, stored as their canonical answers with values as the text writes them", async () => {
    const task = await newTask();
    const rows = ROWS.slice(0, 5).map((r) => ({ text: r.text, output: r.object }));
    // Case and spacing of an extracted value may differ from the text's: the text's own characters are kept.
    const shouted = { text: "send 12 euros to Anna", output: { intent: "send_money", amount: "12", currency: "EUR", recipient: "ANNA", urgent: false } };
    const res = await post(task, jsonl([...rows, shouted]), "application/x-ndjson");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ format: "jsonl", rows: 6, accepted: 6, rejected: [], added: 6, unchanged_or_updated: 0, examples: 6 });
    const stored = await storedLabels(task);
    for (const r of ROWS.slice(0, 5)) expect(stored.get(r.text)).toBe(answer(r.object));
    expect(JSON.parse(stored.get(shouted.text)!).recipient).toBe("Anna");
    const page = await g.request("GET", `/v1/tasks/${task}/examples?limit=1`);
    expect(page.body.data[0].source).toBe("import");
  });

  it("imports CSV with a column per field: empty cells are null, booleans true/false", async () => {
    const task = await newTask();
    const rows = ROWS.slice(5, 15);
    expect(rows.some((r) => r.object.amount === null)).toBe(true); // a check_balance row: empty cells
    const body = [HEADER, ...rows.map(csvRow), csvField("pay Lena Fox 7 pounds, asap") + ",send_money,7,GBP,lena fox,TRUE"].join("\r\n") + "\r\n";
    const res = await post(task, body, "text/csv; charset=utf-8");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ format: "csv", rows: 11, accepted: 11, rejected: [] });
    const stored = await storedLabels(task);
    for (const r of rows) expect(stored.get(r.text)).toBe(answer(r.object));
    expect(JSON.parse(stored.get("pay Lena Fox 7 pounds, asap")!)).toEqual({ intent: "send_money", amount: "7", currency: "GBP", recipient: "Lena Fox", urgent: true });
  });

  it("maps CSV tags and lists (a|b), optional columns left out, and teacher-only numbers", async () => {
    const task = await newTask(TICKET_OUTPUT);
    const body = ["text,topics,people,count", '"Anna and Bob lost a card, fees too",card| fees,Anna|bob,2', "the app is fine,app,,0"].join("\n");
    const res = await post(task, body, "text/csv");
    expect(res.status).toBe(200);
    const stored = await storedLabels(task);
    expect(JSON.parse(stored.get("Anna and Bob lost a card, fees too")!)).toEqual({ topics: ["card", "fees"], people: ["Anna", "Bob"], count: 2, ok: null });
    expect(JSON.parse(stored.get("the app is fine")!)).toEqual({ topics: ["app"], people: [], count: 0, ok: null });

    const bad = await post(task, "text,topics,people,count,ok\nhello there,card,,two,\nhi Anna,nope,Anna,1,maybe\n", "text/csv");
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toEqual([
      { line: 2, reason: 'output: field count: "two" is not an integer' },
      { line: 3, reason: 'output: field topics: "nope" is not one of its values; field ok: "maybe" is not true or false' },
    ]);
  });

  it("imports a JSON array of rows, numbered by position", async () => {
    const task = await newTask();
    const res = await post(task, JSON.stringify([{ text: ROWS[0].text, output: ROWS[0].object }, { text: ROWS[1].text, output: {} }]), "application/json", "?partial=true");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ format: "json", rows: 2, accepted: 1, rejected: [{ line: 2, reason: expect.stringMatching(/^output: field intent: missing/) }] });
  });

  it("refuses the whole import when a value is not in its text, naming the line and the field", async () => {
    const task = await newTask();
    const good = ROWS.filter((r) => r.object.recipient !== null).slice(0, 3);
    const wrong = { text: good[1].text, output: { ...good[1].object, recipient: "Nobody Here" } };
    const res = await post(task, jsonl([{ text: good[0].text, output: good[0].object }, wrong, { text: good[2].text, output: good[2].object }]), "application/x-ndjson");
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/^1 bad row, nothing imported: line 2: output: field recipient: "Nobody Here" does not occur in the input/);
    expect(res.body.error.details).toEqual([{ line: 2, reason: 'output: field recipient: "Nobody Here" does not occur in the input' }]);
    expect((await storedLabels(task)).size).toBe(0);

    // The same in CSV: the line is the CSV line (the header is line 1).
    const csv = [HEADER, csvRow(good[0]), csvRow({ text: good[1].text, object: wrong.output })].join("\n");
    const fromCsv = await post(task, csv, "text/csv");
    expect(fromCsv.status).toBe(400);
    expect(fromCsv.body.error.details).toEqual([{ line: 3, reason: 'output: field recipient: "Nobody Here" does not occur in the input' }]);
    expect((await storedLabels(task)).size).toBe(0);
  });

  it("with partial=true imports the good rows and lists the bad ones by line and field", async () => {
    const task = await newTask();
    const rows = ROWS.slice(20, 24).map((r) => ({ text: r.text, output: r.object }));
    const body = jsonl([rows[0], { text: rows[1].text, output: { ...rows[1].output, urgent: "yes" } }, rows[2], { text: "", output: rows[3].output }, rows[3]]);
    const res = await post(task, body, "application/x-ndjson", "?partial=true");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      format: "jsonl",
      rows: 5,
      accepted: 3,
      rejected: [
        { line: 2, reason: 'output: field urgent: "yes" is not true or false' },
        { line: 4, reason: "empty text" },
      ],
      added: 3,
      unchanged_or_updated: 0,
      examples: 3,
    });
    expect([...(await storedLabels(task)).keys()].sort()).toEqual([rows[0].text, rows[2].text, rows[3].text].sort());
    // Sent again, the same rows change nothing.
    const again = await post(task, jsonl([rows[0]]), "application/x-ndjson");
    expect(again.body).toMatchObject({ accepted: 1, added: 0, unchanged_or_updated: 1, examples: 3 });
  });

  it("refuses label-style rows and columns for a structured task", async () => {
    const task = await newTask();
    const asLabel = await post(task, jsonl([{ text: ROWS[0].text, label: "send_money" }]), "application/x-ndjson");
    expect(asLabel.status).toBe(400);
    expect(asLabel.body.error.details).toEqual([{ line: 1, reason: 'missing field "output" (the gold object for the text; this is a structured task, which takes no "label")' }]);
    const labelCsv = await post(task, `text,label\n${csvField(ROWS[0].text)},send_money\n`, "text/csv");
    expect(labelCsv.status).toBe(400);
    expect(labelCsv.body.error.message).toMatch(/column "label" is not the text nor a field of the task \(a structured task takes no label column/);
    const labelColumn = await post(task, jsonl([{ text: ROWS[0].text, output: ROWS[0].object }]), "application/x-ndjson", "?label_column=intent");
    expect(labelColumn.status).toBe(400);
    expect(labelColumn.body.error.message).toMatch(/structured task: it takes no label column/);
    const missing = await post(task, "text,intent\nhello,send_money\n", "text/csv");
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toMatch(/no column for the required fields amount, currency, recipient, urgent/);
    expect((await storedLabels(task)).size).toBe(0);
  });

  it("reads the text from ?text_column=, and refuses an empty body", async () => {
    const task = await newTask();
    const res = await post(task, jsonl([{ message: ROWS[0].text, output: ROWS[0].object }]), "application/x-ndjson", "?text_column=message");
    expect(res.status).toBe(200);
    expect(res.body.accepted).toBe(1);
    const noText = await post(task, `message,intent,amount,currency,recipient,urgent\n`, "text/csv");
    expect(noText.status).toBe(400);
    expect(noText.body.error.message).toContain('no column "text" (send ?text_column=<name> to use another)');
    for (const [body, type] of [["\n\n", "application/x-ndjson"], ["[]", "application/json"], [`${HEADER}\n`, "text/csv"]]) {
      const empty = await post(task, body, type);
      expect(empty.status).toBe(400);
      expect(empty.body.error.message).toMatch(/empty/);
    }
  });
});
