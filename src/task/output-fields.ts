// A structured task's `output` block compiled into the engine's field model (OutputField), so
// everything downstream reasons about field kinds, never about JSON Schema. Validation and
// compilation are one pass (compile): what output-schema.ts accepts is exactly what compiles. No
// zod and no Node APIs, so the dashboard reads a task's fields with this same code.
// The forms a block may take are in output-schema.ts.
import type { OutputField, StructuredObject } from "../engine/structured-answer.js";
import { NONE_LABEL } from "./none.js";

/** A letter first: no "__proto__" and the like, since answers are read into plain objects by field name. */
export const FIELD_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
export const MAX_FIELDS = 200;
/** Across all fields: each value is a class the specialist learns and a token in the teacher's schema. */
export const MAX_ENUM_VALUES = 5000;
const MAX_VALUE_CHARS = 200;
export const MAX_DESCRIPTION_CHARS = 2000;

/** The JSON type a teacher_only value must have (the only thing checked about it). */
export interface TeacherOnlyType {
  type: "string" | "number" | "integer" | "boolean";
  list: boolean;
}

export interface TaskOutputField extends OutputField {
  /** Must appear in an answer (as null when nullable). Fields left out of `required` are optional and nullable. */
  required: boolean;
  /** teacher_only fields only. */
  valueType?: TeacherOnlyType;
}


/** An output block as output-schema.ts's OutputSchema accepts it (its shape; the fields are checked by compile). */
export interface OutputSpec {
  /** May be left out (YAML); when given, the top level must be an object. */
  type?: "object";
  description?: string;
  properties: Record<string, unknown>;
  /** The fields an answer must contain; absent: all of them (what strict structured outputs want anyway). */
  required?: string[];
  additionalProperties?: false;
}

type Path = (string | number)[];
export interface Problem {
  path: Path;
  message: string;
}

/** The fields of a validated output block, in the order written. Throws on an invalid block (see OutputSchema). */
export function compileOutput(output: OutputSpec): TaskOutputField[] {
  const { fields, problems } = compile(output);
  if (problems.length > 0) throw new TypeError(`compileOutput: invalid output block: ${problems.map((p) => `${p.path.join(".")}: ${p.message}`).join("; ")}`);
  return fields;
}

/** One line per teacher-only field, for the CLI and gateway to say when a task is created. */
export function teacherOnlyNotices(fields: readonly TaskOutputField[]): string[] {
  return fields.filter((f) => f.kind === "teacher_only").map((f) => `field ${f.name} is teacher-only: ${teacherOnlyWhy(f.valueType)}`);
}

/** "an integer", "a number", "a list of string values": what a teacher-only field holds, for messages. */
export function valueTypeName(t: TeacherOnlyType): string {
  if (t.list) return `a list of ${t.type} values`;
  return t.type === "integer" ? "an integer" : `a ${t.type}`;
}

function teacherOnlyWhy(t: TeacherOnlyType | undefined): string {
  const what = t === undefined ? "its value" : t.type === "string" && !t.list ? "a free string" : valueTypeName(t);
  const hint =
    t?.type === "string"
      ? 'give it an enum (a choice), or mark it extract: true when it is copied from the text'
      : "make it a string with an enum, or extract: true when it is written in the text";
  return `${what} is neither chosen from a list nor copied from the input, so the specialist cannot learn it and only the teacher answers it (${hint})`;
}

// --- "none of these" (NONE_LABEL) for choice fields ---

/**
 * The fields as a declared task has them: every choice field offers "none of these" (offersNone).
 * A captured task's fields stay as compiled: its schema is the app's, and its teacher (the app's
 * own upstream) answers by it.
 */
export function offeringNone<F extends OutputField>(fields: readonly F[]): F[] {
  return fields.map((f) => (f.kind === "choice" ? { ...f, offersNone: true } : f));
}

/**
 * What a choice field may be answered: its values, plus NONE_LABEL when it offers none (once:
 * an enum may hold that value already, which then means "none of these" too).
 */
export function choiceAnswers(f: Pick<OutputField, "values" | "offersNone">): readonly string[] {
  const values = f.values ?? [];
  return f.offersNone === true && !values.includes(NONE_LABEL) ? [...values, NONE_LABEL] : values;
}

/** Whether `value` is a field's "none of these" answer. */
export function isNoneValue(f: Pick<OutputField, "offersNone">, value: unknown): boolean {
  return f.offersNone === true && value === NONE_LABEL;
}

/** The fields an object answers "none of these", in field order (a "none answer" has at least one). */
export function noneFields(fields: readonly OutputField[], object: StructuredObject): string[] {
  return fields.filter((f) => isNoneValue(f, object[f.name])).map((f) => f.name);
}

/**
 * The fragments of canonical JSON (canonicalAnswer) that make an answer a none answer: one per
 * field offering none, `"<field>":"none_of_these"`. A canonical answer contains one exactly when
 * that field holds NONE_LABEL: in JSON only a key is a string followed by `:`, and a quote inside
 * a value is escaped (`\"`), so no value, copied from the text or not, can fake one. Cheap enough
 * for every routed request, and the request log's counts match the same strings (src/store).
 */
export function noneMarkers(fields: readonly OutputField[]): string[] {
  return fields.filter((f) => f.offersNone === true).map((f) => `${JSON.stringify(f.name)}:${JSON.stringify(NONE_LABEL)}`);
}

/** Whether a canonical answer is a none answer, or undefined when no field offers none. */
export function noneAnswerTest(fields: readonly OutputField[]): ((answer: string) => boolean) | undefined {
  const markers = noneMarkers(fields);
  if (markers.length === 0) return undefined;
  return (answer) => markers.some((m) => answer.includes(m));
}

/**
 * The group an object counts in for the surge guard (SpecialistKind.group): the JSON list of its
 * choice fields' values, in field order. Its values copied from the text make nearly every object
 * its own, and flags rarely say what a request is about (each would double the groups).
 */
export function answerGroup(fields: readonly OutputField[], object: StructuredObject): string {
  return JSON.stringify(fields.filter((f) => f.kind === "choice").map((f) => object[f.name] ?? null));
}

/**
 * How many answerGroups the specialist can give: the product of the choice fields' value counts
 * (null counts as a value of a nullable field; "none of these" does not, the specialist never
 * answers it), at least 1.
 */
export function answerGroupCount(fields: readonly OutputField[]): number {
  let count = 1;
  for (const f of fields) if (f.kind === "choice") count *= Math.max(1, (f.values ?? []).filter((v) => v !== NONE_LABEL).length + (f.nullable === true ? 1 : 0));
  return count;
}

/** The choice fields of an answerGroup and their values, or null when `group` is not one of these fields' groups. */
export function groupValues<F extends OutputField>(fields: readonly F[], group: string): { field: F; value: unknown }[] | null {
  const choices = fields.filter((f) => f.kind === "choice");
  let values: unknown;
  try {
    values = JSON.parse(group);
  } catch {
    return null;
  }
  if (!Array.isArray(values) || values.length !== choices.length) return null;
  return choices.map((field, i) => ({ field, value: values[i] as unknown }));
}

/**
 * The JSON schema the teacher is held to, under OpenAI's strict mode: every property required,
 * no other properties, and an optional value written as a type union with null (and null in its
 * enum, or the enum would refuse it). A choice field offering none has NONE_LABEL in its enum.
 */
export function outputJsonSchema(fields: readonly TaskOutputField[]): Record<string, unknown> {
  return {
    type: "object",
    properties: Object.fromEntries(fields.map((f) => [f.name, { ...fieldJsonSchema(f), ...(f.description ? { description: f.description } : {}) }])),
    required: fields.map((f) => f.name),
    additionalProperties: false,
  };
}

function fieldJsonSchema(f: TaskOutputField): Record<string, unknown> {
  const orNull = (type: string) => (f.nullable ? [type, "null"] : type);
  switch (f.kind) {
    case "choice":
      return { type: orNull("string"), enum: f.nullable ? [...choiceAnswers(f), null] : [...choiceAnswers(f)] };
    case "boolean":
      return { type: orNull("boolean") };
    case "tags":
      return { type: "array", items: { type: "string", enum: [...(f.values ?? [])] } };
    case "extract":
      return { type: ["string", "null"] };
    case "extract_list":
      return { type: "array", items: { type: "string" } };
    case "teacher_only": {
      const t = f.valueType ?? { type: "string", list: false };
      return t.list ? { type: "array", items: { type: t.type } } : { type: orNull(t.type) };
    }
  }
}

// --- validation and compilation: one pass, so what is accepted is exactly what compiles ---

const TYPE_NAMES = new Set(["string", "number", "integer", "boolean", "array", "object", "null"]);
const KEYWORDS = ["type", "description", "title", "enum", "items", "nullable", "x-extract", "extract", "extract_list", "tags"];
const SHORT_FORMS = ["enum", "tags", "extract", "extract_list"] as const;
const NESTED_OBJECT = "nested objects are not supported; give each value a top-level field of its own (e.g. recipient_name, recipient_iban)";
const ARRAY_OF_OBJECTS = "arrays of objects are not supported; use one list field per value (e.g. item_names, item_prices)";

/** The fields of an output block and everything wrong with it, each at its path (what OutputSchema reports). */
export function compile(output: OutputSpec): { fields: TaskOutputField[]; problems: Problem[] } {
  const problems: Problem[] = [];
  const fields: TaskOutputField[] = [];
  const names = Object.keys(output.properties);
  if (names.length === 0) problems.push({ path: ["properties"], message: "give at least one field" });
  if (names.length > MAX_FIELDS) problems.push({ path: ["properties"], message: `at most ${MAX_FIELDS} fields (got ${names.length})` });
  const required = output.required === undefined ? null : new Set(output.required);
  output.required?.forEach((name, i) => {
    if (!Object.hasOwn(output.properties, name)) problems.push({ path: ["required", i], message: `"${name}" is not one of the properties` });
  });
  if (required !== null && required.size !== output.required?.length) problems.push({ path: ["required"], message: "field names must be unique" });

  for (const name of names) {
    const at: Path = ["properties", name];
    if (!FIELD_NAME_PATTERN.test(name)) {
      problems.push({ path: at, message: "a field name is 1-64 characters a-z, A-Z, 0-9 or '_', starting with a letter" });
      continue;
    }
    const result = classify(output.properties[name]);
    if ("problem" in result) {
      problems.push({ path: [...at, ...result.problem.path], message: result.problem.message });
      continue;
    }
    const isRequired = required === null || required.has(name);
    // An optional choice, boolean or value is written as nullable: strict mode needs every key present.
    const nullable = result.kind === "extract" || ((result.nullable || !isRequired) && result.kind !== "tags" && result.kind !== "extract_list");
    fields.push({ name, ...result, nullable, required: isRequired });
  }
  const enumValues = fields.reduce((n, f) => n + (f.values?.length ?? 0), 0);
  if (enumValues > MAX_ENUM_VALUES) problems.push({ path: ["properties"], message: `at most ${MAX_ENUM_VALUES} enum values across all fields (got ${enumValues})` });
  return { fields, problems };
}

type Classified = Omit<TaskOutputField, "name" | "required"> | { problem: Problem };
const fail = (message: string, path: Path = []): { problem: Problem } => ({ problem: { path, message } });

/** One property (or an array's items) as a field kind, or the first thing wrong with it. */
function classify(raw: unknown): Classified {
  if (!isPlainObject(raw)) return fail("must be an object, e.g. {type: string} or a short form {enum: [...]}, {tags: [...]}, {extract: true}");
  const spec = normalize(raw);
  if ("problem" in spec) return spec;
  const description = typeof raw.description === "string" ? { description: raw.description } : {};
  const { type, nullable } = spec;

  if (type === "array") {
    if (spec.enum !== undefined || spec.extract) return fail("on an array, enum and x-extract go in items (or use the short forms tags: [...], extract_list: true)");
    if (!isPlainObject(spec.items)) return fail("an array needs items: one schema, e.g. {type: string, enum: [...]}", ["items"]);
    const item = classify(spec.items);
    if ("problem" in item) return fail(item.problem.message, ["items", ...item.problem.path]);
    if (item.nullable) return fail("list items cannot be null", ["items"]);
    if (item.kind === "choice") return { kind: "tags", values: item.values, ...description };
    if (item.kind === "extract") return { kind: "extract_list", ...description };
    if (item.kind === "boolean") return { kind: "teacher_only", valueType: { type: "boolean", list: true }, ...description };
    if (item.kind === "teacher_only" && item.valueType !== undefined && !item.valueType.list) return { kind: "teacher_only", valueType: { ...item.valueType, list: true }, ...description };
    return fail("nested arrays are not supported", ["items"]);
  }
  if (type !== "string" && (spec.enum !== undefined || spec.extract)) return fail(`enum and x-extract apply to strings, not to ${type}`);
  if (type === "boolean") return { kind: "boolean", nullable, ...description };
  if (type === "number" || type === "integer") return { kind: "teacher_only", nullable, valueType: { type, list: false }, ...description };
  // A string: chosen from a list, copied from the text, or free.
  if (spec.enum !== undefined && spec.extract) return fail("a field is either an enum or extracted (x-extract), not both");
  if (spec.extract) return { kind: "extract", ...description };
  if (spec.enum === undefined) return { kind: "teacher_only", nullable, valueType: { type: "string", list: false }, ...description };
  const values = enumValues(spec.enum);
  if ("problem" in values) return values;
  return { kind: "choice", values: values.values, nullable: nullable || values.nullable, ...description };
}

interface Spec {
  type: string;
  nullable: boolean;
  enum?: unknown;
  items?: unknown;
  extract: boolean;
}

/** Reads the keywords, turning a short form into the full form it stands for. */
function normalize(raw: Record<string, unknown>): Spec | { problem: Problem } {
  // Nesting first: an object property would otherwise be reported keyword by keyword.
  const types = raw.type === undefined ? [] : Array.isArray(raw.type) ? raw.type : [raw.type];
  if (types.includes("object") || "properties" in raw || "additionalProperties" in raw || "required" in raw) return fail(NESTED_OBJECT);
  if (isPlainObject(raw.items) && ((Array.isArray(raw.items.type) ? raw.items.type : [raw.items.type]).includes("object") || "properties" in raw.items)) {
    return fail(ARRAY_OF_OBJECTS, ["items"]);
  }
  const unknown = Object.keys(raw).find((k) => !KEYWORDS.includes(k));
  if (unknown !== undefined) return fail(`unsupported keyword; a field may use ${KEYWORDS.join(", ")}`, [unknown]);
  if (raw.description !== undefined && (typeof raw.description !== "string" || raw.description.length > MAX_DESCRIPTION_CHARS)) {
    return fail(`must be a string of at most ${MAX_DESCRIPTION_CHARS} characters`, ["description"]);
  }
  for (const flag of ["nullable", "x-extract", "extract", "extract_list"]) {
    if (raw[flag] !== undefined && typeof raw[flag] !== "boolean") return fail("must be true or false", [flag]);
  }
  const bad = types.find((t) => typeof t !== "string" || !TYPE_NAMES.has(t));
  if (bad !== undefined) return fail(`unknown type ${JSON.stringify(bad)}; use string, boolean, number, integer or array`, ["type"]);
  const nonNull = (types as string[]).filter((t) => t !== "null");
  if (nonNull.length > 1) return fail('give one type (plus "null" for a value that may be absent)', ["type"]);

  const shortForms = SHORT_FORMS.filter((k) => raw[k] !== undefined && raw[k] !== false);
  if (shortForms.length > 1) return fail(`use one of ${shortForms.join(", ")}, not several`);
  const implied = raw.tags !== undefined || raw.extract_list === true ? "array" : raw.enum !== undefined || raw.extract === true || raw["x-extract"] === true ? "string" : undefined;
  const type = nonNull[0] ?? implied;
  if (type === undefined) return fail("give a type (string, boolean, number, integer, array) or a short form ({enum: [...]}, {tags: [...]}, {extract: true}, {extract_list: true})");
  const nullable = types.includes("null") || raw.nullable === true;
  const extract = raw.extract === true || raw["x-extract"] === true;

  const list = raw.tags !== undefined ? "tags" : raw.extract_list === true ? "extract_list" : null;
  if (list === null) return { type, nullable, enum: raw.enum, items: raw.items, extract };
  // A list short form stands for the array and its items together.
  if (type !== "array") return fail(`${list} is a list: leave type out or make it array`, ["type"]);
  if (raw.items !== undefined) return fail(`${list} already gives the items; leave items out`, ["items"]);
  if (list === "extract_list") return { type, nullable, items: { type: "string", "x-extract": true }, extract: false };
  const tags = enumValues(raw.tags, "tags");
  if ("problem" in tags) return tags;
  if (tags.nullable) return fail("list items cannot be null", ["tags"]);
  return { type, nullable, items: { type: "string", enum: tags.values }, extract: false };
}

/** Enum values: non-empty, unique strings; a null among them makes the field nullable. */
function enumValues(raw: unknown, key = "enum"): { values: string[]; nullable: boolean } | { problem: Problem } {
  if (!Array.isArray(raw) || raw.length === 0) return fail("must be a non-empty list of strings", [key]);
  const values: string[] = [];
  let nullable = false;
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i];
    if (v === null) nullable = true;
    else if (typeof v !== "string" || v.trim() === "" || v.length > MAX_VALUE_CHARS) return fail(`values are non-empty strings of at most ${MAX_VALUE_CHARS} characters`, [key, i]);
    else values.push(v);
  }
  if (values.length === 0) return fail("must hold at least one string", [key]);
  if (new Set(values).size !== values.length) return fail(`values must be unique (${JSON.stringify(values.find((v, i) => values.indexOf(v) !== i))} is repeated)`, [key]);
  return { values, nullable };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
