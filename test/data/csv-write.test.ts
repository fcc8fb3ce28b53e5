// CSV written for spreadsheets: RFC 4180 quoting that the project's own parser reads back, and
// formula-looking cells (CSV injection) defused with a leading single quote.
import { describe, expect, it } from "vitest";
import { csvCell, csvRow } from "../../src/data/csv-write.js";
import { parseCsv } from "../../src/data/csv.js";

describe("csvCell", () => {
  it.each([
    ["=HYPERLINK(\"http://evil\",\"click\")", `"'=HYPERLINK(""http://evil"",""click"")"`],
    ["=1+1", "'=1+1"],
    ["+33 6 12 34 56 78", "'+33 6 12 34 56 78"],
    ["-2+3", "'-2+3"],
    ["@SUM(A1:A9)", "'@SUM(A1:A9)"],
    ["\tcmd", "'\tcmd"],
    ["\r=cmd", `"'\r=cmd"`],
  ])("defuses %j as text a spreadsheet will not run", (value, written) => {
    expect(csvCell(value)).toBe(written);
  });

  it("leaves other text alone, quoting only what RFC 4180 requires", () => {
    expect(csvCell("plain text")).toBe("plain text");
    expect(csvCell("a, b")).toBe('"a, b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell("line\nbreak")).toBe('"line\nbreak"');
    expect(csvCell("a=b")).toBe("a=b");
    expect(csvCell(" =lead space")).toBe(" =lead space");
    expect(csvCell(42)).toBe("42");
    expect(csvCell(true)).toBe("true");
    expect(csvCell(null)).toBe("");
  });

  it("writes rows the project's CSV parser reads back (with the defusing quote)", () => {
    const values = ["=cmd|' /C calc'!A0", 'quote " and, comma', "multi\r\nline", "-", "ünïcödé 😀"];
    const text = csvRow(["a", "b", "c", "d", "e"]) + csvRow(values);
    expect(text.endsWith("\r\n")).toBe(true);
    const table = parseCsv(text);
    expect(table.header).toEqual(["a", "b", "c", "d", "e"]);
    expect(table.records[0].fields).toEqual(["'=cmd|' /C calc'!A0", 'quote " and, comma', "multi\r\nline", "'-", "ünïcödé 😀"]);
  });
});
