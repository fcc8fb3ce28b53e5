import { describe, expect, it } from "vitest";
import { badRowsAdvice, formatOf, guessColumn, importQuery, parseCsv, PARTIAL_LABEL, preview } from "../../web/src/lib/import-preview.js";

describe("parseCsv", () => {
  it("reads quoted fields with commas, doubled quotes and line breaks", () => {
    const text = 'text,label\r\n"hello, world",greet\n"she said ""hi""",quote\n"two\nlines",multi\n';
    expect(parseCsv(text, 10)).toEqual([
      ["text", "label"],
      ["hello, world", "greet"],
      ['she said "hi"', "quote"],
      ["two\nlines", "multi"],
    ]);
  });

  it("stops after maxRows, skips blank lines and a BOM", () => {
    expect(parseCsv("\ufeffa,b\n\n1,2\n3,4\n", 2)).toEqual([
      ["a", "b"],
      ["1", "2"],
    ]);
    expect(parseCsv("a,b\n1,2", 10)).toEqual([
      ["a", "b"],
      ["1", "2"],
    ]);
  });

  it("drops a last record cut off by the preview limit", () => {
    expect(parseCsv('a,b\n1,2\n"3,', 10, true)).toEqual([
      ["a", "b"],
      ["1", "2"],
    ]);
  });
});

describe("preview", () => {
  it("previews CSV with its header as columns", () => {
    const p = preview("train.csv", "utterance,intent\nhi,greet\nbye,leave\n", false, 1);
    expect(p.format).toBe("csv");
    expect(p.columns).toEqual(["utterance", "intent"]);
    expect(p.rows).toEqual([{ utterance: "hi", intent: "greet" }]);
  });

  it("previews JSONL, collecting every key and reporting bad lines", () => {
    const p = preview("x.jsonl", '{"text":"a","label":"l1"}\nnot json\n{"text":"b","label":"l2","extra":3}\n[1]\n{"text":"c"', true);
    expect(p.format).toBe("jsonl");
    expect(p.columns).toEqual(["text", "label", "extra"]);
    expect(p.rows).toEqual([
      { text: "a", label: "l1", extra: "" },
      { text: "b", label: "l2", extra: "3" },
    ]);
    expect(p.problems).toEqual([
      { line: 2, reason: "not valid JSON" },
      { line: 4, reason: "not a JSON object" },
    ]);
  });

  it("previews a JSON array, and says when it is too large to read in part", () => {
    expect(preview("x.json", '[{"text":"a","label":"b"}]', false).rows).toEqual([{ text: "a", label: "b" }]);
    expect(preview("x.json", '[{"text":"a","label":"b"},', true).problems[0].reason).toMatch(/too large/);
  });
});

describe("formatOf, guessColumn, importQuery", () => {
  it("detects the format from the name, then the content", () => {
    expect(formatOf("a.CSV", "{")).toBe("csv");
    expect(formatOf("a.ndjson", "")).toBe("jsonl");
    expect(formatOf("a.json", "")).toBe("json");
    expect(formatOf("data", "  [{}]")).toBe("json");
    expect(formatOf("data", '{"a":1}')).toBe("jsonl");
    expect(formatOf("data", "a,b")).toBe("csv");
  });

  it("guesses the text and label columns", () => {
    expect(guessColumn(["id", "Message", "Intent"], "text")).toBe("Message");
    expect(guessColumn(["id", "Message", "Intent"], "label")).toBe("Intent");
    expect(guessColumn(["x", "y"], "text")).toBe("x");
    expect(guessColumn(["x", "y"], "label")).toBe("y");
    expect(guessColumn([], "label")).toBeNull();
  });

  it("sends column names only when they differ from the defaults", () => {
    expect(importQuery("csv", "text", "label", false)).toEqual({});
    expect(importQuery("jsonl", "utterance", "intent", true)).toEqual({ text_column: "utterance", label_column: "intent", partial: "true" });
    expect(importQuery("json", "utterance", "intent", false)).toEqual({});
  });
});

describe("badRowsAdvice", () => {
  it("points to the checkbox, not the API's query parameter, with the right plurals", () => {
    const one = badRowsAdvice(1, false);
    expect(one).toBe(`1 row is bad (listed below). Fix it, or tick "${PARTIAL_LABEL}" to import the other rows without it.`);
    const many = badRowsAdvice(1200, false);
    expect(many).toMatch(/^1,200 rows are bad \(listed below\)\. Fix them, or tick /);
    expect(many).toMatch(/without them\.$/);
    // Already ticked: only fixing helps.
    expect(badRowsAdvice(2, true)).toBe("2 rows are bad (listed below). Fix them and upload again.");
    for (const text of [one, many, badRowsAdvice(3, true)]) {
      expect(text).not.toMatch(/partial=true|nothing imported/i);
    }
  });
});
