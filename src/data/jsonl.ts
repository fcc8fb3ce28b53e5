// JSON Lines: one JSON object per line. Pure, like the CSV parser, so the browser can use it.

export type JsonlRecord = { line: number; value: Record<string, unknown> };
export type JsonlError = { line: number; reason: string };
export type JsonlResult = { records: JsonlRecord[]; errors: JsonlError[] };

/**
 * Parses JSON Lines text. Lines end at LF (a CR before it is JSON whitespace, so CRLF files
 * work); a leading BOM is dropped; blank lines are skipped. Every other line becomes either a
 * record or an error with its 1-based line number, so nothing is lost without a report.
 */
export function parseJsonl(text: string): JsonlResult {
  const records: JsonlRecord[] = [];
  const errors: JsonlError[] = [];
  let start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 0;

  while (start <= text.length) {
    line++;
    let end = text.indexOf("\n", start);
    if (end === -1) end = text.length;
    const raw = text.slice(start, end);
    start = end + 1;
    if (raw.trim() === "") continue;

    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      errors.push({ line, reason: `invalid JSON: ${err instanceof Error ? err.message : String(err)}` });
      continue;
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      errors.push({ line, reason: `expected a JSON object, found ${describeJsonType(value)}` });
      continue;
    }
    records.push({ line, value: value as Record<string, unknown> });
  }

  return { records, errors };
}

/** Names a JSON value's type as a user would ("array", "null"), which `typeof` does not. */
export function describeJsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "undefined") return "nothing";
  return `a ${typeof value}`;
}

/**
 * Parses a JSON array of objects into the same shape as parseJsonl, so a dataset can be checked
 * row by row: `line` is the item's 1-based position in the array, because a JSON document gives
 * its items no useful line of their own. Returns the reason instead when the text is not a JSON
 * array at all, since then there are no rows to report.
 */
export function parseJsonArray(text: string): JsonlResult | string {
  let value: unknown;
  try {
    value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    return `invalid JSON: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (!Array.isArray(value)) return `expected a JSON array of objects, found ${describeJsonType(value)}`;
  const records: JsonlRecord[] = [];
  const errors: JsonlError[] = [];
  value.forEach((item: unknown, index) => {
    const line = index + 1;
    if (item === null || typeof item !== "object" || Array.isArray(item)) {
      errors.push({ line, reason: `expected a JSON object, found ${describeJsonType(item)}` });
    } else {
      records.push({ line, value: item as Record<string, unknown> });
    }
  });
  return { records, errors };
}
