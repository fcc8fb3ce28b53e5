// Multi-label datasets: JSONL lines {"text": "…", "labels": ["a", "b"]}, or CSV with a text
// column and a labels column whose labels are separated by a delimiter ("a|b" by default). An
// empty list is a valid answer: the text has none of the labels. Pure (no Node APIs).
import { parseCsv } from "./csv.js";
import { badRowsMessage, DEFAULT_MAX_TEXT_LENGTH } from "./dataset.js";
import { DatasetError, type BadRow } from "./errors.js";
import { describeJsonType, parseJsonl } from "./jsonl.js";

export interface MultiLabelRecord {
  text: string;
  /** Unique, in the order first written. */
  labels: string[];
  line: number;
}

export interface MultiLabelDataset {
  examples: MultiLabelRecord[];
  badRows: BadRow[];
  /** Texts per label, most frequent first. */
  labels: { label: string; count: number }[];
  source?: string;
}

export interface MultiLabelDatasetOptions {
  format: "jsonl" | "csv";
  textColumn?: string;
  /** Defaults to "labels". */
  labelsColumn?: string;
  /** CSV only: what separates labels inside the labels column; defaults to "|". */
  labelDelimiter?: string;
  onBadRow?: "skip" | "fail";
  maxTextLength?: number;
  source?: string;
}

function checkLabels(value: unknown): string[] | string {
  if (!Array.isArray(value)) return `labels is ${describeJsonType(value)}, expected an array of strings`;
  const out: string[] = [];
  for (let i = 0; i < value.length; i++) {
    const v = value[i] as unknown;
    if (typeof v !== "string" || v.trim() === "") return `label ${i} must be a non-empty string, got ${typeof v === "string" ? "an empty string" : describeJsonType(v)}`;
    const name = v.trim();
    if (!out.includes(name)) out.push(name);
  }
  return out;
}

function checkText(text: unknown, column: string, maxTextLength: number): string | null {
  if (text === undefined) return `missing text field "${column}"`;
  if (typeof text !== "string") return `text is ${describeJsonType(text)}, expected a string`;
  if (text.trim() === "") return "empty text";
  if (text.length > maxTextLength) return `text is ${text.length} characters, over the limit of ${maxTextLength} (maxTextLength)`;
  return null;
}

export function readMultiLabelDataset(content: string, options: MultiLabelDatasetOptions): MultiLabelDataset {
  const maxTextLength = options.maxTextLength ?? DEFAULT_MAX_TEXT_LENGTH;
  const textColumn = options.textColumn ?? "text";
  const labelsColumn = options.labelsColumn ?? "labels";
  const where = options.source ?? "the dataset";
  const rows: { line: number; text: unknown; labels: unknown }[] = [];
  const badRows: BadRow[] = [];
  if (options.format === "jsonl") {
    const { records, errors } = parseJsonl(content);
    badRows.push(...errors);
    for (const { line, value } of records) {
      rows.push({ line, text: Object.hasOwn(value, textColumn) ? value[textColumn] : undefined, labels: Object.hasOwn(value, labelsColumn) ? value[labelsColumn] : undefined });
    }
  } else if (options.format === "csv") {
    const delimiter = options.labelDelimiter ?? "|";
    if (delimiter === "" || delimiter === ",") throw new DatasetError(`label delimiter ${JSON.stringify(delimiter)} cannot be used: pick one that is not the CSV separator, such as "|" or ";"`);
    const table = parseCsv(content);
    if (table.header.length === 0) throw new DatasetError(`${where} is empty: expected a header row such as "text,${labelsColumn}"`, table.errors);
    const names = table.header.map((n) => n.trim());
    const ti = names.indexOf(textColumn);
    const li = names.indexOf(labelsColumn);
    if (ti < 0 || li < 0) throw new DatasetError(`${where} needs the columns "${textColumn}" and "${labelsColumn}"; its columns are ${names.map((n) => JSON.stringify(n)).join(", ")}`);
    badRows.push(...table.errors);
    for (const r of table.records) {
      const raw = r.fields[li] ?? "";
      rows.push({ line: r.line, text: r.fields[ti], labels: raw.trim() === "" ? [] : raw.split(delimiter).map((s) => s.trim()) });
    }
  } else {
    throw new DatasetError(`${where}: unknown multi-label format ${JSON.stringify(options.format)}; use "jsonl" or "csv"`);
  }
  const examples: MultiLabelRecord[] = [];
  for (const row of rows) {
    const bad = checkText(row.text, textColumn, maxTextLength);
    if (bad) {
      badRows.push({ line: row.line, reason: bad });
      continue;
    }
    if (row.labels === undefined) {
      badRows.push({ line: row.line, reason: `missing field "${labelsColumn}" (use [] for a text with no labels)` });
      continue;
    }
    const labels = checkLabels(row.labels);
    if (typeof labels === "string") badRows.push({ line: row.line, reason: labels });
    else examples.push({ text: row.text as string, labels, line: row.line });
  }
  badRows.sort((a, b) => a.line - b.line);
  if (badRows.length > 0 && (options.onBadRow ?? "fail") === "fail") throw new DatasetError(badRowsMessage(badRows, options.source), badRows);
  if (examples.length === 0) throw new DatasetError(`${where} has no usable texts`, badRows);
  const counts = new Map<string, number>();
  for (const e of examples) for (const l of e.labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  const labels = [...counts].map(([label, count]) => ({ label, count })).sort((a, b) => b.count - a.count || (a.label < b.label ? -1 : 1));
  return { examples, badRows, labels, source: options.source };
}
