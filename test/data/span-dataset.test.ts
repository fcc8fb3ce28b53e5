import { describe, expect, it } from "vitest";
import { DatasetError } from "../../src/data/errors.js";
import { readMultiLabelDataset } from "../../src/data/multilabel-dataset.js";
import { readSpanDataset } from "../../src/data/span-dataset.js";

const jsonl = (...rows: unknown[]) => rows.map((r) => (typeof r === "string" ? r : JSON.stringify(r))).join("\n");

function badRows(fn: () => unknown) {
  try {
    fn();
  } catch (e) {
    if (e instanceof DatasetError) return e.badRows;
    throw e;
  }
  throw new Error("expected a DatasetError");
}

describe("readSpanDataset (JSONL)", () => {
  it("reads spans with UTF-16 offsets, astral characters included", () => {
    const text = "play 𝄞 Song by Zoë";
    const ds = readSpanDataset(jsonl({ text, spans: [{ start: 5, end: 12, label: "track" }, { start: 16, end: 19, label: "artist" }] }), { format: "jsonl" });
    expect(ds.examples[0].spans.map((s) => text.slice(s.start, s.end))).toEqual(["𝄞 Song", "Zoë"]);
    expect(ds.labels).toEqual([
      { label: "artist", count: 1 },
      { label: "track", count: 1 },
    ]);
  });

  it("reports every bad row with its line number and reason", () => {
    const content = jsonl(
      { text: "ok row", spans: [] },
      { text: "abc", spans: [{ start: 1, end: 9, label: "x" }] },
      { text: "abc", spans: [{ start: 2, end: 2, label: "x" }] },
      { text: "a😀b", spans: [{ start: 2, end: 4, label: "x" }] },
      { text: "New York City", spans: [{ start: 0, end: 8, label: "city" }, { start: 4, end: 13, label: "x" }] },
      { text: "abc" },
      "{not json",
      { text: "abc", spans: [{ start: 0, end: 1, label: "" }] },
      { text: "a b", spans: [{ start: 1, end: 2, label: "x" }] },
    );
    const rows = badRows(() => readSpanDataset(content, { format: "jsonl", source: "s.jsonl" }));
    expect(rows.map((r) => r.line)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    expect(rows[0].reason).toMatch(/outside the text \(length 3\)/);
    expect(rows[1].reason).toMatch(/empty/);
    expect(rows[2].reason).toMatch(/cuts a character in half/);
    expect(rows[3].reason).toMatch(/overlap/);
    expect(rows[4].reason).toMatch(/missing field "spans"/);
    expect(rows[5].reason).toMatch(/invalid JSON/);
    expect(rows[6].reason).toMatch(/label must be a non-empty string/);
    expect(rows[7].reason).toMatch(/only whitespace/);
    const skipped = readSpanDataset(content, { format: "jsonl", onBadRow: "skip" });
    expect(skipped.examples.map((e) => e.line)).toEqual([1]);
    expect(skipped.badRows).toHaveLength(8);
  });
});

describe("readSpanDataset (CoNLL)", () => {
  it("rebuilds texts and spans from token<TAB>tag lines", () => {
    const content = "-DOCSTART-\tO\n\nbook\tO\na\tO\ntable\tO\nin\tO\nSão\tB-city\nPaulo\tI-city\ntonight\tB-time\n\r\nhello\tO\n";
    const ds = readSpanDataset(content, { format: "conll" });
    expect(ds.examples.map((e) => e.line)).toEqual([3, 11]);
    const [first] = ds.examples;
    expect(first.text).toBe("book a table in São Paulo tonight");
    expect(first.spans.map((s) => [first.text.slice(s.start, s.end), s.label])).toEqual([
      ["São Paulo", "city"],
      ["tonight", "time"],
    ]);
    expect(ds.examples[1].spans).toEqual([]);
  });

  it("starts a span at an I- tag that continues nothing (IOB1)", () => {
    const ds = readSpanDataset("go\tO\nParis\tI-city\nLondon\tB-city\n", { format: "conll" });
    expect(ds.examples[0].spans).toEqual([
      { start: 3, end: 8, label: "city" },
      { start: 9, end: 15, label: "city" },
    ]);
  });

  it("reports bad lines by number and drops their whole text", () => {
    const content = "a\tO\nb\tX-city\n\nc\tO\nnotag\n\nd\tB-x\n";
    const rows = badRows(() => readSpanDataset(content, { format: "conll" }));
    expect(rows).toEqual([
      { line: 2, reason: 'tag "X-city" is not O, B-label or I-label' },
      { line: 5, reason: "expected token<TAB>tag" },
    ]);
    expect(readSpanDataset(content, { format: "conll", onBadRow: "skip" }).examples.map((e) => e.text)).toEqual(["d"]);
  });
});

describe("readMultiLabelDataset", () => {
  it("reads JSONL label arrays and CSV delimited labels, empty sets included", () => {
    const a = readMultiLabelDataset(jsonl({ text: "t1", labels: ["a", "b", "a"] }, { text: "t2", labels: [] }), { format: "jsonl" });
    expect(a.examples.map((e) => e.labels)).toEqual([["a", "b"], []]);
    const b = readMultiLabelDataset('text,labels\n"hi, there",a|b\nbye,\n', { format: "csv" });
    expect(b.examples.map((e) => [e.text, e.labels])).toEqual([
      ["hi, there", ["a", "b"]],
      ["bye", []],
    ]);
    const c = readMultiLabelDataset("text,labels\nx,a; b\n", { format: "csv", labelDelimiter: ";" });
    expect(c.examples[0].labels).toEqual(["a", "b"]);
  });

  it("reports bad rows with line numbers", () => {
    const rows = badRows(() => readMultiLabelDataset(jsonl({ text: "ok", labels: ["a"] }, { text: "x", labels: "a" }, { text: "y", labels: [1] }, { text: "", labels: [] }), { format: "jsonl" }));
    expect(rows.map((r) => r.line)).toEqual([2, 3, 4]);
    expect(rows[0].reason).toMatch(/expected an array of strings/);
    expect(() => readMultiLabelDataset("text,labels\nx,a\n", { format: "csv", labelDelimiter: "," })).toThrow(/delimiter/);
  });
});
