import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatCsv, parseCsv } from "../../src/data/csv.js";

describe("parseCsv", () => {
  it("reads a header and records with their line numbers", () => {
    const table = parseCsv("text,label\nhello,greet\nbye,farewell\n");
    expect(table).toEqual({
      header: ["text", "label"],
      records: [
        { line: 2, fields: ["hello", "greet"] },
        { line: 3, fields: ["bye", "farewell"] },
      ],
      errors: [],
    });
  });

  it("drops a leading BOM so the first column name is clean", () => {
    const table = parseCsv("\uFEFFtext,label\nhi,x");
    expect(table.header).toEqual(["text", "label"]);
    expect(table.records).toEqual([{ line: 2, fields: ["hi", "x"] }]);
  });

  it("treats CRLF, LF and lone CR as line ends, without leaving CR in fields", () => {
    const table = parseCsv("a,b\r\n1,2\n3,4\r5,6\r\n");
    expect(table.header).toEqual(["a", "b"]);
    expect(table.records).toEqual([
      { line: 2, fields: ["1", "2"] },
      { line: 3, fields: ["3", "4"] },
      { line: 4, fields: ["5", "6"] },
    ]);
  });

  it("keeps commas inside quoted fields and unescapes doubled quotes", () => {
    const table = parseCsv('text,label\n"hello, world",a\n"she said ""hi""",b\n"""",c\n"",d');
    expect(table.errors).toEqual([]);
    expect(table.records.map((r) => r.fields)).toEqual([
      ["hello, world", "a"],
      ['she said "hi"', "b"],
      ['"', "c"],
      ["", "d"],
    ]);
  });

  it("keeps newlines inside quotes and numbers later records by physical line", () => {
    const text = 'text,label\n"line one\nline two\r\nline three",a\nplain,b\n"x\ry",c\nlast,d';
    const table = parseCsv(text);
    expect(table.errors).toEqual([]);
    expect(table.records).toEqual([
      { line: 2, fields: ["line one\nline two\r\nline three", "a"] },
      { line: 5, fields: ["plain", "b"] },
      { line: 6, fields: ["x\ry", "c"] },
      { line: 8, fields: ["last", "d"] },
    ]);
  });

  it("skips blank lines but still counts them", () => {
    const table = parseCsv("a,b\n\n1,2\r\n\r\n3,4\n\n");
    expect(table.records).toEqual([
      { line: 3, fields: ["1", "2"] },
      { line: 5, fields: ["3", "4"] },
    ]);
    expect(table.errors).toEqual([]);
  });

  it("keeps empty fields, including a trailing one", () => {
    const table = parseCsv("a,b,c\n,,\nx,,\n");
    expect(table.records.map((r) => r.fields)).toEqual([
      ["", "", ""],
      ["x", "", ""],
    ]);
  });

  it("reports an unterminated quote at the line where it opened and reads no further records", () => {
    const table = parseCsv('text,label\nok,a\nfine,"b\nmore,c\nend,d\n');
    expect(table.records).toEqual([{ line: 2, fields: ["ok", "a"] }]);
    expect(table.errors).toHaveLength(1);
    expect(table.errors[0].line).toBe(3);
    expect(table.errors[0].reason).toMatch(/unterminated.*line 3/);
  });

  it("names the quote's own line when it opens partway through a multi-line record", () => {
    const table = parseCsv('text,label\n"two\nlines","open\nrest\n');
    expect(table.errors).toEqual([{ line: 3, reason: expect.stringMatching(/quote opened on line 3/) }]);
  });

  it("reports a stray quote in an unquoted field and resumes on the next line", () => {
    const table = parseCsv('text,label\nsay "hi",a\nnext,b\n');
    expect(table.errors).toEqual([{ line: 2, reason: expect.stringMatching(/stray quote in unquoted field 1/) }]);
    expect(table.records).toEqual([{ line: 3, fields: ["next", "b"] }]);
  });

  it("reports text after a closing quote", () => {
    const table = parseCsv('text,label\n"hi"there,a\nnext,b');
    expect(table.errors).toEqual([{ line: 2, reason: expect.stringMatching(/after the closing quote of field 1/) }]);
    expect(table.records.map((r) => r.line)).toEqual([3]);
  });

  it("reports records with the wrong number of fields, giving expected and found counts", () => {
    const table = parseCsv('a,b,c\n1,2\n1,2,3\n1,2,3,4\n"multi\nline",2\n');
    expect(table.errors).toEqual([
      { line: 2, reason: "expected 3 fields, found 2" },
      { line: 4, reason: "expected 3 fields, found 4" },
      { line: 5, reason: "expected 3 fields, found 2" },
    ]);
    expect(table.records).toEqual([{ line: 3, fields: ["1", "2", "3"] }]);
  });

  it("gives an empty table for an empty file or one holding only a BOM and newlines", () => {
    const empty = { header: [], records: [], errors: [] };
    expect(parseCsv("")).toEqual(empty);
    expect(parseCsv("\uFEFF\r\n\n")).toEqual(empty);
  });

  it("reads a header-only file, with or without a final newline", () => {
    expect(parseCsv("text,label")).toEqual({ header: ["text", "label"], records: [], errors: [] });
    expect(parseCsv("text,label\r\n")).toEqual({ header: ["text", "label"], records: [], errors: [] });
  });

  it("leaves the header empty and reports it when the header itself is malformed", () => {
    const table = parseCsv('te"xt,label\nhi,a\n');
    expect(table.header).toEqual([]);
    expect(table.errors[0]).toEqual({ line: 1, reason: expect.stringMatching(/^header: stray quote/) });
  });

  it("accounts for every record: records plus errors equals data lines", () => {
    const lines = ["t,l", "a,1", "b", '"c,2', "d,4"];
    const table = parseCsv(lines.join("\n"));
    // The unterminated quote swallows the rest, so line 4 onwards is one bad record.
    expect(table.records.length + table.errors.length).toBe(3);
  });
});

describe("parseCsv round trip", () => {
  // Quoting as a careful writer would: only when needed, plus the two cases a reader cannot
  // otherwise tell apart (a row that is one empty field looks like a blank line, and a leading
  // BOM would be taken for a byte order mark).
  function quote(field: string, onlyField: boolean, always: boolean): string {
    const needs = always || /[",\r\n]/.test(field) || field.startsWith("\uFEFF") || (onlyField && field === "");
    return needs ? `"${field.replaceAll('"', '""')}"` : field;
  }

  const field = fc.string({ unit: fc.constantFrom("a", "b", " ", ",", '"', "\n", "\r", "é", "😀", "\uFEFF"), maxLength: 8 });
  const table = fc
    .integer({ min: 1, max: 4 })
    .chain((width) => fc.array(fc.array(field, { minLength: width, maxLength: width }), { minLength: 1, maxLength: 8 }));

  it("parses serialised rows back to the same rows, with correct line numbers", () => {
    fc.assert(
      fc.property(table, fc.boolean(), fc.constantFrom("\n", "\r\n", "\r"), fc.boolean(), (rows, always, eol, trailing) => {
        const lines = rows.map((row) => row.map((f) => quote(f, row.length === 1, always)).join(","));
        const text = lines.join(eol) + (trailing ? eol : "");
        const parsed = parseCsv(text);

        expect(parsed.errors).toEqual([]);
        expect([parsed.header, ...parsed.records.map((r) => r.fields)]).toEqual(rows);

        // A record starts one line after everything written before it, newlines in quotes included.
        let line = 1;
        const starts = lines.map((written) => {
          const start = line;
          line += (written.match(/\r\n|\r|\n/g)?.length ?? 0) + 1;
          return start;
        });
        expect(parsed.records.map((r) => r.line)).toEqual(starts.slice(1));
      }),
      { numRuns: 500 },
    );
  });
});

describe("formatCsv", () => {
  it("writes what parseCsv reads back, quoting only where needed", () => {
    const rows = [
      ["plain", "a"],
      ['with "quotes", commas', "b"],
      ["two\nlines", "c"],
      ["", "d"],
    ];
    const text = formatCsv(["text", "label"], rows);
    expect(text.split("\n")[1]).toBe("plain,a");
    const table = parseCsv(text);
    expect(table.errors).toEqual([]);
    expect(table.header).toEqual(["text", "label"]);
    expect(table.records.map((r) => r.fields)).toEqual(rows);
  });
});
