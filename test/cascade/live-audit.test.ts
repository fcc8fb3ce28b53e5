import { describe, expect, it } from "vitest";
import { LiveAudit } from "../../src/cascade/live-audit.js";
import { clopperPearsonUpper, minSamplesForBound } from "../../src/cascade/binomial.js";

describe("LiveAudit", () => {
  it("counts audits and disagreements", () => {
    const audit = new LiveAudit();
    expect(audit.n).toBe(0);
    expect(audit.errors).toBe(0);
    expect(audit.errorRate).toBe(0);
    expect(audit.upperBound(0.95)).toBe(1);
    expect(audit.lowerBound(0.95)).toBe(0);
    audit.record(true);
    audit.record(false);
    audit.record(true);
    expect(audit.n).toBe(3);
    expect(audit.errors).toBe(1);
    expect(audit.errorRate).toBeCloseTo(1 / 3, 12);
    expect(audit.upperBound(0.95)).toBe(clopperPearsonUpper(1, 3, 0.95));
  });

  it("does not exceed before there are enough audits to mean anything", () => {
    const audit = new LiveAudit();
    // Under 59 audits even a perfect record cannot prove 5%, so a high upper bound is no signal yet.
    for (let i = 0; i < 57; i++) audit.record(true);
    audit.record(false);
    expect(audit.n).toBeLessThan(minSamplesForBound(0.05, 0.95));
    expect(audit.upperBound(0.95)).toBeGreaterThan(0.05);
    expect(audit.exceeds(0.05, 0.95)).toBe(false);
  });

  it("does not exceed while the record still certifies the target", () => {
    const audit = new LiveAudit();
    for (let i = 0; i < 59; i++) audit.record(true);
    expect(audit.exceeds(0.05, 0.95)).toBe(false);
    // 1,000 audits with 30 disagreements (3%): upper bound ≈ 4.1% ≤ 5%.
    for (let i = 0; i < 911; i++) audit.record(true);
    for (let i = 0; i < 30; i++) audit.record(false);
    expect(audit.n).toBe(1000);
    expect(audit.upperBound(0.95)).toBeLessThanOrEqual(0.05);
    expect(audit.exceeds(0.05, 0.95)).toBe(false);
  });

  it("exceeds only after enough disagreements", () => {
    const audit = new LiveAudit();
    for (let i = 0; i < 1000; i++) audit.record(true);
    let disagreements = 0;
    while (!audit.exceeds(0.05, 0.95)) {
      audit.record(false);
      disagreements++;
      expect(disagreements).toBeLessThan(100);
    }
    // Exactly the first count at which the upper bound passes 5%.
    expect(audit.upperBound(0.95)).toBeGreaterThan(0.05);
    expect(clopperPearsonUpper(disagreements - 1, 1000 + disagreements - 1, 0.95)).toBeLessThanOrEqual(0.05);
    expect(disagreements).toBeGreaterThan(30);
  });

  it("exceeds early when the specialist is provably worse than the target", () => {
    const audit = new LiveAudit();
    for (let i = 0; i < 10; i++) audit.record(false);
    expect(audit.n).toBeLessThan(minSamplesForBound(0.05, 0.95));
    expect(audit.lowerBound(0.95)).toBeGreaterThan(0.05);
    expect(audit.exceeds(0.05, 0.95)).toBe(true);
  });

  it("raises the evidence alarm only when the specialist is provably worse than the target", () => {
    const audit = new LiveAudit();
    // 3 disagreements in 100 (3%): exceeds() already fires, the evidence rule does not.
    for (let i = 0; i < 97; i++) audit.record(true);
    for (let i = 0; i < 3; i++) audit.record(false);
    expect(audit.exceeds(0.05, 0.95)).toBe(true);
    expect(audit.provablyExceeds(0.05, 0.95)).toBe(false);
    // 12 in 100: the lower bound is above 5%.
    for (let i = 0; i < 9; i++) audit.record(false);
    expect(audit.lowerBound(0.95)).toBeGreaterThan(0.05);
    expect(audit.provablyExceeds(0.05, 0.95)).toBe(true);
    // Two disagreements out of two already prove a 10% target is missed.
    const early = new LiveAudit();
    early.record(false);
    expect(early.provablyExceeds(0.1, 0.95)).toBe(false);
    early.record(false);
    expect(early.provablyExceeds(0.1, 0.95)).toBe(true);
  });

  it("forgets everything on reset", () => {
    const audit = new LiveAudit();
    for (let i = 0; i < 10; i++) audit.record(false);
    audit.reset();
    expect(audit.n).toBe(0);
    expect(audit.errors).toBe(0);
    expect(audit.exceeds(0.05, 0.95)).toBe(false);
  });
});
