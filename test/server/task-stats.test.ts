// The figures the stats route derives from the request log: savings and the audit's status.
import { describe, expect, it } from "vitest";
import { auditsByAnswer, auditSummary, MAX_ANSWER_AUDITS } from "../../src/server/runtime/task-stats.js";
import { parseTask } from "../../src/task/definition.js";

const task = parseTask({ name: "t", instructions: "x", labels: [{ name: "a" }, { name: "b" }], routing: { max_error: 0.05, confidence_level: 0.95 } });

describe("auditSummary", () => {
  it("grades the upper bound of the disagreement rate against max_error", () => {
    expect(auditSummary(0, 0, 0, task)).toMatchObject({ status: "no_audits", agreement: null, disagreement_upper_bound: 1 });
    // 0 of 200: the 95% bound is 1 − 0.05^(1/200) ≈ 0.0149, far below 0.05.
    const clean = auditSummary(200, 0, 0, task);
    expect(clean.status).toBe("ok");
    expect(clean.disagreement_upper_bound).toBeCloseTo(1 - Math.pow(0.05, 1 / 200), 6);
    expect(clean.agreement).toBe(1);
    // 1 of 30: the bound (about 0.15) cannot prove 0.05 yet, and nothing suggests trouble.
    expect(auditSummary(30, 1, 0, task).status).toBe("unproven");
    // 5 of 100 observed (at max_error), proven neither way: near.
    const near = auditSummary(100, 5, 0, task);
    expect(near.disagreement_upper_bound).toBeGreaterThan(0.05);
    expect(near.status).toBe("near");
    // 30 of 200: even the lower bound (about 0.11) is past 0.05.
    expect(auditSummary(200, 30, 0, task).status).toBe("exceeded");
  });

  it("reports the share of audits the teacher called none of these", () => {
    expect(auditSummary(0, 0, 0, task).none_share).toBeNull();
    expect(auditSummary(200, 12, 8, task).none_share).toBeCloseTo(0.04, 12);
  });
});

describe("auditsByAnswer", () => {
  const pair = (label: string, teacher_label: string, count: number) => ({ label, teacher_label, count });

  it("counts each answer's audits and disagreements, and what the teacher said instead most often", () => {
    const [a] = auditsByAnswer([pair("a", "a", 53), pair("a", "b", 5), pair("a", "none", 2)], task);
    expect(a).toMatchObject({ answer: "a", audited: 60, disagreements: 7, teacher_instead: "b", teacher_instead_count: 5 });
    expect(a.disagreement_upper_bound).toBeCloseTo(auditSummary(60, 7, 0, task).disagreement_upper_bound, 12);
    // Alone, 7 of 60 proves the rate past 5% at 95% (lower bound 0.056).
    expect(a.status).toBe("exceeded");
    // An answer the teacher always confirmed has nothing instead; a tie goes to the first in order.
    expect(auditsByAnswer([pair("b", "b", 10)], task)[0]).toMatchObject({ teacher_instead: null, teacher_instead_count: 0, status: "unproven" });
    expect(auditsByAnswer([pair("b", "z", 2), pair("b", "c", 2)], task)[0].teacher_instead).toBe("c");
  });

  it("shares the confidence level among the answers audited before calling one exceeded", () => {
    // With a second answer audited, each is tested at 97.5%: 7 of 60 (lower bound 0.048) is only near.
    const rows = auditsByAnswer([pair("a", "a", 53), pair("a", "b", 7), pair("b", "b", 100)], task);
    expect(rows.map((r) => [r.answer, r.status])).toEqual([
      ["a", "near"],
      ["b", "ok"],
    ]);
  });

  it("lists the answers proven past max_error first, then by disagreement rate, at most MAX_ANSWER_AUDITS", () => {
    const pairs = [pair("a", "a", 53), pair("a", "b", 7), pair("b", "b", 100), pair("c", "c", 18), pair("c", "a", 20), pair("c", "b", 2)];
    expect(auditsByAnswer(pairs, task).map((r) => [r.answer, r.status, r.teacher_instead])).toEqual([
      ["c", "exceeded", "a"],
      ["a", "near", "b"],
      ["b", "ok", null],
    ]);
    // An answer the live version holds comes first with the proven ones, and says so.
    const withHold = auditsByAnswer(pairs, task, new Set(["b"]));
    expect(withHold.map((r) => [r.answer, r.on_hold])).toEqual([
      ["c", false],
      ["b", true],
      ["a", false],
    ]);
    const many = Array.from({ length: MAX_ANSWER_AUDITS + 5 }, (_, i) => pair(`l${i}`, i % 2 === 0 ? `l${i}` : "x", i + 1));
    const listed = auditsByAnswer(many, task);
    expect(listed).toHaveLength(MAX_ANSWER_AUDITS);
    // Every answer that always disagreed (rate 1) comes before any that never did.
    expect(listed.slice(0, 27).every((r) => r.disagreements === r.audited)).toBe(true);
  });
});
