// Turns a model's content into a structured answer, or says why it could not. As tolerant as the
// label parser about wrapping (fences, prose around the object), and as strict about content:
// every field is checked against its kind, and every value said to be copied from the input must
// be found there. A value that is not in the text is reported, never dropped or mended — the
// answer becomes training data, and the extractor can only learn spans that exist.
import { canonicalAnswer, locateValue, type StructuredObject } from "../engine/structured-answer.js";
import { choiceAnswers, valueTypeName, type TaskOutputField } from "../task/output-fields.js";
import { jsonObjectsIn, unwrapFence } from "./json-in-text.js";

/** `label` is the canonical JSON of `object` (canonicalAnswer); extracted values are the input's own characters. */
export type StructuredParseResult = { label: string; object: StructuredObject } | { invalid: string };

type Checked = { value: unknown } | { invalid: string };

export function parseStructuredAnswer(content: string, text: string, fields: readonly TaskOutputField[]): StructuredParseResult {
  const body = unwrapFence(content.trim());
  if (body === "") return { invalid: "empty answer" };
  const objects = jsonObjectsIn(body);
  if (objects.length === 0) return { invalid: "answer holds no JSON object" };
  // A model repeating itself is fine; two different objects are two answers.
  if (new Set(objects.map((o) => JSON.stringify(o))).size > 1) return { invalid: "answer holds several different JSON objects" };
  return checkStructuredObject(objects[0], text, fields);
}

/**
 * Checks an object against the fields for `text`, as parseStructuredAnswer checks the teacher's:
 * shared with gold objects read from files (src/data/object-dataset.ts), so a gold answer is held
 * to exactly the rules a teacher's answer is.
 */
export function checkStructuredObject(given: StructuredObject, text: string, fields: readonly TaskOutputField[]): StructuredParseResult {
  const known = new Set(fields.map((f) => f.name));
  const problems = Object.keys(given)
    .filter((k) => !known.has(k))
    .map((k) => `${quote(k)} is not a field of the task`);
  const object: StructuredObject = {};
  for (const field of fields) {
    const checked = checkField(field, given, text);
    if ("invalid" in checked) problems.push(`field ${field.name}: ${checked.invalid}`);
    else object[field.name] = checked.value;
  }
  if (problems.length > 0) return { invalid: problems.join("; ") };
  return { label: canonicalAnswer(fields, object), object };
}

function checkField(field: TaskOutputField, given: StructuredObject, text: string): Checked {
  if (!Object.prototype.hasOwnProperty.call(given, field.name)) return field.required ? { invalid: "missing" } : { value: null };
  const value = given[field.name];
  // Lists are empty rather than absent; null for one means the same as [] (canonicalAnswer).
  if (value === null) return field.nullable || field.kind === "tags" || field.kind === "extract_list" ? { value: null } : { invalid: "is null, but it may not be absent" };
  switch (field.kind) {
    case "choice":
      // "None of these" is an answer of a field that offers it (choiceAnswers).
      return typeof value === "string" && choiceAnswers(field).includes(value) ? { value } : { invalid: `${describe(value)} is not one of its values` };
    case "boolean":
      return typeof value === "boolean" ? { value } : { invalid: `${describe(value)} is not true or false` };
    case "tags":
      return eachOf(value, (v) => (typeof v === "string" && field.values?.includes(v) ? { value: v } : { invalid: `${describe(v)} is not one of its values` }));
    case "extract":
      return copiedFrom(text, value);
    case "extract_list":
      return eachOf(value, (v) => copiedFrom(text, v));
    case "teacher_only":
      // hasType takes any value when the field declares no type.
      return hasType(field, value) ? { value } : { invalid: `${describe(value)} is not ${valueTypeName(field.valueType!)}` };
  }
}

/** The text's own characters for a value the model says it copied (case and spacing may differ: locateValue). */
function copiedFrom(text: string, value: unknown): Checked {
  if (typeof value !== "string") return { invalid: `${describe(value)} is not a string copied from the input` };
  if (value.trim() === "") return { invalid: "an empty string is not text from the input (null means absent)" };
  const at = locateValue(text, value);
  return at === null ? { invalid: `${quote(value)} does not occur in the input` } : { value: text.slice(at.start, at.end) };
}

function eachOf(value: unknown, check: (item: unknown) => Checked): Checked {
  if (!Array.isArray(value)) return { invalid: `${describe(value)} is not a list` };
  const out: unknown[] = [];
  for (const item of value) {
    const checked = check(item);
    if ("invalid" in checked) return checked;
    out.push(checked.value);
  }
  return { value: out };
}

/** Teacher-only values are the teacher's to choose: only their JSON type is checked. */
function hasType(field: TaskOutputField, value: unknown): boolean {
  const t = field.valueType;
  if (t === undefined) return true;
  const one = (v: unknown) => (t.type === "integer" ? Number.isInteger(v) : t.type === "number" ? typeof v === "number" && Number.isFinite(v) : typeof v === t.type);
  return t.list ? Array.isArray(value) && value.every(one) : one(value);
}

function quote(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);
}

function describe(value: unknown): string {
  if (typeof value === "string") return quote(value);
  if (Array.isArray(value)) return "a list";
  if (value !== null && typeof value === "object") return "an object";
  return String(value);
}

