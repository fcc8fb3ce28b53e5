// evaluateStructured on objects small enough to count by hand: exact match, choice accuracy, and
// precision/recall/F1 over tags and extracted values.
import { describe, expect, it } from "vitest";
import type { OutputField } from "../../src/engine/structured-answer.js";
import { evaluateStructured } from "../../src/engine/structured-metrics.js";

const FIELDS: OutputField[] = [
  { name: "intent", kind: "choice", values: ["a", "b"] },
  { name: "tags", kind: "tags", values: ["x", "y", "z"] },
  { name: "who", kind: "extract" },
  { name: "urgent", kind: "boolean" },
  { name: "note", kind: "teacher_only" },
];

describe("evaluateStructured", () => {
  it("counts exact objects, choice accuracy and value precision/recall by hand", () => {
    const reference = [
      { intent: "a", tags: ["x", "y"], who: "Ann", urgent: true },
      { intent: "b", tags: [], who: null, urgent: false },
      { intent: "a", tags: ["z"], who: "Bo", urgent: false },
      { intent: "b", tags: ["y"], who: "Cy", urgent: false },
    ];
    const predicted = [
      // right in every field (tags in another order, a teacher-only note is not scored)
      { object: { intent: "a", tags: ["y", "x"], who: "Ann", urgent: true, note: "anything" }, confidence: 0.9 },
      // an extra tag and an extra value
      { object: { intent: "b", tags: ["x"], who: "Dee", urgent: false }, confidence: 0.8 },
      // a missed tag, the wrong value
      { object: { intent: "a", tags: [], who: "Bob", urgent: false }, confidence: 0.7 },
      // the wrong choice and boolean, a missed value
      { object: { intent: "a", tags: ["y"], who: null, urgent: true }, confidence: 0.6 },
    ];
    const e = evaluateStructured(FIELDS, reference, predicted);
    expect(e.n).toBe(4);
    expect(e.exact_match).toBe(0.25);
    expect(e.per_field.map((f) => f.field)).toEqual(["intent", "tags", "who", "urgent"]);
    const [intent, tags, who, urgent] = e.per_field;
    expect(intent).toEqual({ field: "intent", kind: "choice", accuracy: 0.75 });
    expect(urgent).toEqual({ field: "urgent", kind: "boolean", accuracy: 0.75 });
    // tags: reference x,y | – | z | y (4 values); predicted x,y | x | – | y: 3 hits of 4 predicted, 3 of 4 found
    expect(tags).toMatchObject({ kind: "tags", precision: 0.75, recall: 0.75, support: 4, exact: 0.5 });
    expect((tags as { f1: number }).f1).toBeCloseTo(0.75, 12);
    // who: reference Ann, Bo, Cy; predicted Ann, Dee, Bob: 1 hit of 3 predicted, 1 of 3 found
    expect(who).toMatchObject({ kind: "extract", precision: 1 / 3, recall: 1 / 3, support: 3, exact: 0.25 });
    // the most confident quarter is the exact one
    expect(e.coverage_exact_match[0]).toMatchObject({ accuracy: 1 });
  });

  it("takes nothing predicted and nothing to find as perfect, and refuses lengths that differ", () => {
    const e = evaluateStructured(FIELDS, [{ intent: "a", tags: [], who: null, urgent: false }], [{ object: { intent: "a", tags: null, urgent: false }, confidence: 1 }]);
    expect(e.exact_match).toBe(1);
    expect(e.per_field[1]).toMatchObject({ precision: 1, recall: 1, f1: 1, support: 0, exact: 1 });
    expect(() => evaluateStructured(FIELDS, [], [{ object: {}, confidence: 1 }])).toThrow(RangeError);
  });
});
