// The chunked parsers read a text cut anywhere exactly as the whole text, and stop at a row limit.
import { describe, expect, it } from "vitest";
import { CsvParser, parseCsv } from "../../src/data/csv.js";
import { DatasetReader, readDataset } from "../../src/data/dataset.js";
import { RowLimitError } from "../../src/data/errors.js";
import { JsonArrayParser, JsonlParser, parseJsonArray, parseJsonl } from "../../src/data/jsonl.js";

interface Chunked<T> {
  push(chunk: string): void;
  end(): T;
}

/** Every way of cutting `text` in two, and one character at a time. */
function cuts(text: string): string[][] {
  const ways = [[...text]];
  for (let k = 0; k <= text.length; k++) ways.push([text.slice(0, k), text.slice(k)]);
  return ways;
}

function readChunks<T>(parser: Chunked<T>, chunks: string[]): T {
  for (const c of chunks) parser.push(c);
  return parser.end();
}

const CSV_TEXTS = [
  '\uFEFFtext,label\r\n"hello, ""world""",a\r\n\r\nplain,b\rlone cr,c\n"multi\r\nline\rfield",d\n',
  'text,label\nok,a\nfine,"b\nmore,c\nend,d\n',
  'text,label\nsay "hi",a\n"hi"there,b\na,b,c\n"",""\n"x"',
  'a,b\n1,2\r',
];

const JSONL_TEXTS = ['\uFEFF{"text":"a, \\"b\\"","label":"x"}\r\n\n{"text": "b",}\n[1]\n{"text":"c\\nd"}', '{"a":1}\n\n\n'];

const JSON_TEXTS = [
  '\uFEFF [ {"text":"a]}\\"","label":"x"} , 3, null, [ {"x": [1,2]} ], {"text":"b"} ] \n',
  "[]",
  "[{",
  '[{"a":1}}]',
  "[1,,2]",
  '{"text":"a"}',
  "[1] x",
  "",
  "5",
];

describe("chunked parsers", () => {
  it("read CSV cut anywhere as parseCsv reads the whole text", () => {
    for (const text of CSV_TEXTS) for (const chunks of cuts(text)) expect(readChunks(new CsvParser(), chunks)).toEqual(parseCsv(text));
  });

  it("read JSONL cut anywhere as parseJsonl reads the whole text", () => {
    for (const text of JSONL_TEXTS) for (const chunks of cuts(text)) expect(readChunks(new JsonlParser(), chunks)).toEqual(parseJsonl(text));
  });

  it("read a JSON array cut anywhere as parseJsonArray reads the whole text", () => {
    for (const text of JSON_TEXTS) for (const chunks of cuts(text)) expect(readChunks(new JsonArrayParser(), chunks)).toEqual(parseJsonArray(text));
  });

  it("give JSON arrays the same items and errors as JSON.parse", () => {
    expect(parseJsonArray(JSON_TEXTS[0])).toEqual({
      records: [
        { line: 1, value: { text: 'a]}"', label: "x" } },
        { line: 5, value: { text: "b" } },
      ],
      errors: [
        { line: 2, reason: "expected a JSON object, found a number" },
        { line: 3, reason: "expected a JSON object, found null" },
        { line: 4, reason: "expected a JSON object, found an array" },
      ],
    });
    for (const bad of ["[{", '[{"a":1}}]', "[1,,2]", "[1] x", "", "[1 2]"]) expect(parseJsonArray(bad)).toMatch(/^invalid JSON: /);
    expect(parseJsonArray("5")).toBe("expected a JSON array of objects, found a number");
  });

  it("stop at a row limit, counting rejected rows too, and not before", () => {
    const csv = "text,label\na,x\nb,x\n\"bad\"x,y\n";
    expect(readChunks(new CsvParser({ maxRows: 3 }), [csv]).records).toHaveLength(2);
    expect(() => new CsvParser({ maxRows: 2 }).push(csv + "c,x\n")).toThrow(RowLimitError);
    expect(() => new JsonlParser({ maxRows: 1 }).push('{"a":1}\nnot json\n')).toThrow(/more than 1 rows/);
    expect(() => new JsonArrayParser({ maxRows: 2 }).push("[{},{},{},")).toThrow(RowLimitError);
    const rows = (count: number) => ["text,label\n", ...Array.from({ length: count }, (_, i) => `t${i},x\n`)];
    expect(readChunks(new DatasetReader({ format: "csv", maxRows: 5 }), rows(5)).examples).toHaveLength(5);
    expect(() => readChunks(new DatasetReader({ format: "csv", maxRows: 5 }), rows(6))).toThrow(RowLimitError);
  });

  it("read a dataset in chunks as readDataset reads it whole", () => {
    const text = "text,label\nhello,greet\n\"bye\nnow\",farewell\n,empty\n";
    const whole = readDataset(text, { format: "csv", onBadRow: "skip" });
    for (const chunks of cuts(text)) expect(readChunks(new DatasetReader({ format: "csv", onBadRow: "skip" }), chunks)).toEqual(whole);
  });

  it("read a long quoted field pushed in many small chunks in linear time", () => {
    // 2 MB in 1,000-character chunks: re-reading the open field on every push would be ~2 G steps.
    const parser = new CsvParser();
    parser.push('text,label\n"');
    const piece = "x".repeat(1000);
    for (let i = 0; i < 2000; i++) parser.push(piece);
    parser.push('",a\n');
    const table = parser.end();
    expect(table.records[0].fields[0]).toHaveLength(2_000_000);
  });
});
