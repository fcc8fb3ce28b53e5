// A client-side look at an examples file before it is uploaded: its format, its first rows and
// columns, and a guess of which columns hold the text and the label; and what to tell the user
// when the gateway refuses it for bad rows.
import { num } from "./format.js";

export type ImportFormat = "csv" | "jsonl" | "json";

export const CONTENT_TYPES: Record<ImportFormat, string> = {
  csv: "text/csv",
  jsonl: "application/x-ndjson",
  json: "application/json",
};

/** How much of a file the preview reads (the whole file is uploaded as is). */
export const PREVIEW_BYTES = 256 * 1024;

export function formatOf(fileName: string, head: string): ImportFormat {
  const lower = fileName.toLowerCase();
  if (lower.endsWith(".csv") || lower.endsWith(".tsv")) return "csv";
  if (lower.endsWith(".jsonl") || lower.endsWith(".ndjson")) return "jsonl";
  if (lower.endsWith(".json")) return "json";
  const start = head.trimStart();
  if (start.startsWith("[")) return "json";
  if (start.startsWith("{")) return "jsonl";
  return "csv";
}

/**
 * The first `maxRows` records of CSV text (RFC 4180: quoted fields may hold commas, quotes as "",
 * and line breaks). A last record cut off by the preview's byte limit is dropped.
 */
export function parseCsv(text: string, maxRows: number, truncated = false): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let complete = true;
  for (; i < text.length && rows.length < maxRows; i++) {
    const ch = text[i];
    complete = false;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += ch;
      continue;
    }
    if (ch === '"' && field === "") quoted = true;
    else if (ch === ",") {
      row.push(field);
      field = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      field = "";
      if (!(row.length === 1 && row[0] === "")) rows.push(row);
      row = [];
      complete = true;
    } else field += ch;
  }
  if (rows.length < maxRows && !complete && !(truncated && i >= text.length)) {
    row.push(field);
    if (!(row.length === 1 && row[0] === "")) rows.push(row);
  }
  return rows;
}

export interface Preview {
  format: ImportFormat;
  columns: string[];
  rows: Record<string, string>[];
  /** Lines the preview could not read (JSONL), with the reason. */
  problems: { line: number; reason: string }[];
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return "";
  return typeof v === "string" ? v : JSON.stringify(v);
}

export function preview(fileName: string, head: string, truncated: boolean, maxRows = 8): Preview {
  const format = formatOf(fileName, head);
  const problems: Preview["problems"] = [];
  if (format === "csv") {
    const [header = [], ...body] = parseCsv(head, maxRows + 1, truncated);
    const columns = header.map((h) => h.trim());
    const rows = body.map((r) => Object.fromEntries(columns.map((c, k) => [c, r[k] ?? ""])));
    return { format, columns, rows, problems };
  }
  const objects: Record<string, unknown>[] = [];
  if (format === "jsonl") {
    const lines = head.split(/\r?\n/);
    if (truncated) lines.pop();
    for (let k = 0; k < lines.length && objects.length < maxRows; k++) {
      if (lines[k].trim() === "") continue;
      try {
        const value = JSON.parse(lines[k]) as unknown;
        if (typeof value === "object" && value !== null && !Array.isArray(value)) objects.push(value as Record<string, unknown>);
        else problems.push({ line: k + 1, reason: "not a JSON object" });
      } catch {
        problems.push({ line: k + 1, reason: "not valid JSON" });
      }
    }
  } else {
    try {
      const value = JSON.parse(head) as unknown;
      if (Array.isArray(value)) for (const v of value.slice(0, maxRows)) if (typeof v === "object" && v !== null) objects.push(v as Record<string, unknown>);
    } catch {
      problems.push({ line: 1, reason: truncated ? "the file is too large to preview as one JSON array" : "not a valid JSON array" });
    }
  }
  const columns: string[] = [];
  for (const o of objects) for (const k of Object.keys(o)) if (!columns.includes(k)) columns.push(k);
  return { format, columns, rows: objects.map((o) => Object.fromEntries(columns.map((c) => [c, cell(o[c])]))), problems };
}

const TEXT_NAMES = ["text", "input", "message", "utterance", "sentence", "content", "body", "query"];
const LABEL_NAMES = ["label", "intent", "category", "class", "target", "tag"];

/** The column most likely meant: an exact name first, then a known synonym. */
export function guessColumn(columns: readonly string[], kind: "text" | "label"): string | null {
  const names = kind === "text" ? TEXT_NAMES : LABEL_NAMES;
  for (const n of names) {
    const hit = columns.find((c) => c.toLowerCase() === n);
    if (hit !== undefined) return hit;
  }
  return columns[kind === "text" ? 0 : 1] ?? null;
}

/**
 * The import's query: column names only when they differ from the defaults (`text`, `label`),
 * `partial` only when asked, so older gateways keep working for the plain case.
 */
export function importQuery(format: ImportFormat, textColumn: string | null, labelColumn: string | null, partial: boolean): Record<string, string> {
  const q: Record<string, string> = {};
  if (format !== "json") {
    if (textColumn !== null && textColumn !== "text") q.text_column = textColumn;
    if (labelColumn !== null && labelColumn !== "label") q.label_column = labelColumn;
  }
  if (partial) q.partial = "true";
  return q;
}

/** The checkbox that imports the good rows of a file with bad ones (`?partial=true`). */
export const PARTIAL_LABEL = "Import the good rows even if some are bad";

/**
 * Why an all-or-nothing import failed, for a dashboard user: the gateway's own message names
 * the first bad rows and the API's `?partial=true`; here the rows are listed below the message
 * and the switch is the checkbox.
 */
export function badRowsAdvice(count: number, partialChecked: boolean): string {
  const rows = count === 1 ? "1 row is bad" : `${num(count)} rows are bad`;
  const fix = count === 1 ? "Fix it" : "Fix them";
  return partialChecked
    ? `${rows} (listed below). ${fix} and upload again.`
    : `${rows} (listed below). ${fix}, or tick "${PARTIAL_LABEL}" to import the other rows without ${count === 1 ? "it" : "them"}.`;
}
