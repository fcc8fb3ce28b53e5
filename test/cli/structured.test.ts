// `apprentice train/eval/predict` on a structured task, end to end through the real binary: a
// small generated transfers task (choices, extracted values, a boolean), figures checked against
// a direct computation from the saved model, and wrong combinations refused before anything is
// written.
import { access, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeStructuredModel } from "../../src/engine/structured-model-file.js";
import type { StructuredObject } from "../../src/engine/structured-answer.js";
import { runCli } from "../helpers/run-cli.js";
import { TRANSFER_OUTPUT, transferRequests } from "../helpers/transfer-requests.js";

const BANKING_TASK = fileURLToPath(new URL("../../examples/banking-demo/task.json", import.meta.url));
const FIELDS = ["intent", "amount", "currency", "recipient", "urgent"];

let dir: string;
const run = (...args: string[]) => runCli(dir, ...args);
const jsonl = (rows: { text: string; object: StructuredObject }[]) => rows.map((r) => JSON.stringify({ text: r.text, output: r.object })).join("\n") + "\n";
const exists = (path: string) => access(join(dir, path)).then(() => true, () => false);

/**
 * The test set's gold objects, some made wrong on purpose (still valid objects) so the figures are
 * not all 1: every 5th currency swapped, every 7th recipient dropped, every 11th urgent flipped.
 */
function testRows() {
  return transferRequests(120, 99).map((r, i) => {
    const o = { ...r.object };
    if (i % 5 === 0 && o.currency !== null) o.currency = o.currency === "EUR" ? "USD" : "EUR";
    if (i % 7 === 0) o.recipient = null;
    if (i % 11 === 0) o.urgent = !o.urgent;
    return { text: r.text, object: o };
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "apprentice-structured-cli-"));
  await writeFile(join(dir, "task.json"), JSON.stringify({ name: "transfers", instructions: "Read the request.", output: TRANSFER_OUTPUT }));
  await writeFile(join(dir, "train.jsonl"), jsonl(transferRequests(300, 7)));
  await writeFile(join(dir, "test.jsonl"), jsonl(testRows()));
  const train = await run("train", "--task", "task.json", "--data", "train.jsonl", "--out", "m.apx", "--seed", "3");
  if (train.code !== 0) throw new Error(`training failed: ${train.stderr}`);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("apprentice train/eval/predict with a structured task", () => {
  it("train --task prints a summary per field and writes a structured model file", async () => {
    const train = await run("train", "--task", "task.json", "--data", "train.jsonl", "--out", "again.apx");
    expect(train.code).toBe(0);
    expect(train.stderr).toBe("");
    expect(train.stdout).toMatch(/^Trained a structured specialist/);
    expect(train.stdout).toMatch(/examples +300/);
    expect(train.stdout).toMatch(/fields +5: intent, amount, currency, recipient, urgent/);
    expect(train.stdout).toMatch(/intent +choice +classifier, 3 values/);
    expect(train.stdout).toMatch(/urgent +boolean +classifier, 2 values/);
    expect(train.stdout).toMatch(/amount +extract +span extractor/);
    const model = decodeStructuredModel(await readFile(join(dir, "again.apx")));
    expect(model.fields.map((f) => f.name)).toEqual(FIELDS);
  });

  it("eval --json gives the figures a direct computation from the saved model gives", async () => {
    const r = await run("eval", "--model", "m.apx", "--data", "test.jsonl", "--json");
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({ kind: "structured", fields: FIELDS, n: 120, skipped_rows: 0 });

    const model = decodeStructuredModel(await readFile(join(dir, "m.apx")));
    const rows = testRows();
    const predicted = rows.map((row) => model.predict(row.text).object);
    const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
    const exact = rows.filter((row, i) => FIELDS.every((f) => same(predicted[i][f], row.object[f]))).length / rows.length;
    expect(json.exact_match).toBeCloseTo(exact, 12);
    expect(json.exact_match).toBeLessThan(0.9); // the corrupted gold objects cost something

    const byField = Object.fromEntries(json.per_field.map((f: { field: string }) => [f.field, f]));
    for (const f of ["intent", "currency", "urgent"]) {
      const accuracy = rows.filter((row, i) => same(predicted[i][f], row.object[f])).length / rows.length;
      expect(byField[f].accuracy, f).toBeCloseTo(accuracy, 12);
    }
    expect(byField.currency.accuracy).toBeLessThan(0.9);
    for (const f of ["amount", "recipient"]) {
      const given = rows.filter((row) => row.object[f] !== null).length;
      const found = predicted.filter((p) => p[f] !== null).length;
      const hits = rows.filter((row, i) => row.object[f] !== null && predicted[i][f] === row.object[f]).length;
      expect(byField[f].support, f).toBe(given);
      expect(byField[f].precision, f).toBeCloseTo(hits / found, 12);
      expect(byField[f].recall, f).toBeCloseTo(hits / given, 12);
    }
    expect(byField.recipient.precision).toBeLessThan(0.95); // every 7th gold recipient was dropped
  });

  it("eval prints a report with exact match and a line per field", async () => {
    const r = await run("eval", "--model", "m.apx", "--data", "test.jsonl");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/exact match +\d+\.\d% \(right in every field\)/);
    expect(r.stdout).toMatch(/^ +currency +choice +\d+\.\d%( +–){4}$/m);
    expect(r.stdout).toMatch(/^ +recipient +extract +\d+\.\d% +\d\.\d{3} +\d\.\d{3} +\d\.\d{3} +\d+$/m);
  });

  it("predict prints the object, its confidence and each field's, as the model in process predicts them", async () => {
    const texts = ["send 250 euros to Greta asap", "show my balance"];
    const r = await run("predict", "--model", "m.apx", ...texts);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    const model = decodeStructuredModel(await readFile(join(dir, "m.apx")));
    lines.forEach((line, i) => {
      const p = model.predict(texts[i]);
      expect(line.text).toBe(texts[i]);
      expect(line.output).toEqual(p.object);
      expect(line.confidence).toBeCloseTo(p.confidence, 12);
      expect(Object.keys(line.fields)).toEqual(FIELDS);
      expect(line.fields.urgent.confidence).toBeCloseTo(p.fields.urgent.confidence, 12);
    });
    expect(lines[0].output).toMatchObject({ intent: "send_money", amount: "250", recipient: "Greta" });
    expect(lines[0].fields.recipient.spans).toEqual([expect.objectContaining({ start: 18, end: 23, text: "Greta" })]);
  });

  it("refuses a bad line with its line number and field, and writes no model", async () => {
    const good = (await readFile(join(dir, "train.jsonl"), "utf8")).split("\n").slice(0, 3);
    const bad = JSON.stringify({ text: "send 5 euros to Bob", output: { intent: "send_money", amount: "7", currency: "EUR", recipient: "Bob", urgent: false } });
    await writeFile(join(dir, "bad.jsonl"), [...good, bad, ""].join("\n"));
    const r = await run("train", "--task", "task.json", "--data", "bad.jsonl", "--out", "bad.apx");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.jsonl line 4: output: field amount: "7" does not occur in the input/);
    expect(r.stdout).toBe("");
    expect(await exists("bad.apx")).toBe(false);

    const e = await run("eval", "--model", "m.apx", "--data", "bad.jsonl");
    expect(e.code).toBe(1);
    expect(e.stderr).toMatch(/bad\.jsonl line 4: output: field amount/);
  });

  it("refuses wrong combinations, naming the problem", async () => {
    await writeFile(join(dir, "labels.csv"), "text,label\nsend 5 euros to Bob,send\nshow my balance,balance\n");
    await writeFile(join(dir, "labels.jsonl"), '{"text": "show my balance", "label": "balance"}\n');
    const cases: [string[], number, RegExp][] = [
      [["eval", "--model", "m.apx", "--data", "labels.csv"], 1, /labels\.csv is CSV data, but a structured task's examples are JSONL lines/],
      [["eval", "--model", "m.apx", "--data", "labels.jsonl"], 1, /labels\.jsonl line 1: missing field "output" .*takes no "label"/],
      [["eval", "--model", "m.apx", "--data", "test.jsonl", "--task", BANKING_TASK], 1, /task file .*task\.json holds a label task .*the model is a structured specialist/],
      [["train", "--task", BANKING_TASK, "--data", "train.jsonl", "--out", "x.apx"], 1, /holds a label task .*--task is for structured tasks/],
      [["train", "--data", "train.jsonl", "--out", "x.apx"], 2, /train\.jsonl holds gold objects \("output"\): pass --task FILE/],
      [["train", "--task", "task.json", "--data", "train.jsonl", "--out", "x.apx", "--label-column", "intent"], 2, /for a structured task, these apply to label tasks only: --label-column/],
      [["eval", "--model", "m.apx", "--data", "test.jsonl", "--format", "csv"], 2, /for a structured model, these apply to label tasks only: --format csv/],
    ];
    for (const [args, code, message] of cases) {
      const r = await run(...args);
      expect(r.code, args.join(" ")).toBe(code);
      expect(r.stderr, args.join(" ")).toMatch(message);
      expect(r.stdout).toBe("");
    }
    expect(await exists("x.apx")).toBe(false);
  });

  it("eval --task checks that the task is the model's, and a label model refuses --task", async () => {
    const other = { ...TRANSFER_OUTPUT, properties: { ...TRANSFER_OUTPUT.properties, currency: { type: ["string", "null"], enum: ["EUR", "USD"] } } };
    await writeFile(join(dir, "other.json"), JSON.stringify({ name: "other", instructions: "x", output: other }));
    const mismatch = await run("eval", "--model", "m.apx", "--data", "test.jsonl", "--task", "other.json");
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toMatch(/task file other\.json does not match the model: field currency has values \["EUR","USD","GBP"\] in the model, \["EUR","USD"\] in the task/);
    const matching = await run("eval", "--model", "m.apx", "--data", "test.jsonl", "--task", "task.json", "--json");
    expect(matching.code).toBe(0);

    await writeFile(join(dir, "labels-train.csv"), "text,label\n" + Array.from({ length: 20 }, (_, i) => `${i % 2 ? "show my balance" : "send money"} ${i},${i % 2 ? "balance" : "send"}`).join("\n") + "\n");
    const label = await run("train", "--data", "labels-train.csv", "--out", "label.model");
    expect(label.code).toBe(0);
    const r = await run("eval", "--model", "label.model", "--data", "labels.csv", "--task", "task.json");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--task applies to structured models only: label\.model is a label model/);
  });
});
