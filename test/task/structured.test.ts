import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { NONE_LABEL, parseTask, TaskError } from "../../src/task/definition.js";
import { answerGroup, answerGroupCount, choiceAnswers, noneFields, outputJsonSchema } from "../../src/task/output-fields.js";
import { isStructuredTask, outputFields, parseAnyTask, parseStructuredTask } from "../../src/task/structured.js";
import { loadAnyTaskFile, loadTaskFile, parseAnyTaskText } from "../../src/task/task-file.js";

const labelTask = { name: "t", instructions: "Classify.", labels: [{ name: "a" }, { name: "b" }], out_of_scope_label: "b" };
const structuredTask = { name: "s", instructions: "Read.", output: { type: "object", properties: { intent: { enum: ["a", "b"] }, amount: { extract: true } } } };

describe("parseStructuredTask", () => {
  it("takes the label task's settings with their defaults, and an output block instead of labels", () => {
    const task = parseStructuredTask({ ...structuredTask, routing: { max_error: 0.1 } });
    expect(task.routing).toMatchObject({ max_error: 0.1, confidence_level: 0.95 });
    expect(task.training.min_examples).toBe(100);
    expect(task.teacher.structured_output).toBe(true);
    expect(outputFields(task).map((f) => [f.name, f.kind])).toEqual([
      ["intent", "choice"],
      ["amount", "extract"],
    ]);
    expect("labels" in task).toBe(false);
  });

  it("names every problem by its path, the same way parseTask does", () => {
    expect(() => parseStructuredTask({ ...structuredTask, name: "Bad Name", routing: { max_error: 2 } })).toThrow(/^invalid task: name: .*; routing\.max_error: /);
    expect(() => parseStructuredTask({ name: "s", instructions: "x" })).toThrow(/invalid task: output: /);
    expect(() => parseStructuredTask({ ...structuredTask, instructions: "bad \u0000 text" })).toThrow(/invalid task: instructions: /);
  });
});

describe('"none of these" in the choice fields of a structured task', () => {
  const capture = { fingerprints: ["a".repeat(64)], model: "gpt-app", via: "response_format" };
  const output = { properties: { intent: { enum: ["a", "b"] }, currency: { enum: ["EUR", null] }, topics: { tags: ["x"] }, flag: { type: "boolean" } } };

  it("is offered by every choice field of a declared task, in the teacher's schema, and by no other field", () => {
    const fields = outputFields(parseStructuredTask({ name: "s", instructions: "x", output }));
    expect(fields.map((f) => [f.name, f.offersNone === true])).toEqual([["intent", true], ["currency", true], ["topics", false], ["flag", false]]);
    expect(fields.map((f) => f.values)).toEqual([["a", "b"], ["EUR"], ["x"], undefined]);
    const schema = outputJsonSchema(fields) as { properties: Record<string, { enum?: unknown[]; items?: { enum: unknown[] } }> };
    expect(schema.properties.intent.enum).toEqual(["a", "b", NONE_LABEL]);
    expect(schema.properties.currency.enum).toEqual(["EUR", NONE_LABEL, null]);
    expect(schema.properties.topics.items!.enum).toEqual(["x"]);
  });

  it("counts the answer groups the specialist can give: its choices' values, null for a nullable one, never none", () => {
    const fields = outputFields(parseStructuredTask({ name: "s", instructions: "x", output }));
    // intent a|b, currency EUR|null: 4 groups; tags and flags do not make groups.
    expect(answerGroupCount(fields)).toBe(4);
    expect(answerGroup(fields, { intent: "b", currency: null, topics: ["x"], flag: true })).toBe('["b",null]');
    expect(answerGroupCount(outputFields(parseStructuredTask({ name: "s", instructions: "x", output: { properties: { amount: { extract: true } } } })))).toBe(1);
  });

  it("is not offered by a captured task's fields: their schema is the app's", () => {
    const fields = outputFields(parseStructuredTask({ name: "s", instructions: "x", output, capture }));
    expect(fields.some((f) => f.offersNone === true)).toBe(false);
    expect((outputJsonSchema(fields) as { properties: { intent: { enum: unknown[] } } }).properties.intent.enum).toEqual(["a", "b"]);
  });

  it("is offered once when a field's enum holds it already, where it means none of these too", () => {
    const fields = outputFields(parseStructuredTask({ name: "s", instructions: "x", output: { properties: { intent: { enum: ["a", NONE_LABEL, "b"] } } } }));
    expect(choiceAnswers(fields[0])).toEqual(["a", NONE_LABEL, "b"]);
    expect((outputJsonSchema(fields) as { properties: { intent: { enum: unknown[] } } }).properties.intent.enum).toEqual(["a", NONE_LABEL, "b"]);
    expect(noneFields(fields, { intent: NONE_LABEL })).toEqual(["intent"]);
  });

  it("takes a none block as a label task does, but not on a captured task", () => {
    expect(parseStructuredTask({ name: "s", instructions: "x", output, none: { answer: "Sorry." } }).none).toEqual({ answer: "Sorry." });
    expect(parseStructuredTask({ name: "s", instructions: "x", output, none: { upstream_model: "gpt-up" } }).none).toEqual({ upstream_model: "gpt-up" });
    expect(() => parseStructuredTask({ name: "s", instructions: "x", output, none: { answer: "a", upstream_model: "m" } })).toThrow(/set answer or upstream_model, not both/);
    expect(() => parseStructuredTask({ name: "s", instructions: "x", output, capture, none: { answer: "Sorry." } })).toThrow(/^invalid task: none: a captured task follows its app's schema/);
  });
});

describe("parseAnyTask", () => {
  it("parses a label task exactly as parseTask does", () => {
    const task = parseAnyTask(labelTask);
    expect(task).toEqual(parseTask(labelTask));
    expect(isStructuredTask(task)).toBe(false);
  });

  it("parses a task with output as structured", () => {
    const task = parseAnyTask(structuredTask);
    expect(isStructuredTask(task)).toBe(true);
    expect(task).toEqual(parseStructuredTask(structuredTask));
  });

  it("refuses labels and output together, and neither", () => {
    expect(() => parseAnyTask({ ...labelTask, output: structuredTask.output })).toThrow(new TaskError("invalid task: give labels (a label task) or output (a structured task), not both"));
    expect(() => parseAnyTask({ name: "t", instructions: "x" })).toThrow(/give labels \(a label task\) or output \(a structured task\)$/);
  });

  it("keeps a label task's own errors", () => {
    expect(() => parseAnyTask({ ...labelTask, out_of_scope_label: "zzz" })).toThrow(/out_of_scope_label: "zzz" is not one of the labels/);
  });
});

describe("task files of either kind", () => {
  const dir = mkdtempSync(join(tmpdir(), "apprentice-structured-"));
  const write = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };

  it("loads a structured YAML task written in short forms", async () => {
    const yaml = ["name: s", "instructions: Read the request.", "output:", "  properties:", "    intent: {enum: [pay, refund]}", "    topics: {tags: [card, bank]}", "    amount: {extract: true}", ""].join("\n");
    const task = await loadAnyTaskFile(write("s.yaml", yaml));
    if (!isStructuredTask(task)) throw new Error("expected a structured task");
    expect(outputFields(task).map((f) => [f.name, f.kind, f.values])).toEqual([
      ["intent", "choice", ["pay", "refund"]],
      ["topics", "tags", ["card", "bank"]],
      ["amount", "extract", undefined],
    ]);
  });

  it("loads label tasks as before, and names the file in errors", async () => {
    expect(isStructuredTask(await loadAnyTaskFile(write("t.json", JSON.stringify(labelTask))))).toBe(false);
    await expect(loadAnyTaskFile(write("nested.json", JSON.stringify({ ...structuredTask, output: { properties: { to: { type: "object" } } } })))).rejects.toThrow(
      /nested\.json: invalid task: output\.properties\.to: nested objects are not supported/,
    );
    expect(() => parseAnyTaskText(JSON.stringify({ ...labelTask, output: structuredTask.output }), "json", "inline")).toThrow(/^task file inline: invalid task: .*not both/);
  });

  it("leaves loadTaskFile for label tasks only", async () => {
    await expect(loadTaskFile(write("s.json", JSON.stringify(structuredTask)))).rejects.toThrow(/s\.json: invalid task: labels/);
  });
});
