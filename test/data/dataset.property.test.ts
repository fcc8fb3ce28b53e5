// Property tests of dataset import (CSV, JSONL, JSON array) on generated and then mutated files.
//
// "Every data record is accounted for" means, per format, with onBadRow "skip":
// - CSV: a *record* is what parseCsv delimits after the header: it starts at a non-blank physical
//   line outside any quoted field and runs to the end of its last field (a quoted field may span
//   lines; after a malformed record, parsing resumes on the next physical line, and an
//   unterminated quote swallows the rest of the file into one bad record). Then
//   examples + badRows = parseCsv(text).records + parseCsv(text).errors, each at a distinct line.
// - JSONL: a record is a line (split at LF, after a leading BOM) that is not blank after trim();
//   examples + badRows = the number of such lines, and their line numbers are exactly those lines.
// - JSON array: a record is an item; examples + badRows = the array's length, lines 1..length.
// Anything that is not a dataset at all (no header, missing column, not an array) is a
// DatasetError; nothing else may ever be thrown. Fixed seeds: a failure prints its seed and path.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatCsv, parseCsv } from "../../src/data/csv.js";
import { readDataset, type Dataset, type DatasetFormat } from "../../src/data/dataset.js";
import { DatasetError } from "../../src/data/errors.js";

const SEED = 424_242;

type Row = { text: string; label: string };

const unit = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom("a", "b", "z", "0", " ", "é", "😀", "中") },
  { weight: 2, arbitrary: fc.constantFrom(",", '"', "\n", "\r", "\r\n", "\t", "\uFEFF", "\u0000", "'", "{", "}", "[", "]", ":", "\\") },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) },
);
/** Texts are kept exactly as written; a usable one is not blank. */
const text = fc.string({ unit, minLength: 1, maxLength: 30 }).filter((s) => s.trim() !== "");
/** Labels are trimmed when read, so generate them already trimmed and not empty. */
const label = fc.string({ unit, minLength: 1, maxLength: 10 }).filter((s) => s.trim() === s && s !== "");
const rows = fc.array(fc.record({ text, label }), { minLength: 0, maxLength: 12 });

function serialise(format: DatasetFormat, data: readonly Row[]): string {
  if (format === "csv") return formatCsv(["text", "label"], data.map((r) => [r.text, r.label]));
  if (format === "jsonl") return data.map((r) => JSON.stringify(r)).join("\n") + (data.length > 0 ? "\n" : "");
  return JSON.stringify(data);
}

type Mutation =
  | { kind: "insert"; at: number; s: string }
  | { kind: "delete"; at: number; n: number }
  | { kind: "truncate"; at: number }
  | { kind: "bytes"; at: number; s: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), s: fc.constantFrom('"', '""', ",", "\n", "\r", "\r\n", "\uFEFF", "\u0000", "{", "}", "[", "]", ":", "\\", '\\"', "null", "\n\n") }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), n: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("bytes" as const), at: fc.nat(), s: fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 6 }) }),
);

function mutate(content: string, ms: readonly Mutation[]): string {
  let s = content;
  for (const m of ms) {
    const at = s.length === 0 ? 0 : m.at % (s.length + 1);
    if (m.kind === "insert" || m.kind === "bytes") s = s.slice(0, at) + m.s + s.slice(at);
    else if (m.kind === "delete") s = s.slice(0, at) + s.slice(at + m.n);
    else s = s.slice(0, at);
  }
  return s;
}

/** readDataset, failing the property on anything thrown that is not a DatasetError. */
function read(content: string, format: DatasetFormat, onBadRow: "skip" | "fail"): Dataset | DatasetError {
  try {
    return readDataset(content, { format, onBadRow, maxTextLength: 50 });
  } catch (err) {
    if (!(err instanceof DatasetError)) throw new Error(`expected a DatasetError, got ${String(err)}`, { cause: err });
    expect(err.message).not.toBe("");
    expect(err.message).not.toMatch(/[\r\n]/);
    for (const bad of err.badRows) expect(bad.line).toBeGreaterThanOrEqual(1);
    return err;
  }
}

/** The records the format defines (see the comment at the top), and the lines they may be on. */
function recordCount(content: string, format: DatasetFormat): { count: number; lines?: number[] } {
  if (format === "csv") {
    const table = parseCsv(content);
    return { count: table.records.length + table.errors.length };
  }
  if (format === "jsonl") {
    const body = content.charCodeAt(0) === 0xfeff ? content.slice(1) : content;
    const lines = body.split("\n").flatMap((l, i) => (l.trim() === "" ? [] : [i + 1]));
    return { count: lines.length, lines };
  }
  const value: unknown = JSON.parse(content.charCodeAt(0) === 0xfeff ? content.slice(1) : content);
  const n = (value as unknown[]).length;
  return { count: n, lines: Array.from({ length: n }, (_, i) => i + 1) };
}

function physicalLines(content: string, format: DatasetFormat): number {
  return (content.match(format === "csv" ? /\r\n|\r|\n/g : /\n/g)?.length ?? 0) + 1;
}

function checkAccounting(content: string, format: DatasetFormat, ds: Dataset): void {
  const { count, lines } = recordCount(content, format);
  const all = [...ds.examples.map((e) => e.line), ...ds.badRows.map((b) => b.line)].sort((a, b) => a - b);
  expect(all.length).toBe(count);
  // Each record is reported once, at its own line.
  expect(new Set(all).size).toBe(all.length);
  if (lines !== undefined) expect(all).toEqual(lines);
  else for (const line of all) expect(line >= 2 && line <= physicalLines(content, format)).toBe(true);
  for (const bad of ds.badRows) expect(bad.reason).not.toBe("");
  for (let i = 1; i < ds.badRows.length; i++) expect(ds.badRows[i].line).toBeGreaterThanOrEqual(ds.badRows[i - 1].line);
}

/**
 * The rows of a CSV or JSONL file that lie wholly (line end included) before the first byte the
 * mutations changed: whatever the damage after them, these must come back as they were written.
 */
function intactPrefixRows(f: "csv" | "jsonl", data: readonly Row[], mutated: string): (Row & { line: number })[] {
  const original = serialise(f, data);
  let prefix = 0;
  while (prefix < original.length && prefix < mutated.length && original[prefix] === mutated[prefix]) prefix++;
  const out: (Row & { line: number })[] = [];
  let offset = f === "csv" ? "text,label\n".length : 0;
  let line = f === "csv" ? 2 : 1;
  for (const r of data) {
    const written = f === "csv" ? formatCsv([], [[r.text, r.label]]).slice(1) : JSON.stringify(r) + "\n";
    offset += written.length;
    if (offset > prefix) break;
    out.push({ ...r, line });
    line += f === "csv" ? (written.match(/\r\n|\r|\n/g)?.length ?? 0) : 1;
  }
  return out;
}

const format = fc.constantFrom<DatasetFormat>("csv", "jsonl", "json");

describe("readDataset round trip", () => {
  it("formatCsv, JSONL and JSON arrays read back exactly the rows written, at the right lines", () => {
    fc.assert(
      fc.property(format, rows, (f, data) => {
        const content = serialise(f, data);
        if (data.length === 0 && f !== "csv") {
          expect(read(content, f, "skip")).toBeInstanceOf(DatasetError); // an empty JSONL/JSON file is refused
          return;
        }
        const ds = readDataset(content, { format: f, onBadRow: "fail", maxTextLength: 50 });
        expect(ds.badRows).toEqual([]);
        expect(ds.examples.map(({ text, label }) => ({ text, label }))).toEqual(data);
        if (f === "json") expect(ds.examples.map((e) => e.line)).toEqual(data.map((_, i) => i + 1));
        if (f === "jsonl") expect(ds.examples.map((e) => e.line)).toEqual(data.map((_, i) => i + 1));
        if (f === "csv") {
          // Line of row i: after the header and every line end inside the rows before it.
          let line = 2;
          const expected = data.map((r) => {
            const at = line;
            line += (`${r.text},${r.label}`.match(/\r\n|\r|\n/g)?.length ?? 0) + 1;
            return at;
          });
          expect(ds.examples.map((e) => e.line)).toEqual(expected);
        }
      }),
      { seed: SEED, numRuns: 400 },
    );
  });
});

describe("readDataset on mutated files", () => {
  it("throws only DatasetError, and with skip accounts for every record at a distinct line", () => {
    fc.assert(
      fc.property(format, rows, fc.array(mutation, { minLength: 1, maxLength: 5 }), (f, data, ms) => {
        const content = mutate(serialise(f, data), ms);
        const skipped = read(content, f, "skip");
        const failed = read(content, f, "fail");
        if (skipped instanceof DatasetError) {
          // A file-level problem: the same whatever onBadRow says.
          expect(failed).toBeInstanceOf(DatasetError);
          expect((failed as DatasetError).message).toBe(skipped.message);
          return;
        }
        checkAccounting(content, f, skipped);
        if (f !== "json") expect(intactPrefixRows(f, data, content).filter((e) => !skipped.examples.some((x) => x.line === e.line && x.text === e.text && x.label === e.label))).toEqual([]);
        // "fail" refuses exactly when "skip" found bad rows, and lists them all.
        if (skipped.badRows.length === 0) expect(failed).not.toBeInstanceOf(DatasetError);
        else expect((failed as DatasetError).badRows).toEqual(skipped.badRows);
      }),
      { seed: SEED, numRuns: 1500 },
    );
  });

  it("throws only DatasetError on random text, in every format", () => {
    fc.assert(
      fc.property(format, fc.oneof(fc.string({ unit, maxLength: 200 }), fc.string({ unit: "binary", maxLength: 200 })), fc.boolean(), (f, content, header) => {
        const text = (header && f === "csv" ? "text,label\n" : "") + content;
        const ds = read(text, f, "skip");
        if (!(ds instanceof DatasetError)) checkAccounting(text, f, ds);
      }),
      { seed: SEED, numRuns: 500 },
    );
  });

  it("a damaged CSV row without quotes or line ends loses no other row", () => {
    // Damage confined to one row's text: inserted commas or other characters. Every other row
    // must come back unchanged at its line, and the damaged row as an example or a bad row.
    const noQuoteOrEol = fc.string({ unit: fc.oneof(fc.constantFrom(",", ",,", "\u0000", "\uFEFF", " "), fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)).filter((c) => !/["\r\n]/.test(c))), minLength: 1, maxLength: 5 });
    const plain = fc.string({ unit: fc.constantFrom("a", "b", " ", "é", "😀"), minLength: 1, maxLength: 10 }).filter((s) => s.trim() !== "");
    const plainRows = fc.array(fc.record({ text: plain, label: plain.map((s) => s.trim()) }), { minLength: 1, maxLength: 10 });
    fc.assert(
      fc.property(plainRows, fc.nat(), fc.nat(), noQuoteOrEol, (data, which, at, junk) => {
        const k = which % data.length;
        const lines = ["text,label", ...data.map((r) => `${r.text},${r.label}`)];
        const target = lines[k + 1];
        const pos = at % (target.length + 1);
        lines[k + 1] = target.slice(0, pos) + junk + target.slice(pos);
        const ds = read(lines.join("\n") + "\n", "csv", "skip");
        if (ds instanceof DatasetError) throw ds;
        const byLine = new Map(ds.examples.map((e) => [e.line, e]));
        data.forEach((r, i) => {
          if (i === k) return;
          expect(byLine.get(i + 2)).toEqual({ ...r, line: i + 2 });
        });
        const damaged = k + 2;
        expect(byLine.has(damaged) !== ds.badRows.some((b) => b.line === damaged)).toBe(true);
        expect(ds.examples.length + ds.badRows.length).toBe(data.length);
      }),
      { seed: SEED, numRuns: 500 },
    );
  });
});
