// The figures the stats route derives from the request log: savings and the audit's status.
import { describe, expect, it } from "vitest";
import { auditSummary } from "../../src/server/task-stats.js";
import { parseTask } from "../../src/task/definition.js";

const task = parseTask({ name: "t", instructions: "x", labels: [{ name: "a" }, { name: "b" }], routing: { max_error: 0.05, confidence_level: 0.95 } });

describe("auditSummary", () => {
  it("grades the upper bound of the disagreement rate against max_error", () => {
    expect(auditSummary(0, 0, task)).toMatchObject({ status: "no_audits", agreement: null, disagreement_upper_bound: 1 });
    // 0 of 200: the 95% bound is 1 − 0.05^(1/200) ≈ 0.0149, far below 0.05.
    const clean = auditSummary(200, 0, task);
    expect(clean.status).toBe("ok");
    expect(clean.disagreement_upper_bound).toBeCloseTo(1 - Math.pow(0.05, 1 / 200), 6);
    expect(clean.agreement).toBe(1);
    // 3 of 100: the bound is about 0.0757, past 0.05 although the observed rate is below it.
    expect(auditSummary(100, 3, task).status).toBe("exceeded");
    // Between 0.8 × 0.05 and 0.05: near.
    const near = auditSummary(300, 7, task);
    expect(near.disagreement_upper_bound).toBeGreaterThanOrEqual(0.04);
    expect(near.disagreement_upper_bound).toBeLessThan(0.05);
    expect(near.status).toBe("near");
  });
});
