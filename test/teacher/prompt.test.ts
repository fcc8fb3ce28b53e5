import { describe, expect, it } from "vitest";
import { buildMessages, buildSystemPrompt, labelResponseFormat } from "../../src/teacher/prompt.js";
import { answerLabels } from "../../src/task/definition.js";
import { supportTask } from "./helpers.js";

describe("prompt", () => {
  const task = supportTask();

  it("puts the instructions, every label with its description and the answer rule in the system message", () => {
    const system = buildSystemPrompt(task);
    expect(system).toContain("Classify the customer support message.");
    expect(system).toContain('- "billing": Charges, refunds and invoices.');
    expect(system).toContain('- "bug": Something in the product does not work.');
    expect(system).toMatch(/^- "other"$/m);
    expect(system).toContain('{"label": "..."}');
    // "None of these" is offered under its default name, or under the task's out_of_scope_label.
    expect(system).toMatch(/^- "none_of_these": the message fits none of the labels above\.$/m);
    const own = buildSystemPrompt({ ...task, out_of_scope_label: "other" });
    expect(own).not.toContain("none_of_these");
    expect(own).toContain('If the message fits none of the labels, answer "other".');
  });

  it("offers none_of_these once: added to the labels, unless the task names its own or has a label of that name", () => {
    expect(answerLabels(task)).toEqual([...task.labels.map((l) => l.name), "none_of_these"]);
    expect(answerLabels({ ...task, out_of_scope_label: "other" })).toEqual(task.labels.map((l) => l.name));
    const named = { ...task, labels: [...task.labels, { name: "none_of_these" }] };
    expect(answerLabels(named)).toEqual(named.labels.map((l) => l.name));
    expect(buildSystemPrompt(named).match(/^- "none_of_these"/gm)).toHaveLength(1);
  });

  it("orders system, few-shot pairs, then the text", () => {
    const messages = buildMessages(task, "where is my refund", [
      { text: "app crashed", label: "bug" },
      { text: "hello", label: "other" },
    ]);
    expect(messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "user", "assistant", "user"]);
    expect(messages[2]).toEqual({ role: "assistant", content: '{"label":"bug"}' });
    expect(messages.at(-1)).toEqual({ role: "user", content: "where is my refund" });
  });

  it("builds a strict JSON schema with the labels as an enum", () => {
    const format = labelResponseFormat(["a", "b"]);
    expect(format.type).toBe("json_schema");
    expect(format.json_schema.strict).toBe(true);
    expect(format.json_schema.schema).toEqual({
      type: "object",
      properties: { label: { type: "string", enum: ["a", "b"] } },
      required: ["label"],
      additionalProperties: false,
    });
  });
});
