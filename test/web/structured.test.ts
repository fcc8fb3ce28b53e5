// The dashboard's reading of a structured task: its fields agree with the gateway's own compiler
// (src/task/output-schema.ts) on every form of output block; answers, values and spans as shown;
// the correction form gives back the object the gateway takes as `output`.
import { describe, expect, it } from "vitest";
import { ApiClient } from "../../web/src/api/client.js";
import { answerFields, answerSummary, highlightSegments, NONE_LABEL, noneField, outputFormFrom, outputFromForm, parseAnswer, spansOf, groupText, valueText } from "../../web/src/lib/structured.js";
import { specialistKindOf } from "../../src/cascade/specialist-kind.js";
import { canonicalAnswer } from "../../src/engine/structured-answer.js";
import { outputFields, parseStructuredTask } from "../../src/task/structured.js";
import type { OutputSpec } from "../../src/task/output-fields.js";
import { OutputSchema } from "../../src/task/output-schema.js";
import { TRANSFER_OUTPUT } from "../helpers/transfer-requests.js";

const BLOCKS: OutputSpec[] = [
  TRANSFER_OUTPUT,
  {
    type: "object",
    properties: {
      topics: { type: "array", items: { type: "string", enum: ["a", "b"] } },
      people: { type: "array", items: { type: "string", "x-extract": true } },
      summary: { type: "string" },
      count: { type: "integer" },
      score: { type: ["number", "null"] },
      flags: { type: "array", items: { type: "boolean" } },
      maybe: { type: "boolean", nullable: true },
      tone: { enum: ["calm", "angry", null] },
    },
    required: ["topics", "people", "summary", "count"],
  },
  { properties: { tags: { tags: ["x", "y", "z"] }, names: { extract_list: true }, pick: { type: "string", enum: ["p", "q"] } }, required: ["tags"] },
];

describe("answerFields", () => {
  it("reads every form of field as the gateway does: kinds, values, nullability and value types", () => {
    const fields = answerFields(OutputSchema.parse(BLOCKS[1]))!.map((f) => ({ name: f.name, kind: f.kind, values: f.values, nullable: f.nullable, valueType: f.valueType }));
    expect(fields).toEqual([
      { name: "topics", kind: "tags", values: ["a", "b"], nullable: false, valueType: undefined },
      { name: "people", kind: "extract_list", values: undefined, nullable: false, valueType: undefined },
      { name: "summary", kind: "teacher_only", values: undefined, nullable: false, valueType: { type: "string", list: false } },
      { name: "count", kind: "teacher_only", values: undefined, nullable: false, valueType: { type: "integer", list: false } },
      { name: "score", kind: "teacher_only", values: undefined, nullable: true, valueType: { type: "number", list: false } },
      { name: "flags", kind: "teacher_only", values: undefined, nullable: true, valueType: { type: "boolean", list: true } },
      { name: "maybe", kind: "boolean", values: undefined, nullable: true, valueType: undefined },
      { name: "tone", kind: "choice", values: ["calm", "angry"], nullable: true, valueType: undefined },
    ]);
    expect(answerFields(OutputSchema.parse(BLOCKS[2]))!.map((f) => [f.name, f.kind, f.nullable])).toEqual([
      ["tags", "tags", false],
      ["names", "extract_list", false],
      ["pick", "choice", true],
    ]);
  });

  it("is null for a label task", () => {
    expect(answerFields(undefined)).toBeNull();
  });

  it("offers none of these in every choice field of a declared task, as the gateway does, and none in a captured one's", () => {
    const task = parseStructuredTask({ name: "t", instructions: "x", output: BLOCKS[0] });
    expect(answerFields(BLOCKS[0])).toEqual(outputFields(task));
    expect(answerFields(BLOCKS[0])!.filter((f) => f.offersNone).map((f) => f.name)).toEqual(["intent", "currency"]);
    expect(answerFields(BLOCKS[0], { mode: "shadow" })!.some((f) => f.offersNone)).toBe(false);
    expect(noneField(answerFields(BLOCKS[0])!)?.name).toBe("intent");
    expect(noneField(answerFields(BLOCKS[0], { mode: "shadow" })!)).toBeNull();
  });
});

describe("answers as shown", () => {
  const fields = answerFields(BLOCKS[0])!;
  it("reads the canonical JSON back, and only objects", () => {
    expect(parseAnswer('{"intent":"send_money","amount":"40"}')).toEqual({ intent: "send_money", amount: "40" });
    expect(parseAnswer("card_arrival")).toBeNull();
    expect(parseAnswer("[1]")).toBeNull();
    expect(parseAnswer(null)).toBeNull();
  });

  it("writes values briefly and the whole answer on one line", () => {
    expect([valueText(null), valueText(true), valueText(false), valueText([]), valueText(["a", "b"]), valueText(3)]).toEqual(["—", "yes", "no", "—", "a, b", "3"]);
    expect(answerSummary(fields, { intent: "send_money", amount: "40", currency: null, recipient: "Anna", urgent: false })).toBe("intent: send_money · amount: 40 · currency: — · recipient: Anna · urgent: no");
    // "None of these" reads as such in a choice field that offers it, and is only text elsewhere.
    expect(answerSummary(fields, { intent: NONE_LABEL, amount: null, currency: null, recipient: NONE_LABEL, urgent: false })).toBe("intent: none of these · amount: — · currency: — · recipient: none_of_these · urgent: no");
  });
});

describe("groupText", () => {
  it("names a structured task's surging group by its choice fields, as the gateway groups answers", () => {
    const task = parseStructuredTask({ name: "t", instructions: "x", output: BLOCKS[0] });
    const group = specialistKindOf(task).group(canonicalAnswer(outputFields(task), { intent: "send_money", amount: "40", currency: NONE_LABEL, recipient: "Anna", urgent: true }));
    expect(groupText(answerFields(BLOCKS[0]), group)).toBe("intent: send_money · currency: none of these");
  });

  it("leaves a label task's group, and one it cannot read, as they are", () => {
    expect(groupText(null, "card_arrival")).toBe("card_arrival");
    expect(groupText(answerFields(BLOCKS[0]), '["send_money"]')).toBe('["send_money"]');
    expect(groupText(answerFields(BLOCKS[0]), "not json")).toBe("not json");
  });
});

describe("highlightSegments", () => {
  it("cuts the text at the spans, dropping overlapping and out-of-range ones", () => {
    const text = "send 40 euros to Anna";
    const spans = [
      { field: "recipient", start: 17, end: 21 },
      { field: "amount", start: 5, end: 7 },
      { field: "overlap", start: 6, end: 9 },
      { field: "outside", start: 19, end: 40 },
    ];
    expect(highlightSegments(text, spans)).toEqual([{ text: "send " }, { text: "40", field: "amount" }, { text: " euros to " }, { text: "Anna", field: "recipient" }]);
    expect(highlightSegments(text, [])).toEqual([{ text }]);
  });

  it("takes the spans of a prediction's fields", () => {
    expect(spansOf({ intent: { confidence: 0.9 }, recipient: { spans: [{ start: 1, end: 3 }] } })).toEqual([{ field: "recipient", start: 1, end: 3 }]);
    expect(spansOf(undefined)).toEqual([]);
  });
});

describe("the correction form", () => {
  it("gives back the answer it was prefilled with", () => {
    const fields = answerFields(BLOCKS[0])!;
    const answer = { intent: "request_money", amount: "40", currency: null, recipient: "Anna", urgent: true };
    expect(outputFromForm(fields, outputFormFrom(fields, answer))).toEqual(answer);
  });

  it("turns empty text into null, lines into lists, and typed values into their JSON type", () => {
    const fields = answerFields(OutputSchema.parse(BLOCKS[1]))!;
    const answer = { topics: ["a"], people: ["Anna", "Bob"], summary: "s", count: 3, score: null, flags: [true, false], maybe: null, tone: "calm" };
    const form = outputFormFrom(fields, answer);
    expect(form.people).toBe("Anna\nBob");
    expect(form.maybe).toBe("");
    expect(outputFromForm(fields, form)).toEqual(answer);
    expect(outputFromForm(fields, { ...form, people: " Carla \n\n", summary: "  ", maybe: "false" })).toMatchObject({ people: ["Carla"], summary: null, maybe: false });
  });
});

describe("ApiClient for structured tasks", () => {
  it("sends a corrected object as output, a label as label", async () => {
    const bodies: unknown[] = [];
    const api = new ApiClient("k", "", async (_url, init) => {
      bodies.push(JSON.parse(String(init?.body)));
      return new Response("{}", { status: 200 });
    });
    await api.feedback("t", "r1", { intent: "send_money" });
    await api.feedback("t", "r2", "lbl");
    await api.editExample("t", 7, { intent: "check_balance" });
    expect(bodies).toEqual([{ request_id: "r1", output: { intent: "send_money" } }, { request_id: "r2", label: "lbl" }, { output: { intent: "check_balance" } }]);
  });
});
