// Writing CSV (RFC 4180) that is safe to open in a spreadsheet. A cell that starts with = + - @,
// a tab or a carriage return is read as a formula by Excel, LibreOffice and Google Sheets (CSV
// injection: `=HYPERLINK(…)` in an example's text would run when an operator opens the export), so
// such a cell is written with a single quote in front, which spreadsheets show as text. The quote
// is then part of the value for any other reader: strip a leading `'` before those characters
// to get the original back.

/** What makes a spreadsheet read a cell as a formula. */
const FORMULA_START = /^[=+\-@\t\r]/;

/** One cell: formula-looking text prefixed with `'`, then quoted if it holds a quote, comma or line break. */
export function csvCell(value: string | number | boolean | null): string {
  if (value === null) return "";
  const text = String(value);
  const safe = FORMULA_START.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** One record, CRLF-terminated. */
export function csvRow(values: readonly (string | number | boolean | null)[]): string {
  return `${values.map(csvCell).join(",")}\r\n`;
}
