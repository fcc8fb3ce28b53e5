import { describe, expect, it } from "vitest";
import { readDataset } from "../../src/data/dataset.js";
import { DatasetError } from "../../src/data/errors.js";
import { parseJsonArray } from "../../src/data/jsonl.js";

describe("parseJsonArray", () => {
  it("numbers items by their 1-based position and reports non-objects there", () => {
    expect(parseJsonArray('\uFEFF[{"text":"a"}, 3, null, [], {"text":"b"}]')).toEqual({
      records: [
        { line: 1, value: { text: "a" } },
        { line: 5, value: { text: "b" } },
      ],
      errors: [
        { line: 2, reason: "expected a JSON object, found a number" },
        { line: 3, reason: "expected a JSON object, found null" },
        { line: 4, reason: "expected a JSON object, found an array" },
      ],
    });
  });

  it("returns the reason when the text is not a JSON array", () => {
    expect(parseJsonArray('{"text":"a"}')).toBe("expected a JSON array of objects, found an object");
    expect(parseJsonArray("[{")).toMatch(/^invalid JSON: /);
  });
});

describe("readDataset with format json", () => {
  it("checks each item like a JSONL row, with positions as lines", () => {
    const data = readDataset('[{"text":"a","label":"x"},{"text":"","label":"x"},{"text":"c","label":7}]', { format: "json", onBadRow: "skip" });
    expect(data.examples).toEqual([
      { text: "a", label: "x", line: 1 },
      { text: "c", label: "7", line: 3 },
    ]);
    expect(data.badRows).toEqual([{ line: 2, reason: "empty text" }]);
  });

  it("refuses an empty array and a document that is not an array", () => {
    expect(() => readDataset("[]", { format: "json", source: "b.json" })).toThrow(/b.json is empty: expected a JSON array of objects/);
    expect(() => readDataset("5", { format: "json" })).toThrow(DatasetError);
  });
});
