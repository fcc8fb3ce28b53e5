import { describe, expect, it } from "vitest";
import { compileOutput, MAX_ENUM_VALUES, MAX_FIELDS, outputJsonSchema, teacherOnlyNotices, type TaskOutputField } from "../../src/task/output-fields.js";
import { OutputSchema } from "../../src/task/output-schema.js";
import { TaskError } from "../../src/task/definition.js";
import { parseStructuredTask } from "../../src/task/structured.js";

const compile = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => compileOutput(OutputSchema.parse({ type: "object", properties, ...extra }));
const field = (spec: unknown) => compile({ f: spec })[0];
/** The error parseStructuredTask gives for an output block with these properties. */
function problem(properties: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  try {
    parseStructuredTask({ name: "t", instructions: "x", output: { type: "object", properties, ...extra } });
  } catch (err) {
    expect(err).toBeInstanceOf(TaskError);
    return (err as Error).message;
  }
  throw new Error("the output block was accepted");
}

describe("output block: field kinds (full JSON Schema form)", () => {
  it("compiles each kind, keeping descriptions", () => {
    const fields = compile({
      intent: { type: "string", enum: ["pay", "refund"], description: "What is wanted." },
      urgent: { type: "boolean" },
      topics: { type: "array", items: { type: "string", enum: ["card", "bank"] } },
      amount: { type: "string", "x-extract": true },
      people: { type: "array", items: { type: "string", "x-extract": true } },
      summary: { type: "string" },
      count: { type: "integer" },
      scores: { type: "array", items: { type: "number" } },
    });
    expect(fields).toEqual<TaskOutputField[]>([
      { name: "intent", kind: "choice", values: ["pay", "refund"], nullable: false, required: true, description: "What is wanted." },
      { name: "urgent", kind: "boolean", nullable: false, required: true },
      { name: "topics", kind: "tags", values: ["card", "bank"], nullable: false, required: true },
      { name: "amount", kind: "extract", nullable: true, required: true },
      { name: "people", kind: "extract_list", nullable: false, required: true },
      { name: "summary", kind: "teacher_only", nullable: false, required: true, valueType: { type: "string", list: false } },
      { name: "count", kind: "teacher_only", nullable: false, required: true, valueType: { type: "integer", list: false } },
      { name: "scores", kind: "teacher_only", nullable: false, required: true, valueType: { type: "number", list: true } },
    ]);
  });

  it("makes a choice or boolean nullable by a type union with null, nullable: true, or null in the enum", () => {
    expect(field({ type: ["string", "null"], enum: ["a", "b"] })).toMatchObject({ kind: "choice", values: ["a", "b"], nullable: true });
    expect(field({ type: "string", enum: ["a"], nullable: true })).toMatchObject({ kind: "choice", nullable: true });
    expect(field({ enum: ["a", null] })).toMatchObject({ kind: "choice", values: ["a"], nullable: true });
    expect(field({ type: ["null", "boolean"] })).toMatchObject({ kind: "boolean", nullable: true });
  });

  it("treats fields left out of `required` as optional and nullable; without `required` every field is required", () => {
    const fields = compile({ a: { enum: ["x"] }, b: { enum: ["y"] }, c: { tags: ["z"] } }, { required: ["a"] });
    expect(fields.map((f) => [f.name, f.required, f.nullable])).toEqual([
      ["a", true, false],
      ["b", false, true],
      ["c", false, false], // a list is empty, not null, when nothing applies
    ]);
    expect(compile({ a: { enum: ["x"] } }).every((f) => f.required)).toBe(true);
  });
});

describe("output block: short forms", () => {
  it("compile to exactly what the full forms do", () => {
    const full = compile({
      intent: { type: "string", enum: ["a", "b"] },
      topics: { type: "array", items: { type: "string", enum: ["x", "y"] } },
      amount: { type: "string", "x-extract": true },
      people: { type: "array", items: { type: "string", "x-extract": true } },
    });
    const short = compile({ intent: { enum: ["a", "b"] }, topics: { tags: ["x", "y"] }, amount: { extract: true }, people: { extract_list: true } });
    expect(short).toEqual(full);
    expect(short.map((f) => f.kind)).toEqual(["choice", "tags", "extract", "extract_list"]);
  });

  it("may leave out the top-level type", () => {
    expect(OutputSchema.safeParse({ properties: { a: { enum: ["x"] } } }).success).toBe(true);
    expect(OutputSchema.safeParse({ type: "array", properties: { a: { enum: ["x"] } } }).success).toBe(false);
  });
});

describe("output block: refusals name the field path", () => {
  it("refuses a nested object and an array of objects", () => {
    expect(problem({ recipient: { type: "object", properties: { iban: { type: "string" } } } })).toMatch(/output\.properties\.recipient: nested objects are not supported; /);
    expect(problem({ recipient: { properties: { iban: { type: "string" } } } })).toMatch(/output\.properties\.recipient: nested objects are not supported/);
    expect(problem({ lines: { type: "array", items: { type: "object", properties: { sku: { type: "string" } } } } })).toMatch(
      /output\.properties\.lines\.items: arrays of objects are not supported/,
    );
    expect(problem({ grid: { type: "array", items: { type: "array", items: { type: "string" } } } })).toMatch(/output\.properties\.grid\.items: nested arrays are not supported/);
  });

  it("refuses bad enums, wherever they are written", () => {
    expect(problem({ a: { enum: [] } })).toMatch(/output\.properties\.a\.enum: must be a non-empty list/);
    expect(problem({ a: { enum: ["x", "x"] } })).toMatch(/output\.properties\.a\.enum: values must be unique \("x" is repeated\)/);
    expect(problem({ a: { enum: ["x", ""] } })).toMatch(/output\.properties\.a\.enum\.1: values are non-empty strings/);
    expect(problem({ a: { tags: ["x", "x"] } })).toMatch(/output\.properties\.a\.tags: values must be unique/);
    expect(problem({ a: { tags: ["x", null] } })).toMatch(/output\.properties\.a\.tags: list items cannot be null/);
    expect(problem({ a: { type: "array", items: { enum: ["x", null] } } })).toMatch(/output\.properties\.a\.items: list items cannot be null/);
    expect(problem({ a: { type: "integer", enum: ["1"] } })).toMatch(/output\.properties\.a: enum and x-extract apply to strings, not to integer/);
    expect(problem({ a: { type: "array", enum: ["x"], items: { type: "string" } } })).toMatch(/on an array, enum and x-extract go in items/);
  });

  it("refuses unknown keywords (a typo must not silently make a field teacher-only), missing types and conflicting forms", () => {
    expect(problem({ amount: { exract: true } })).toMatch(/output\.properties\.amount\.exract: unsupported keyword/);
    expect(problem({ amount: {} })).toMatch(/output\.properties\.amount: give a type/);
    expect(problem({ a: { type: ["string", "number"] } })).toMatch(/output\.properties\.a\.type: give one type/);
    expect(problem({ a: { type: "date" } })).toMatch(/output\.properties\.a\.type: unknown type "date"/);
    expect(problem({ a: { enum: ["x"], extract: true } })).toMatch(/use one of enum, extract, not several/);
    expect(problem({ a: { type: "string", enum: ["x"], "x-extract": true } })).toMatch(/either an enum or extracted/);
    expect(problem({ a: { type: "string", tags: ["x"] } })).toMatch(/output\.properties\.a\.type: tags is a list/);
    expect(problem({ a: "string" })).toMatch(/output\.properties\.a: must be an object/);
  });

  it("refuses bad field names, unknown required names and too many fields or values", () => {
    expect(problem({ "1st": { enum: ["x"] } })).toMatch(/output\.properties\.1st: a field name is/);
    expect(problem({ "a b": { enum: ["x"] } })).toMatch(/output\.properties\.a b: a field name is/);
    expect(problem({ __proto__x: { enum: ["x"] } })).toMatch(/output\.properties\.__proto__x: a field name is/);
    expect(problem({ a: { enum: ["x"] } }, { required: ["toString"] })).toMatch(/output\.required\.0: "toString" is not one of the properties/);
    expect(problem({ a: { enum: ["x"] } }, { required: ["a", "b"] })).toMatch(/output\.required\.1: "b" is not one of the properties/);
    expect(problem({})).toMatch(/output\.properties: give at least one field/);
    const many = Object.fromEntries(Array.from({ length: MAX_FIELDS + 1 }, (_, i) => [`f${i}`, { type: "boolean" }]));
    expect(problem(many)).toMatch(new RegExp(`at most ${MAX_FIELDS} fields`));
    const values = (n: number) => Array.from({ length: n }, (_, i) => `v${i}`);
    expect(problem({ a: { enum: values(MAX_ENUM_VALUES) }, b: { tags: values(1) } })).toMatch(new RegExp(`at most ${MAX_ENUM_VALUES} enum values`));
    expect(() => compile({ a: { enum: values(MAX_ENUM_VALUES - 1) }, b: { tags: values(1) } })).not.toThrow();
  });
});

describe("outputJsonSchema: OpenAI strict mode", () => {
  it("requires every field, allows no others and writes optional values as unions with null", () => {
    const fields = compile(
      {
        intent: { enum: ["a", "b"], description: "Why." },
        maybe: { enum: ["x"] },
        flag: { type: "boolean" },
        topics: { tags: ["t"] },
        amount: { extract: true },
        people: { extract_list: true },
        n: { type: "number" },
      },
      { required: ["intent", "flag", "topics", "amount", "people", "n"] },
    );
    expect(outputJsonSchema(fields)).toEqual({
      type: "object",
      properties: {
        intent: { type: "string", enum: ["a", "b"], description: "Why." },
        maybe: { type: ["string", "null"], enum: ["x", null] },
        flag: { type: "boolean" },
        topics: { type: "array", items: { type: "string", enum: ["t"] } },
        amount: { type: ["string", "null"] },
        people: { type: "array", items: { type: "string" } },
        n: { type: "number" },
      },
      required: ["intent", "maybe", "flag", "topics", "amount", "people", "n"],
      additionalProperties: false,
    });
  });
});

describe("teacherOnlyNotices", () => {
  it("names each teacher-only field and why, and nothing else", () => {
    const notices = teacherOnlyNotices(compile({ intent: { enum: ["a"] }, summary: { type: "string" }, total: { type: "number" }, amount: { extract: true } }));
    expect(notices).toHaveLength(2);
    expect(notices[0]).toMatch(/^field summary is teacher-only: a free string /);
    expect(notices[1]).toMatch(/^field total is teacher-only: a number .*extract: true/);
  });
});
