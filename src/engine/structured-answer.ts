// A structured answer: a JSON object whose fields are choices, tags, values copied from the text
// and booleans. The cascade handles it as one string, its canonical form, so "the specialist's
// answer equals the teacher's" means equal in every field, and the error guarantee is stated on
// whole answers without the router knowing fields exist.

/**
 * - `choice`: one of `values` (a string enum); `boolean`: true or false;
 * - `tags`: any subset of `values` (an array of a string enum);
 * - `extract`: a string copied from the input, null when absent; `extract_list`: every such string;
 * - `teacher_only`: anything else (free text, numbers not in the text): only the teacher answers it.
 */
export type OutputFieldKind = "choice" | "boolean" | "tags" | "extract" | "extract_list" | "teacher_only";

export interface OutputField {
  name: string;
  kind: OutputFieldKind;
  /** The enum of a choice or tags field. */
  values?: readonly string[];
  /** A choice or boolean that may also be null (absent). Extract fields always may. */
  nullable?: boolean;
  /** Shown to the teacher. */
  description?: string;
  /**
   * A choice field that offers "none of these" (the task layer's NONE_LABEL, src/task/none.ts): an
   * answer besides its values for a message that fits none of them, given by the teacher or a
   * person, learned as a class of its own, never answered by the specialist. Every choice field
   * of a declared task offers it; a captured task's follow the app's schema and do not.
   */
  offersNone?: boolean;
}

export type FieldValue = string | boolean | string[] | null;
export type StructuredObject = Record<string, unknown>;

/** Fields a specialist can learn: everything but teacher_only. */
export function learnableFields(fields: readonly OutputField[]): OutputField[] {
  return fields.filter((f) => f.kind !== "teacher_only");
}

/**
 * The canonical JSON of an object under its fields: keys in field order, absent fields null, tags
 * and extracted lists sorted and without repeats (order carries no meaning in them), nothing else.
 * Two answers are the same answer exactly when their canonical forms are equal strings.
 */
export function canonicalAnswer(fields: readonly OutputField[], object: StructuredObject): string {
  const out: Record<string, unknown> = {};
  for (const f of fields) out[f.name] = canonicalValue(f, object[f.name]);
  return JSON.stringify(out);
}

function canonicalValue(field: OutputField, value: unknown): unknown {
  if (value === undefined || value === null) return field.kind === "tags" || field.kind === "extract_list" ? [] : null;
  if ((field.kind === "tags" || field.kind === "extract_list") && Array.isArray(value)) return [...new Set(value.map(String))].sort();
  return value;
}

/** The object a canonical answer stands for (fields in schema order). */
export function parseCanonical(answer: string): StructuredObject {
  return JSON.parse(answer) as StructuredObject;
}

/** Names of the fields in which two objects differ (canonically). */
export function fieldDifferences(fields: readonly OutputField[], a: StructuredObject, b: StructuredObject): string[] {
  return fields.filter((f) => JSON.stringify(canonicalValue(f, a[f.name])) !== JSON.stringify(canonicalValue(f, b[f.name]))).map((f) => f.name);
}

/** Collapses runs of whitespace and lower-cases, for finding a value in a text (see locateValue). */
function normalizeChar(c: string): string {
  return /\s/.test(c) ? " " : c.toLowerCase();
}

/**
 * Where `value` occurs in `text`, comparing case-insensitively with any run of whitespace equal to
 * any other: the first occurrence at or after `from` (UTF-16 offsets, end exclusive), or null.
 * How a value the teacher names is tied to the characters the extractor learns to mark.
 */
export function locateValue(text: string, value: string, from = 0): { start: number; end: number } | null {
  const needle = value.trim().replace(/\s+/g, " ").toLowerCase();
  if (needle.length === 0) return null;
  // A whole-word occurrence first: "VI" in "Woodsfield VI", not in "serving"; among those, one
  // written exactly as the value: "my" in "Paint My Masterpiece to my playlist" is the second.
  let inside: { start: number; end: number } | null = null;
  let word: { start: number; end: number } | null = null;
  for (let at = matchAt(text, needle, from); at !== null; at = matchAt(text, needle, at.start + 1)) {
    if (!isWordChar(text[at.start - 1]) && !isWordChar(text[at.end])) {
      if (text.slice(at.start, at.end) === value) return at;
      word ??= at;
    }
    inside ??= at;
  }
  return word ?? inside;
}

function isWordChar(c: string | undefined): boolean {
  return c !== undefined && /[\p{L}\p{N}]/u.test(c);
}

/** The first occurrence of a normalized needle at or after `from` (see locateValue). */
function matchAt(text: string, needle: string, from: number): { start: number; end: number } | null {
  for (let start = from; start < text.length; start++) {
    let i = start;
    let j = 0;
    while (i < text.length && j < needle.length) {
      const c = normalizeChar(text[i]);
      if (c === " " && needle[j] === " ") {
        while (i < text.length && /\s/.test(text[i])) i++;
        j++;
      } else if (c === needle[j]) {
        i++;
        j++;
      } else break;
    }
    if (j === needle.length) return { start, end: i };
  }
  return null;
}
