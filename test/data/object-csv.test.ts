// A structured task's CSV rows mapped to {text, output} records, and the streaming reader that
// checks them like readObjectDataset's JSONL lines: cells only converted here, refused by the
// object's own checks, the header matched to the fields, the row cap honoured while reading.
import { describe, expect, it } from "vitest";
import { RowLimitError, DatasetError } from "../../src/data/errors.js";
import { cellValue, objectCsvColumns, objectCsvRecord } from "../../src/data/object-csv.js";
import { ObjectDatasetReader } from "../../src/data/object-dataset.js";
import { outputFields } from "../../src/task/structured.js";
import { invoiceTask } from "../teacher/helpers.js";

const fields = outputFields(invoiceTask());
const field = (name: string) => fields.find((f) => f.name === name)!;
const header = ["text", ...fields.map((f) => f.name)];

describe("object CSV rows", () => {
  it("converts cells by field kind, passing what it cannot read on as written", () => {
    expect(fields.map((f) => f.kind)).toEqual(expect.arrayContaining(["choice", "boolean", "tags", "extract", "extract_list"]));
    expect(cellValue(field("urgent"), " TRUE ")).toBe(true);
    expect(cellValue(field("urgent"), "false")).toBe(false);
    expect(cellValue(field("urgent"), "yes")).toBe("yes");
    expect(cellValue(field("urgent"), "  ")).toBeNull();
    expect(cellValue(field("topics"), "card| fees |")).toEqual(["card", "fees"]);
    expect(cellValue(field("topics"), "")).toBeNull();
    expect(cellValue(field("people"), "Anna|Bob")).toEqual(["Anna", "Bob"]);
    expect(cellValue(field("intent"), " pay ")).toBe("pay");
  });

  it("matches the header to the fields", () => {
    const columns = objectCsvColumns(header, fields, "text", "x.csv");
    const record = objectCsvRecord(["pay Anna", "pay", "", "", "", "Anna", ""], columns);
    expect(record.text).toBe("pay Anna");
    expect(Object.keys(record.output as object)).toEqual(fields.map((f) => f.name));
    expect(() => objectCsvColumns([...header, "label"], fields, "text", "x.csv")).toThrow(/column "label" is not the text nor a field of the task \(a structured task takes no label column/);
    expect(() => objectCsvColumns([...header, "text"], fields, "text", "x.csv")).toThrow(/more than one column named "text"/);
    expect(() => objectCsvColumns(header.slice(1), fields, "text", "x.csv")).toThrow(/has no column "text"/);
  });

  it("reads CSV, JSONL and JSON in chunks, checking each row like a teacher's object", () => {
    const csv = new ObjectDatasetReader(fields, { format: "csv" });
    for (const chunk of [`${header.join(",")}\n"Pay ANNA 40 euros, by card",pay,false,card,40 euros,anna,\n`, "refund,refund,maybe,,,,\n"]) csv.push(chunk);
    const ds = csv.end();
    expect(ds.examples).toHaveLength(1);
    expect(ds.examples[0].object).toMatchObject({ people: ["ANNA"], amount: "40 euros", topics: ["card"] });
    expect(ds.badRows).toEqual([{ line: 3, reason: 'output: field urgent: "maybe" is not true or false' }]);
    const json = new ObjectDatasetReader(fields, { format: "json" });
    json.push('{"text": "a"}');
    expect(() => json.end()).toThrow(DatasetError);
  });

  it("stops at the row cap while reading", () => {
    const reader = new ObjectDatasetReader(fields, { format: "jsonl", maxRows: 2 });
    reader.push('{"text":"a"}\n{"text":"b"}\n');
    expect(() => reader.push('{"text":"c"}\n')).toThrow(RowLimitError);
  });
});
