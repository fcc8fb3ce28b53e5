import { describe, expect, it } from "vitest";
import { parseJsonl } from "../../src/data/jsonl.js";

describe("parseJsonl", () => {
  it("reads one object per line with 1-based line numbers, skipping blank lines", () => {
    const result = parseJsonl('{"text":"a","label":"x"}\n\n   \n{"text":"b"}\n');
    expect(result).toEqual({
      records: [
        { line: 1, value: { text: "a", label: "x" } },
        { line: 4, value: { text: "b" } },
      ],
      errors: [],
    });
  });

  it("accepts CRLF line ends and a leading BOM", () => {
    const result = parseJsonl('\uFEFF{"text":"a"}\r\n{"text":"b"}\r\n');
    expect(result.errors).toEqual([]);
    expect(result.records.map((r) => [r.line, r.value.text])).toEqual([
      [1, "a"],
      [2, "b"],
    ]);
  });

  it("reports invalid JSON with its line and the parser's message", () => {
    const result = parseJsonl('{"text":"a"}\n{"text": "b",}\n{"text":"c"}');
    expect(result.records.map((r) => r.line)).toEqual([1, 3]);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0].line).toBe(2);
    expect(result.errors[0].reason).toMatch(/^invalid JSON: .*JSON/);
    // The parser's own wording is passed through, not replaced by a generic message.
    let native = "";
    try {
      JSON.parse('{"text": "b",}');
    } catch (err) {
      native = (err as Error).message;
    }
    expect(result.errors[0].reason).toContain(native);
  });

  it("reports lines that are valid JSON but not objects, naming what they are", () => {
    const result = parseJsonl('[1,2]\nnull\n"text"\n42\n{"ok":true}');
    expect(result.errors).toEqual([
      { line: 1, reason: "expected a JSON object, found an array" },
      { line: 2, reason: "expected a JSON object, found null" },
      { line: 3, reason: "expected a JSON object, found a string" },
      { line: 4, reason: "expected a JSON object, found a number" },
    ]);
    expect(result.records).toEqual([{ line: 5, value: { ok: true } }]);
  });

  it("gives nothing for empty input", () => {
    expect(parseJsonl("")).toEqual({ records: [], errors: [] });
    expect(parseJsonl("\n\n")).toEqual({ records: [], errors: [] });
  });
});
