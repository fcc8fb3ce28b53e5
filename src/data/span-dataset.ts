// Span datasets: JSONL lines {"text": "…", "spans": [{"start", "end", "label"}]} (UTF-16 offsets,
// end exclusive), or CoNLL/BIO files (`token<TAB>tag` lines, a blank line between texts). Every
// row is checked; a bad one is reported with its line number, as for the classifier's datasets.
// Pure (no Node APIs).
import { badRowsMessage, DEFAULT_MAX_TEXT_LENGTH } from "./dataset.js";
import { DatasetError, type BadRow } from "./errors.js";
import { describeJsonType, parseJsonl } from "./jsonl.js";

export type SpanFormat = "jsonl" | "conll";

export interface LabeledSpan {
  start: number;
  end: number;
  label: string;
}

export interface SpanRecord {
  text: string;
  spans: LabeledSpan[];
  line: number;
}

export interface SpanDataset {
  examples: SpanRecord[];
  badRows: BadRow[];
  /** Span count per label, most frequent first. */
  labels: { label: string; count: number }[];
  source?: string;
}

export interface SpanDatasetOptions {
  format: SpanFormat;
  /** JSONL field holding the text; defaults to "text". */
  textField?: string;
  onBadRow?: "skip" | "fail";
  maxTextLength?: number;
  source?: string;
}

const isHighSurrogate = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLowSurrogate = (c: number) => c >= 0xdc00 && c <= 0xdfff;

/**
 * Checks one span list against its text. Nested or overlapping spans are refused: a BIO tagger
 * gives each token one tag, so it could learn only one of them, and which one would be arbitrary.
 */
export function checkSpans(text: string, value: unknown): LabeledSpan[] | string {
  if (!Array.isArray(value)) return `spans is ${describeJsonType(value)}, expected an array`;
  const spans: LabeledSpan[] = [];
  for (let i = 0; i < value.length; i++) {
    const s = value[i] as Record<string, unknown> | null;
    if (typeof s !== "object" || s === null || Array.isArray(s)) return `span ${i} is ${describeJsonType(s)}, expected an object`;
    const { start, end, label } = s;
    if (!Number.isInteger(start) || !Number.isInteger(end)) return `span ${i}: start and end must be integers`;
    const a = start as number;
    const b = end as number;
    if (a < 0 || b > text.length) return `span ${i} [${a}, ${b}) is outside the text (length ${text.length})`;
    if (a >= b) return `span ${i} [${a}, ${b}) is empty`;
    if (isLowSurrogate(text.charCodeAt(a)) || (b < text.length && isLowSurrogate(text.charCodeAt(b)) && isHighSurrogate(text.charCodeAt(b - 1)))) {
      return `span ${i} [${a}, ${b}) cuts a character in half (offsets are UTF-16 code units)`;
    }
    if (typeof label !== "string" || label.trim() === "") return `span ${i}: label must be a non-empty string`;
    if (text.slice(a, b).trim() === "") return `span ${i} [${a}, ${b}) covers only whitespace`;
    spans.push({ start: a, end: b, label: label.trim() });
  }
  spans.sort((x, y) => x.start - y.start || x.end - y.end);
  for (let i = 1; i < spans.length; i++) {
    const p = spans[i - 1];
    const s = spans[i];
    if (s.start < p.end) return `spans [${p.start}, ${p.end}) "${p.label}" and [${s.start}, ${s.end}) "${s.label}" overlap (nested or overlapping spans are not supported)`;
  }
  return spans;
}

/** Why a JSONL record's text cannot be used, or null (shared with object-dataset.ts). */
export function checkText(text: unknown, field: string, maxTextLength: number): string | null {
  if (text === undefined) return `missing text field "${field}"`;
  if (typeof text !== "string") return `text is ${describeJsonType(text)}, expected a string`;
  if (text.trim() === "") return "empty text";
  if (text.length > maxTextLength) return `text is ${text.length} characters, over the limit of ${maxTextLength} (maxTextLength)`;
  return null;
}

function fromJsonl(content: string, options: SpanDatasetOptions, maxTextLength: number) {
  const field = options.textField ?? "text";
  const { records, errors } = parseJsonl(content);
  const examples: SpanRecord[] = [];
  const badRows: BadRow[] = errors.slice();
  for (const { line, value } of records) {
    const text = Object.hasOwn(value, field) ? value[field] : undefined;
    const bad = checkText(text, field, maxTextLength);
    if (bad) {
      badRows.push({ line, reason: bad });
      continue;
    }
    if (!Object.hasOwn(value, "spans")) {
      badRows.push({ line, reason: 'missing field "spans" (use [] for a text without spans)' });
      continue;
    }
    const spans = checkSpans(text as string, value.spans);
    if (typeof spans === "string") badRows.push({ line, reason: spans });
    else examples.push({ text: text as string, spans, line });
  }
  return { examples, badRows };
}

/**
 * CoNLL/BIO: one `token<TAB>tag` per line (further tab-separated columns are ignored; without a
 * tab, the last space separates the tag), a blank line between texts, `-DOCSTART-` lines skipped.
 * The text is the tokens joined by single spaces. Tags are O, B-label and I-label; an I-label that
 * does not continue a span of its label starts one (the IOB1 convention, common in older files).
 */
function fromConll(content: string, maxTextLength: number) {
  const examples: SpanRecord[] = [];
  const badRows: BadRow[] = [];
  const lines = content.replace(/^\uFEFF/, "").split("\n");
  let text = "";
  let spans: LabeledSpan[] = [];
  let open: LabeledSpan | null = null;
  let firstLine = 0;
  let bad: BadRow | null = null;
  const flush = () => {
    if (firstLine === 0) return;
    if (!bad && text.length > maxTextLength) bad = { line: firstLine, reason: `text is ${text.length} characters, over the limit of ${maxTextLength} (maxTextLength)` };
    if (bad) badRows.push(bad);
    else examples.push({ text, spans, line: firstLine });
    text = "";
    spans = [];
    open = null;
    firstLine = 0;
    bad = null;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, "");
    const number = i + 1;
    if (line.trim() === "") {
      flush();
      continue;
    }
    if (line.startsWith("-DOCSTART-")) continue;
    if (firstLine === 0) firstLine = number;
    if (bad) continue;
    const cut = line.includes("\t") ? line.indexOf("\t") : line.lastIndexOf(" ");
    if (cut <= 0) {
      bad = { line: number, reason: "expected token<TAB>tag" };
      continue;
    }
    const token = line.slice(0, cut).trim();
    const tag = line.slice(cut + 1).split("\t")[0].trim();
    if (token === "" || /\s/.test(token)) {
      bad = { line: number, reason: `token ${JSON.stringify(token)} is empty or contains whitespace` };
      continue;
    }
    const m = /^([BI])-(.+)$/.exec(tag);
    if (tag !== "O" && !m) {
      bad = { line: number, reason: `tag ${JSON.stringify(tag)} is not O, B-label or I-label` };
      continue;
    }
    const start = text.length === 0 ? 0 : text.length + 1;
    text = text.length === 0 ? token : `${text} ${token}`;
    const end = text.length;
    if (!m) open = null;
    else if (m[1] === "I" && open !== null && (open as LabeledSpan).label === m[2]) (open as LabeledSpan).end = end;
    else {
      open = { start, end, label: m[2] };
      spans.push(open);
    }
  }
  flush();
  return { examples, badRows };
}

export function readSpanDataset(content: string, options: SpanDatasetOptions): SpanDataset {
  const maxTextLength = options.maxTextLength ?? DEFAULT_MAX_TEXT_LENGTH;
  let parsed: { examples: SpanRecord[]; badRows: BadRow[] };
  if (options.format === "jsonl") parsed = fromJsonl(content, options, maxTextLength);
  else if (options.format === "conll") parsed = fromConll(content, maxTextLength);
  else throw new DatasetError(`${options.source ?? "the dataset"}: unknown span format ${JSON.stringify(options.format)}; use "jsonl" or "conll"`);
  const badRows = parsed.badRows.sort((a, b) => a.line - b.line);
  if (badRows.length > 0 && (options.onBadRow ?? "fail") === "fail") throw new DatasetError(badRowsMessage(badRows, options.source), badRows);
  if (parsed.examples.length === 0) throw new DatasetError(`${options.source ?? "the dataset"} has no usable texts`, badRows);
  const counts = new Map<string, number>();
  for (const e of parsed.examples) for (const s of e.spans) counts.set(s.label, (counts.get(s.label) ?? 0) + 1);
  const labels = [...counts].map(([label, count]) => ({ label, count })).sort((a, b) => b.count - a.count || (a.label < b.label ? -1 : 1));
  return { examples: parsed.examples, badRows, labels, source: options.source };
}
