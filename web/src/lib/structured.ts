// A structured task as the dashboard sees it: the fields of its output block (kinds only: the
// gateway has validated the block already), its answers read back from their canonical JSON, values
// as short text, extracted spans cut into highlightable segments, and the correction form's state.
// The fields are compiled by the gateway's own code (src/task/output-fields.ts: no zod, no Node).
import type { OutputSpec, StructuredObject } from "../api/types.js";
import { NONE_LABEL } from "../../../src/task/none.js";
import { answerGroup, choiceAnswers, compileOutput, groupValues, isNoneValue, noneFields, offeringNone, type TaskOutputField } from "../../../src/task/output-fields.js";

export { NONE_LABEL, choiceAnswers, isNoneValue, noneFields };

/** A field of a structured task's answer: the gateway's own compiled form (src/task/output-fields.ts). */
export type AnswerField = TaskOutputField;
export type FieldKind = AnswerField["kind"];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The fields of a structured task's output block, in its order; null for a label task (no block).
 * `capture`: the task's capture block. A declared task's choice fields offer "none of these"
 * (NONE_LABEL), as the gateway's do (src/task/structured.ts outputFields); a captured task's
 * follow the app's schema and do not.
 */
export function answerFields(output: OutputSpec | undefined, capture?: unknown): AnswerField[] | null {
  // The gateway validated the block when the task was stored.
  if (output === undefined) return null;
  const fields = compileOutput(output);
  return capture === undefined ? offeringNone(fields) : fields;
}

/** The first choice field that offers "none of these": what the review queue's `n` answers none (null: none offers it). */
export function noneField(fields: readonly AnswerField[]): AnswerField | null {
  return fields.find((f) => f.offersNone === true) ?? null;
}

/** A field's value as short text (valueText), "none of these" for a none answer of a field that offers it. */
export function fieldValueText(f: Pick<AnswerField, "offersNone">, value: unknown): string {
  return isNoneValue(f, value) ? "none of these" : valueText(value);
}

/** The object an answer's label stands for (its canonical JSON), or null for no answer or a label that is not an object. */
export function parseAnswer(label: string | null | undefined): StructuredObject | null {
  if (label === null || label === undefined) return null;
  try {
    const v: unknown = JSON.parse(label);
    return isObject(v) ? v : null;
  } catch {
    return null;
  }
}

/** A value as short text: "—" for none (null, an empty list), yes/no, lists joined by commas. */
export function valueText(value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (Array.isArray(value)) return value.length === 0 ? "—" : value.map((v) => (typeof v === "string" ? v : JSON.stringify(v))).join(", ");
  return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * An answer group (the surge guard's and the answer holds'), as text. A label task's group is its label; a
 * structured task's (answerGroup) is shown by its choice fields, "intent: send_money". Anything
 * else is shown as it is.
 */
export function groupText(fields: readonly AnswerField[] | null, group: string): string {
  const values = fields === null ? null : groupValues(fields, group);
  return values === null ? group : values.map(({ field, value }) => `${field.name}: ${fieldValueText(field, value)}`).join(" · ");
}

/** The answer group of a structured answer as text (groupText of its answerGroup): "intent: send_money". */
export function answerGroupText(fields: readonly AnswerField[], object: StructuredObject): string {
  return groupText(fields, answerGroup(fields, object));
}

/** "intent: send_money · amount: 40 · …": the whole answer on one line (a table cell's title, a search). */
export function answerSummary(fields: readonly Pick<AnswerField, "name" | "offersNone">[], object: StructuredObject): string {
  return fields.map((f) => `${f.name}: ${fieldValueText(f, object[f.name])}`).join(" · ");
}

// --- highlighting extracted values ---

export interface FieldSpan {
  field: string;
  start: number;
  end: number;
}

export type Segment = { text: string; field?: undefined } | { text: string; field: string };

/**
 * The text cut at the spans: plain stretches and highlighted ones, each labelled with its field.
 * Spans outside the text or overlapping an earlier one (by start, longer first) are left out.
 */
export function highlightSegments(text: string, spans: readonly FieldSpan[]): Segment[] {
  const valid = spans
    .filter((s) => Number.isInteger(s.start) && Number.isInteger(s.end) && s.start >= 0 && s.end <= text.length && s.start < s.end)
    .sort((a, b) => a.start - b.start || b.end - a.end);
  const out: Segment[] = [];
  let at = 0;
  for (const s of valid) {
    if (s.start < at) continue;
    if (s.start > at) out.push({ text: text.slice(at, s.start) });
    out.push({ text: text.slice(s.start, s.end), field: s.field });
    at = s.end;
  }
  if (at < text.length) out.push({ text: text.slice(at) });
  return out;
}

/** The spans of a prediction's `fields`, each with its field's name. */
export function spansOf(fields: Record<string, { confidence?: number; spans?: { start: number; end: number }[] }> | undefined): FieldSpan[] {
  if (fields === undefined) return [];
  return Object.entries(fields).flatMap(([field, f]) => (f.spans ?? []).map((s) => ({ field, start: s.start, end: s.end })));
}

// --- the correction form ---

/** What each input holds: select and text values as strings, checkboxes as booleans, multi-selects as string lists. */
export type FormValue = string | boolean | string[];
export type OutputForm = Record<string, FormValue>;

/** Whether a boolean is edited as a checkbox (true/false) or, when it may be null, as a select (yes/no/none). */
export const isCheckbox = (f: AnswerField) => (f.kind === "boolean" || (f.kind === "teacher_only" && f.valueType?.type === "boolean" && !f.valueType.list)) && !f.nullable;

/** The form prefilled with an answer (null: an empty form). List values of free kinds are one per line. */
export function outputFormFrom(fields: readonly AnswerField[], object: StructuredObject | null): OutputForm {
  const form: OutputForm = {};
  for (const f of fields) {
    const v = object?.[f.name];
    if (f.kind === "tags") form[f.name] = Array.isArray(v) ? v.map(String) : [];
    else if (isCheckbox(f)) form[f.name] = v === true;
    else if (f.kind === "boolean" || (f.valueType?.type === "boolean" && !f.valueType.list)) form[f.name] = v === true ? "true" : v === false ? "false" : "";
    else if (Array.isArray(v)) form[f.name] = v.map((x) => (typeof x === "string" ? x : JSON.stringify(x))).join("\n");
    else form[f.name] = v === null || v === undefined ? "" : typeof v === "string" ? v : JSON.stringify(v);
  }
  return form;
}

function scalar(f: AnswerField, s: string): unknown {
  const type = f.kind === "boolean" ? "boolean" : (f.valueType?.type ?? "string");
  if (type === "number" || type === "integer") return Number(s);
  if (type === "boolean") return s === "true";
  return s;
}

/** The object a form stands for, as the gateway takes it: empty text is null, a list one value per line. */
export function outputFromForm(fields: readonly AnswerField[], form: OutputForm): StructuredObject {
  const out: StructuredObject = {};
  for (const f of fields) {
    const v = form[f.name];
    if (typeof v === "boolean" || Array.isArray(v)) out[f.name] = v;
    else if (f.kind === "extract_list" || f.valueType?.list) out[f.name] = v.split("\n").map((x) => x.trim()).filter((x) => x !== "").map((x) => scalar(f, x));
    else if (v.trim() === "") out[f.name] = null;
    else out[f.name] = f.kind === "extract" || f.kind === "choice" ? v : scalar(f, v.trim());
  }
  return out;
}
