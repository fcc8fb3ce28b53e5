// The figures the stats route derives from the request log: savings and the audit's status.
import { describe, expect, it } from "vitest";
import { auditSummary } from "../../src/server/runtime/task-stats.js";
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
