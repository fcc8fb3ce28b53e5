// Turns a model's content into a label, or says why it could not. Tolerant of the usual
// wrapping (code fences, prose around the JSON, quotes, a final period) because servers
// without structured output produce it; strict about the label itself: a near-miss is
// reported as invalid, never mapped to the closest label, since a wrong guess would be
// stored as training data with the teacher's authority.
import { jsonObjectsIn, unwrapFence } from "./json-in-text.js";

export type ParseResult = { label: string } | { invalid: string };

interface LabelIndex {
  exact: Set<string>;
  /** Lower-cased name → the names that lower-case to it (more than one means ambiguous). */
  folded: Map<string, string[]>;
}

// Label lists are long-lived (one per task), so the index is built once per list.
const indexCache = new WeakMap<string[], LabelIndex>();

function indexFor(labels: string[]): LabelIndex {
  let index = indexCache.get(labels);
  if (!index) {
    const folded = new Map<string, string[]>();
    for (const l of labels) {
      const key = l.toLowerCase();
      const list = folded.get(key);
      if (list) list.push(l);
      else folded.set(key, [l]);
    }
    index = { exact: new Set(labels), folded };
    indexCache.set(labels, index);
  }
  return index;
}

export function parseLabel(content: string, labels: string[]): ParseResult {
  const text = unwrapFence(content.trim());
  if (text === "") return { invalid: "empty answer" };

  const json = labelsInJson(text);
  if (json.values.length > 0) return resolveJsonLabels(json.values, labels);

  const bare = matchLabel(bareCandidates(text), labels, "answer");
  if ("label" in bare || !json.sawObject) return bare;
  return { invalid: 'JSON answer has no "label" field' };
}

function resolveJsonLabels(values: unknown[], labels: string[]): ParseResult {
  const found = new Set<string>();
  for (const value of values) {
    if (typeof value !== "string") return { invalid: `"label" is ${describe(value)}, not a string` };
    const result = matchLabel([value.trim()], labels, "label");
    if ("invalid" in result) return result;
    found.add(result.label);
  }
  // Several objects that agree are fine (a model repeating itself); disagreeing ones are not.
  if (found.size > 1) return { invalid: `answer names several labels: ${[...found].map((l) => quote(l)).join(", ")}` };
  return { label: [...found][0] };
}

/** Exact match on any candidate first, then a case-insensitive match that is unique. */
function matchLabel(candidates: string[], labels: string[], noun: "answer" | "label"): ParseResult {
  const index = indexFor(labels);
  for (const c of candidates) if (index.exact.has(c)) return { label: c };
  for (const c of candidates) {
    const matches = index.folded.get(c.toLowerCase());
    if (matches?.length === 1) return { label: matches[0] };
    if (matches && matches.length > 1) return { invalid: `${noun} ${quote(c)} matches several labels when case is ignored` };
  }
  return { invalid: `${noun} ${quote(candidates[0] ?? "")} is not one of the ${labels.length} answers offered` };
}

const QUOTE_PAIRS: Record<string, string> = { '"': '"', "'": "'", "`": "`", "\u201c": "\u201d", "\u2018": "\u2019" };

/** The text with wrapping peeled off layer by layer; each layer is tried, least-stripped first. */
function bareCandidates(text: string): string[] {
  const out = [text];
  let current = text;
  for (let i = 0; i < 8; i++) {
    let next = current.trim();
    if (next.endsWith(".")) next = next.slice(0, -1).trim();
    const close = QUOTE_PAIRS[next[0]];
    if (close !== undefined && next.length >= 2 && next.endsWith(close)) next = next.slice(1, -1).trim();
    if (next === current) break;
    out.push(next);
    current = next;
  }
  return out.filter((c) => c !== "");
}

/** Values of `label` in every JSON object found in the text (whole, or embedded in prose). */
function labelsInJson(text: string): { values: unknown[]; sawObject: boolean } {
  const objects = jsonObjectsIn(text);
  return { values: objects.filter((o) => Object.prototype.hasOwnProperty.call(o, "label")).map((o) => o.label), sawObject: objects.length > 0 };
}

function quote(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}
