import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  betaQuantile,
  clopperPearsonLower,
  clopperPearsonUpper,
  logGamma,
  minSamplesForBound,
  regularizedIncompleteBeta,
} from "../../src/cascade/binomial.js";

/** ∫_0^x of the Beta(a, b) density by composite Simpson's rule (a, b ≥ 1, so the integrand is smooth). */
function integrateBetaCdf(x: number, a: number, b: number, steps = 20_000): number {
  const lnB = logGamma(a) + logGamma(b) - logGamma(a + b);
  const pdf = (t: number) => (Math.pow(t, a - 1) * Math.pow(1 - t, b - 1)) / Math.exp(lnB);
  const h = x / steps;
  let sum = pdf(0) + pdf(x);
  for (let i = 1; i < steps; i++) sum += (i % 2 === 1 ? 4 : 2) * pdf(i * h);
  return (sum * h) / 3;
}

/** The p-quantile of Beta(a, b) by bisection on the numerically integrated CDF. */
function bruteForceBetaQuantile(p: number, a: number, b: number): number {
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 50; i++) {
    const mid = (lo + hi) / 2;
    if (integrateBetaCdf(mid, a, b) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** P(X ≤ k) for X ~ Binomial(n, p), by direct summation. */
function binomialCdf(k: number, n: number, p: number): number {
  let sum = 0;
  for (let i = 0; i <= k; i++) {
    const logChoose = logGamma(n + 1) - logGamma(i + 1) - logGamma(n - i + 1);
    sum += Math.exp(logChoose + i * Math.log(p) + (n - i) * Math.log1p(-p));
  }
  return sum;
}

describe("logGamma", () => {
  it("matches known values", () => {
    expect(logGamma(1)).toBeCloseTo(0, 14);
    expect(logGamma(2)).toBeCloseTo(0, 14);
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 13);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 13);
    expect(logGamma(0.1)).toBeCloseTo(2.252712651734206, 12);
    // ln(99!) by summation.
    let lnFact = 0;
    for (let i = 2; i <= 99; i++) lnFact += Math.log(i);
    expect(logGamma(100)).toBeCloseTo(lnFact, 9);
  });
});

describe("regularizedIncompleteBeta", () => {
  it("matches closed forms", () => {
    for (const x of [0.001, 0.1, 0.5, 0.9, 0.999]) {
      for (const b of [1, 2.5, 7, 100]) {
        expect(regularizedIncompleteBeta(x, 1, b)).toBeCloseTo(1 - Math.pow(1 - x, b), 12);
        expect(regularizedIncompleteBeta(x, b, 1)).toBeCloseTo(Math.pow(x, b), 12);
      }
    }
    expect(regularizedIncompleteBeta(0.3, 2, 3)).toBeCloseTo(0.3483, 12);
    expect(regularizedIncompleteBeta(0, 2, 3)).toBe(0);
    expect(regularizedIncompleteBeta(1, 2, 3)).toBe(1);
  });

  it("matches numeric integration of the density", () => {
    for (const [x, a, b] of [
      [0.2, 2, 19],
      [0.1, 6, 95],
      [0.7, 3.5, 2.25],
      [0.45, 30, 40],
      [0.05, 2, 80],
    ]) {
      expect(regularizedIncompleteBeta(x, a, b)).toBeCloseTo(integrateBetaCdf(x, a, b), 9);
    }
  });

  it("satisfies the symmetry I_x(a, b) = 1 − I_{1−x}(b, a)", () => {
    for (const [x, a, b] of [
      [0.3, 4, 9],
      [0.8, 120, 30],
      [0.01, 3, 1000],
    ]) {
      expect(regularizedIncompleteBeta(x, a, b)).toBeCloseTo(1 - regularizedIncompleteBeta(1 - x, b, a), 12);
    }
  });
});

describe("betaQuantile", () => {
  it("inverts the incomplete beta function to ~1e-10", () => {
    for (const [p, a, b] of [
      [0.95, 2, 19],
      [0.05, 5, 96],
      [0.5, 1, 1],
      [0.999, 3, 40000],
      [0.01, 500, 20000],
      [0.9, 0.5, 0.5],
    ]) {
      const x = betaQuantile(p, a, b);
      expect(regularizedIncompleteBeta(x, a, b)).toBeCloseTo(p, 10);
    }
    expect(betaQuantile(0, 2, 3)).toBe(0);
    expect(betaQuantile(1, 2, 3)).toBe(1);
  });
});

describe("clopperPearsonUpper", () => {
  it("is exactly 1 − (1 − cl)^(1/n) for 0 errors, also through the general beta quantile", () => {
    for (const n of [1, 2, 10, 59, 1000, 123_456]) {
      for (const cl of [0.8, 0.95, 0.99]) {
        const exact = 1 - Math.pow(1 - cl, 1 / n);
        expect(clopperPearsonUpper(0, n, cl)).toBeCloseTo(exact, 14);
        expect(betaQuantile(cl, 1, n)).toBeCloseTo(exact, 11);
      }
    }
  });

  it("handles the edge cases", () => {
    expect(clopperPearsonUpper(0, 0, 0.95)).toBe(1);
    expect(clopperPearsonUpper(7, 7, 0.95)).toBe(1);
    expect(clopperPearsonLower(0, 0, 0.95)).toBe(0);
    expect(clopperPearsonLower(0, 30, 0.95)).toBe(0);
    expect(clopperPearsonLower(10, 10, 0.95)).toBeCloseTo(Math.pow(0.05, 1 / 10), 14);
    expect(() => clopperPearsonUpper(3, 2, 0.95)).toThrow(RangeError);
    expect(() => clopperPearsonUpper(-1, 2, 0.95)).toThrow(RangeError);
    expect(() => clopperPearsonUpper(1.5, 2, 0.95)).toThrow(RangeError);
    expect(() => clopperPearsonUpper(1, 2, 1)).toThrow(RangeError);
  });

  it("matches published values, checked against numeric integration and the binomial tail", () => {
    const cases: [number, number, number][] = [
      [1, 20, 0.2161],
      [5, 100, 0.1023],
    ];
    for (const [errors, n, published] of cases) {
      const upper = clopperPearsonUpper(errors, n, 0.95);
      expect(upper).toBeCloseTo(published, 4);
      expect(upper).toBeCloseTo(bruteForceBetaQuantile(0.95, errors + 1, n - errors), 8);
      // Definition of the exact bound: P(Binomial(n, upper) ≤ errors) = 1 − cl.
      expect(binomialCdf(errors, n, upper)).toBeCloseTo(0.05, 10);
    }
  });

  it("is the exact bound on other values too", () => {
    for (const [errors, n, cl] of [
      [3, 10, 0.9],
      [50, 1000, 0.95],
      [200, 5000, 0.99],
      [1, 2, 0.95],
    ]) {
      const upper = clopperPearsonUpper(errors, n, cl);
      expect(binomialCdf(errors, n, upper)).toBeCloseTo(1 - cl, 10);
      const lower = clopperPearsonLower(errors, n, cl);
      expect(1 - binomialCdf(errors - 1, n, lower)).toBeCloseTo(1 - cl, 10);
    }
  });

  it("increases with errors and decreases with n", () => {
    for (const n of [5, 40, 300]) {
      let previous = -1;
      for (let e = 0; e <= n; e++) {
        const u = clopperPearsonUpper(e, n, 0.95);
        expect(u).toBeGreaterThan(previous);
        previous = u;
      }
    }
    for (const e of [0, 1, 7]) {
      let previous = 2;
      for (let n = Math.max(e, 1); n <= 400; n++) {
        const u = clopperPearsonUpper(e, n, 0.95);
        expect(u).toBeLessThanOrEqual(previous);
        if (n > e) expect(u).toBeLessThan(previous);
        previous = u;
      }
    }
  });

  it("is bounded, above the observed rate, and shrinks with n at a fixed rate (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0.5, max: 0.999, noNaN: true }),
        fc.integer({ min: 2, max: 20 }),
        (n, share, cl, k) => {
          const errors = Math.min(n, Math.floor(share * n));
          const upper = clopperPearsonUpper(errors, n, cl);
          const lower = clopperPearsonLower(errors, n, cl);
          expect(upper).toBeGreaterThanOrEqual(0);
          expect(upper).toBeLessThanOrEqual(1);
          expect(lower).toBeGreaterThanOrEqual(0);
          expect(lower).toBeLessThanOrEqual(errors / n);
          expect(upper).toBeGreaterThanOrEqual(errors / n);
          if (errors < n) expect(upper).toBeGreaterThan(errors / n);
          // Same proportion, k times the evidence: the bound tightens.
          const scaled = clopperPearsonUpper(k * errors, k * n, cl);
          if (errors < n) expect(scaled).toBeLessThan(upper);
          else expect(scaled).toBe(1);
        },
      ),
      { numRuns: 300, seed: 42 },
    );
  });
});

describe("minSamplesForBound", () => {
  it("is the least n at which 0 errors proves the target", () => {
    expect(minSamplesForBound(0.05, 0.95)).toBe(59);
    expect(minSamplesForBound(0.01, 0.99)).toBe(459);
    expect(minSamplesForBound(0.1, 0.9)).toBe(22);
    for (const [maxError, cl] of [
      [0.05, 0.95],
      [0.02, 0.9],
      [0.3, 0.6],
      [0.001, 0.999],
      [0.5, 0.75],
    ]) {
      const n = minSamplesForBound(maxError, cl);
      expect(clopperPearsonUpper(0, n, cl)).toBeLessThanOrEqual(maxError);
      if (n > 1) expect(clopperPearsonUpper(0, n - 1, cl)).toBeGreaterThan(maxError);
    }
    expect(() => minSamplesForBound(0, 0.95)).toThrow(RangeError);
  });
});
