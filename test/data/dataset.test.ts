import { describe, expect, it } from "vitest";
import { readDataset, type DatasetOptions } from "../../src/data/dataset.js";
import { DatasetError } from "../../src/data/errors.js";

function thrown(fn: () => unknown): DatasetError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DatasetError);
    return err as DatasetError;
  }
  throw new Error("expected a DatasetError");
}

const csv = (content: string, options: Partial<DatasetOptions> = {}) =>
  readDataset(content, { format: "csv", ...options });
const jsonl = (content: string, options: Partial<DatasetOptions> = {}) =>
  readDataset(content, { format: "jsonl", ...options });

describe("readDataset columns", () => {
  it("uses text and label by default", () => {
    const ds = csv("id,text,label\n1,hello,greet\n2,bye,farewell\n");
    expect(ds.textColumn).toBe("text");
    expect(ds.labelColumn).toBe("label");
    expect(ds.examples).toEqual([
      { text: "hello", label: "greet", line: 2 },
      { text: "bye", label: "farewell", line: 3 },
    ]);
  });

  it.each(["category", "intent", "class"])("falls back to a %s column", (name) => {
    const ds = csv(`text,${name}\nhello,greet\n`);
    expect(ds.labelColumn).toBe(name);
    expect(ds.examples[0].label).toBe("greet");
  });

  it("prefers label over the other candidates, and category over intent", () => {
    expect(csv("intent,text,label\ni,t,l\n").examples[0].label).toBe("l");
    expect(csv("intent,text,category\ni,t,c\n").examples[0].label).toBe("c");
  });

  it("finds default columns among JSONL keys, even when only some records have them", () => {
    const ds = jsonl('{"text":"a","id":1}\n{"text":"b","intent":"x"}', { labelRequired: false });
    expect(ds.labelColumn).toBe("intent");
    expect(ds.examples).toEqual([
      { text: "a", line: 1 },
      { text: "b", label: "x", line: 2 },
    ]);
  });

  it("uses named columns and matches header names with surrounding spaces", () => {
    const ds = csv("utterance , tag\nhello,greet\n", { textColumn: "utterance", labelColumn: "tag" });
    expect(ds.examples).toEqual([{ text: "hello", label: "greet", line: 2 }]);
    expect(ds.textColumn).toBe("utterance");
    expect(ds.labelColumn).toBe("tag");
  });

  it("names a missing text column and lists the available ones", () => {
    const err = thrown(() => csv("body,label\nx,y\n", { source: "train.csv" }));
    expect(err.message).toContain('train.csv has no column "text"');
    expect(err.message).toContain("textColumn");
    expect(err.message).toContain('"body", "label"');
  });

  it("names a missing label column given by name", () => {
    const err = thrown(() => jsonl('{"text":"a","label":"x"}', { labelColumn: "tag" }));
    expect(err.message).toMatch(/no field "tag".*"text", "label"/);
  });

  it("says which label columns it looked for when none is present", () => {
    const err = thrown(() => csv("text,other\nx,y\n"));
    expect(err.message).toMatch(/no label column.*"label", "category", "intent", "class".*labelRequired/);
    expect(err.message).toContain('"text", "other"');
  });

  it("reads unlabeled data when labels are not required", () => {
    const ds = csv("text\nhello\nbye\n", { labelRequired: false });
    expect(ds.labelColumn).toBeUndefined();
    expect(ds.examples).toEqual([
      { text: "hello", line: 2 },
      { text: "bye", line: 3 },
    ]);
    expect(ds.labels).toEqual([]);
  });

  it("rejects a header that names the chosen column twice", () => {
    expect(thrown(() => csv("text,label,text\na,b,c\n")).message).toContain('more than one column named "text"');
  });

  it("rejects an empty file, and reports a malformed header with its line", () => {
    expect(thrown(() => csv("")).message).toMatch(/empty/);
    expect(thrown(() => jsonl("\n\n")).message).toMatch(/empty/);
    const err = thrown(() => csv('te"xt,label\na,b\n', { source: "t.csv", onBadRow: "skip" }));
    expect(err.message).toMatch(/^t\.csv line 1: header: stray quote/);
    expect(err.badRows).toHaveLength(1);
  });

  it("gives an empty dataset for a header-only CSV", () => {
    const ds = csv("text,label\n");
    expect(ds.examples).toEqual([]);
    expect(ds.badRows).toEqual([]);
  });
});

describe("readDataset bad rows", () => {
  const messy = [
    "text,label", // 1
    "good one,a", // 2
    ",a", // 3 empty text
    "   ,a", // 4 whitespace-only text
    "no label,", // 5 empty label
    '"multi', // 6 multi-line quoted text, fine
    'line",b', // 7
    "too,many,fields", // 8
    "good two,  b  ", // 9 label gets trimmed
    "x".repeat(21) + ",a", // 10 too long with maxTextLength 20
  ].join("\n");

  it("fails by default with a one-line summary and every bad row attached", () => {
    const err = thrown(() => csv(messy, { source: "train.csv", maxTextLength: 20 }));
    expect(err.message).not.toMatch(/\n/);
    expect(err.message).toMatch(/^5 bad rows in train\.csv: train\.csv line 3: empty text; train\.csv line 4: empty text; train\.csv line 5: empty label; and 2 more/);
    expect(err.badRows).toEqual([
      { line: 3, reason: "empty text" },
      { line: 4, reason: "empty text" },
      { line: 5, reason: "empty label" },
      { line: 8, reason: "expected 2 fields, found 3" },
      { line: 10, reason: "text is 21 characters, over the limit of 20 (maxTextLength)" },
    ]);
  });

  it("skips bad rows on request, listing each, so examples plus bad rows equals data rows", () => {
    const ds = csv(messy, { onBadRow: "skip", maxTextLength: 20 });
    expect(ds.examples).toEqual([
      { text: "good one", label: "a", line: 2 },
      { text: "multi\nline", label: "b", line: 6 },
      { text: "good two", label: "b", line: 9 },
    ]);
    expect(ds.badRows.map((r) => r.line)).toEqual([3, 4, 5, 8, 10]);
    expect(ds.examples.length + ds.badRows.length).toBe(8);
  });

  it("applies the default limit of 10,000 characters", () => {
    const ok = "x".repeat(10_000);
    const ds = csv(`text,label\n${ok},a\n${ok}y,a\n`, { onBadRow: "skip" });
    expect(ds.examples.map((e) => e.line)).toEqual([2]);
    expect(ds.badRows[0].reason).toMatch(/10001 characters.*limit of 10000/);
  });

  it("keeps rows with empty labels, unlabeled, when labels are not required", () => {
    const ds = csv("text,label\na,x\nb,\nc,  \n", { labelRequired: false });
    expect(ds.examples).toEqual([
      { text: "a", label: "x", line: 2 },
      { text: "b", line: 3 },
      { text: "c", line: 4 },
    ]);
  });

  it("checks JSONL types, converts numeric labels to strings, and reports parse errors in line order", () => {
    const lines = [
      '{"text":"ok","label":"a"}', // 1
      '{"text":"numbered","label":3}', // 2 label becomes "3"
      '{"text":42,"label":"a"}', // 3
      '{"label":"a"}', // 4
      '{"text":"t","label":true}', // 5
      '{"text":"t","label":null}', // 6
      '{"text":"t"}', // 7
      "not json", // 8
      "[]", // 9
      '{"text":null,"label":"a"}', // 10
      '{"text":"t","label":["a"]}', // 11
      "", // 12 blank: not a row
    ];
    const ds = jsonl(lines.join("\n"), { onBadRow: "skip" });
    expect(ds.examples).toEqual([
      { text: "ok", label: "a", line: 1 },
      { text: "numbered", label: "3", line: 2 },
    ]);
    expect(ds.badRows.map((r) => [r.line, r.reason])).toEqual([
      [3, "text is a number, expected a string"],
      [4, 'missing text field "text"'],
      [5, "label is a boolean, expected a string"],
      [6, "label is null"],
      [7, 'missing label field "label"'],
      [8, expect.stringMatching(/^invalid JSON: /)],
      [9, "expected a JSON object, found an array"],
      [10, "text is null, expected a string"],
      [11, "label is an array, expected a string"],
    ]);
    expect(ds.examples.length + ds.badRows.length).toBe(11);
  });

  it("reads only a record's own keys, not inherited ones", () => {
    const ds = jsonl('{"constructor":"hi","label":"a"}\n{"label":"b"}', { textColumn: "constructor", onBadRow: "skip" });
    expect(ds.examples).toEqual([{ text: "hi", label: "a", line: 1 }]);
    expect(ds.badRows).toEqual([{ line: 2, reason: 'missing text field "constructor"' }]);
  });

  it("reports every line when a JSONL file has no valid record", () => {
    const err = thrown(() => jsonl("nope\n[1]\n", { source: "x.jsonl" }));
    expect(err.badRows.map((r) => r.line)).toEqual([1, 2]);
    expect(err.message).toMatch(/^2 bad rows in x\.jsonl: x\.jsonl line 1: invalid JSON/);
  });

  it("names a single bad row without a source", () => {
    const err = thrown(() => csv("text,label\n,a\nb,c\n"));
    expect(err.message).toMatch(/^1 bad row in the dataset: line 2: empty text \(/);
  });
});

describe("readDataset summaries", () => {
  it("counts labels, most frequent first then by name, and flags single-example labels", () => {
    const ds = csv("text,label\n1,b\n2,a\n3,c\n4,b\n5,a\n6,d\n7,b\n");
    expect(ds.labels).toEqual([
      { label: "b", count: 3 },
      { label: "a", count: 2 },
      { label: "c", count: 1 },
      { label: "d", count: 1 },
    ]);
    expect(ds.rareLabels).toEqual([
      { label: "c", count: 1 },
      { label: "d", count: 1 },
    ]);
  });

  it("groups texts that are equal after trimming, showing conflicting labels", () => {
    const ds = csv("text,label\nhello,greet\nbye,farewell\nbye,farewell\n  hello ,greet\nhello,other\nunique,x\n");
    // Ordered by first occurrence, though "bye" is seen twice before "hello" is.
    expect(ds.duplicateTexts).toEqual([
      { text: "hello", lines: [2, 5, 6], labels: ["greet", "other"] },
      { text: "bye", lines: [3, 4], labels: ["farewell"] },
    ]);
    // The examples themselves keep the text as written.
    expect(ds.examples[3].text).toBe("  hello ");
  });

  it("does not count case-different texts as duplicates", () => {
    expect(csv("text,label\nHello,a\nhello,a\n").duplicateTexts).toEqual([]);
  });
});
