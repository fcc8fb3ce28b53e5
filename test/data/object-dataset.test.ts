// Gold objects read from JSONL: checked against the task's fields like a teacher's answer, with
// every bad line named by number and field.
import { describe, expect, it } from "vitest";
import { readObjectDataset } from "../../src/data/object-dataset.js";
import { DatasetError } from "../../src/data/errors.js";
import { outputFields } from "../../src/task/structured.js";
import { invoiceTask } from "../teacher/helpers.js";

const fields = outputFields(invoiceTask());
const ok = { intent: "pay", urgent: false, topics: ["card"], amount: "40 euros", people: ["Anna"], note: null };
const line = (text: string, output: unknown) => JSON.stringify({ text, output });

function badRows(content: string) {
  try {
    readObjectDataset(content, fields, { source: "gold.jsonl" });
  } catch (err) {
    expect(err).toBeInstanceOf(DatasetError);
    return { message: (err as DatasetError).message, rows: (err as DatasetError).badRows };
  }
  throw new Error("expected a DatasetError");
}

describe("readObjectDataset", () => {
  it("locates extracted values in their text and gives each object's canonical answer", () => {
    const ds = readObjectDataset(`${line("Pay ANNA 40  Euros by card", { ...ok, people: ["anna"], topics: ["card", "card"] })}\n\n${line("refund me", { ...ok, intent: "refund", amount: null, people: [] })}\n`, fields);
    expect(ds.examples).toHaveLength(2);
    // The text's own characters, whatever the case or spacing the file gave.
    expect(ds.examples[0].object).toMatchObject({ amount: "40  Euros", people: ["ANNA"] });
    expect(ds.examples[0].line).toBe(1);
    expect(ds.examples[1].line).toBe(3);
    expect(JSON.parse(ds.examples[0].answer)).toEqual({ intent: "pay", urgent: false, topics: ["card"], amount: "40  Euros", people: ["ANNA"], note: null });
  });

  it("names the line and field of a value not in its text, an off-enum choice, a bad tag or boolean, and invalid JSON", () => {
    const content = [
      line("pay Anna 40 euros", ok),
      line("pay Anna 40 euros", { ...ok, amount: "70 euros" }),
      line("pay Anna 40 euros", { ...ok, intent: "donate" }),
      line("pay Anna 40 euros", { ...ok, topics: ["card", "cash"] }),
      line("pay Anna 40 euros", { ...ok, urgent: "yes" }),
      '{"text": "pay Anna", "output": {',
      line("pay Anna 40 euros", { ...ok, tip: 3 }),
      JSON.stringify({ text: "pay Anna 40 euros" }),
    ].join("\n");
    const { message, rows } = badRows(content);
    expect(rows.map((r) => r.line)).toEqual([2, 3, 4, 5, 6, 7, 8]);
    expect(rows[0].reason).toMatch(/field amount: "70 euros" does not occur/);
    expect(rows[1].reason).toMatch(/field intent: "donate" is not one of its values/);
    expect(rows[2].reason).toMatch(/field topics: "cash" is not one of its values/);
    expect(rows[3].reason).toMatch(/field urgent: "yes" is not true or false/);
    expect(rows[4].reason).toMatch(/invalid JSON/);
    expect(rows[5].reason).toMatch(/"tip" is not a field of the task/);
    expect(rows[6].reason).toMatch(/missing field "output"/);
    expect(message).toMatch(/^7 bad rows in gold\.jsonl: gold\.jsonl line 2: output: field amount/);
  });

  it("skips bad lines when asked, and refuses a file with none usable", () => {
    const ds = readObjectDataset(`${line("pay Anna 40 euros", ok)}\n${line("pay Anna", { ...ok, intent: 1 })}`, fields, { onBadRow: "skip" });
    expect(ds.examples).toHaveLength(1);
    expect(ds.badRows).toEqual([{ line: 2, reason: expect.stringMatching(/field intent/) as unknown as string }]);
    expect(() => readObjectDataset(line("pay", { ...ok, intent: 1 }), fields, { onBadRow: "skip", source: "x.jsonl" })).toThrow(/x\.jsonl has no usable texts/);
  });

  it("reads the text from another field when told", () => {
    const ds = readObjectDataset(JSON.stringify({ message: "pay Anna 40 euros", output: ok }), fields, { textField: "message" });
    expect(ds.examples[0].text).toBe("pay Anna 40 euros");
  });
});
