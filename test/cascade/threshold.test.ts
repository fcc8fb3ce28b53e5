import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { chooseThreshold, isCovered, type ScoredItem } from "../../src/cascade/threshold.js";
import { candidateGrid } from "../../src/cascade/threshold-grid.js";
import { clopperPearsonUpper, minSamplesForBound } from "../../src/cascade/binomial.js";
import { mulberry32 } from "../../src/engine/random.js";

const TARGET = { max_error: 0.05, confidence_level: 0.95 };

/** Recomputes the covered set of a threshold directly, to check the reported counts. */
function coveredStats(scored: ScoredItem[], threshold: number | null): { covered: number; errors: number } {
  let covered = 0;
  let errors = 0;
  for (const s of scored) {
    if (isCovered(s.confidence, threshold)) {
      covered++;
      if (!s.correct) errors++;
    }
  }
  return { covered, errors };
}

describe("isCovered", () => {
  it("covers confidences at or above the threshold, nothing under null", () => {
    expect(isCovered(0.9, 0.8)).toBe(true);
    expect(isCovered(0.8, 0.8)).toBe(true);
    expect(isCovered(0.79, 0.8)).toBe(false);
    expect(isCovered(1, null)).toBe(false);
  });
});

describe("candidateGrid", () => {
  it("is empty below the single-test minimum, and a lone n just above it", () => {
    expect(candidateGrid(58, 0.05, 0.95).counts).toEqual([]);
    expect(candidateGrid(58, 0.05, 0.95).minCovered).toBe(59);
    expect(candidateGrid(59, 0.05, 0.95)).toEqual({ counts: [59], starts: [0], level: 0.95, minCovered: 59 });
    expect(candidateGrid(60, 0.05, 0.95)).toMatchObject({ counts: [60], starts: [0], level: 0.95 });
  });

  it("is geometric from c0 up to n, with c0 valid at the Bonferroni level of its chains", () => {
    for (const n of [80, 150, 500, 2000, 10_000, 100_000]) {
      const { counts, starts, level } = candidateGrid(n, 0.05, 0.95);
      const m = counts.length;
      const s = starts.length;
      expect(s).toBeGreaterThanOrEqual(1);
      expect(s).toBeLessThanOrEqual(3);
      expect(level).toBeCloseTo(1 - 0.05 / s, 12);
      expect(counts[m - 1]).toBe(n);
      // Every candidate can pass with no errors at the level it is tested at.
      expect(counts[0]).toBeGreaterThanOrEqual(minSamplesForBound(0.05, level));
      for (let j = 1; j < m - 1; j++) {
        expect(counts[j]).toBe(Math.ceil(counts[0] * 1.1 ** j));
      }
      for (let j = 1; j < m; j++) expect(counts[j]).toBeGreaterThan(counts[j - 1]);
      // Chains start at the top, then about ×2 apart (7 grid steps of 1.1), the last clamped to n.
      expect(starts[0]).toBe(0);
      for (let k = 1; k < s; k++) expect(starts[k]).toBe(Math.min(7 * k, m - 1));
    }
    // Three chains once n is large, whatever n: the Bonferroni price does not grow with the grid.
    expect(candidateGrid(2000, 0.05, 0.95)).toMatchObject({ starts: [0, 7, 14], level: 1 - 0.05 / 3 });
    expect(candidateGrid(100_000, 0.05, 0.95).starts).toEqual([0, 7, 14]);
    expect(candidateGrid(2000, 0.05, 0.95).counts.slice(0, 8)).toEqual([80, 88, 97, 107, 118, 129, 142, 156]);
    expect(candidateGrid(2000, 0.05, 0.95, { ratio: 1.25 }).starts).toEqual([0, 3, 6]);
  });

  it("uses fewer chains when n is too small for distinct starts", () => {
    // n = 100: three chains would need c0 = 80 and start at 80 and 100 only; two start at 72 and 100.
    expect(candidateGrid(100, 0.05, 0.95)).toMatchObject({ counts: [72, 80, 88, 96, 100], starts: [0, 4], level: 0.975 });
    expect(candidateGrid(2000, 0.05, 0.95, { chains: 1 })).toMatchObject({ starts: [0], level: 0.95 });
    expect(candidateGrid(2000, 0.05, 0.95, { chains: 1 }).counts[0]).toBe(59);
  });

  it("gets shorter with a larger ratio, and rejects a ratio ≤ 1 or bad chain settings", () => {
    expect(candidateGrid(2000, 0.05, 0.95, { ratio: 2 }).counts.length).toBeLessThan(candidateGrid(2000, 0.05, 0.95).counts.length);
    expect(candidateGrid(2000, 0.05, 0.95, { ratio: 2 }).starts).toEqual([0, 1, 2]);
    expect(() => candidateGrid(100, 0.05, 0.95, { ratio: 1 })).toThrow(RangeError);
    expect(() => candidateGrid(100, 0.05, 0.95, { chains: 0 })).toThrow(RangeError);
    expect(() => candidateGrid(100, 0.05, 0.95, { chainSpacing: 1 })).toThrow(RangeError);
  });
});

describe("chooseThreshold", () => {
  it("counts errors in its reason with the right plural", () => {
    // 300 items, one wrong among the most confident: every slice that passes holds that one error.
    const items = Array.from({ length: 300 }, (_, i) => ({ confidence: 1 - i / 1000, correct: i !== 5 }));
    const choice = chooseThreshold(items, TARGET);
    expect(choice.errors).toBe(1);
    expect(choice.reason).toContain(" 1 error, ");
    expect(choice.reason).not.toMatch(/\b1 errors\b/);
  });

  it("refuses when there are too few held-out labels, saying how many are needed", () => {
    const scored = Array.from({ length: 30 }, (_, i) => ({ confidence: 0.9 + i / 1000, correct: true }));
    const choice = chooseThreshold(scored, TARGET);
    expect(choice.threshold).toBeNull();
    expect(choice.covered).toBe(0);
    expect(choice.coverage).toBe(0);
    expect(choice.upperBound).toBe(1);
    expect(choice.candidates).toBe(0);
    expect(choice.reason).toContain("59");
    expect(choice.reason).toContain("have 30");
    expect(chooseThreshold([], TARGET).threshold).toBeNull();
  });

  it("answers everything when 59 items are all correct, and nothing when one is wrong", () => {
    const scored = Array.from({ length: 59 }, (_, i) => ({ confidence: i / 59, correct: true }));
    const all = chooseThreshold(scored, TARGET);
    expect(all.threshold).toBe(0);
    expect(all.covered).toBe(59);
    expect(all.coverage).toBe(1);
    expect(all.candidates).toBe(1);
    expect(all.upperBound).toBeLessThanOrEqual(0.05);
    scored[40].correct = false;
    expect(chooseThreshold(scored, TARGET).threshold).toBeNull();
  });

  it("keeps a good specialist whose most confident answers include an error", () => {
    // 600 items at 1% error, one of the errors among the top 10: a single fixed sequence from the
    // top would stop at once; the later chains start past it.
    const scored = Array.from({ length: 600 }, (_, i) => ({ confidence: 1 - i / 600, correct: !(i === 3 || i % 100 === 50) }));
    const choice = chooseThreshold(scored, TARGET);
    expect(choice.threshold).not.toBeNull();
    expect(choice.covered).toBe(600);
    expect(choice.errors).toBe(7);
    expect(choice.upperBound).toBeLessThanOrEqual(0.05);
  });

  it("picks a high threshold when the specialist is accurate only at high confidence", () => {
    // 1,000 items, confidences 0.001 … 1; always right above 0.7, right half the time below.
    const scored = Array.from({ length: 1000 }, (_, i) => {
      const confidence = (i + 1) / 1000;
      return { confidence, correct: confidence > 0.7 || i % 2 === 0 };
    });
    const choice = chooseThreshold(scored, TARGET);
    expect(choice.threshold).not.toBeNull();
    expect(choice.threshold!).toBeGreaterThan(0.65);
    expect(choice.threshold!).toBeLessThan(0.8);
    // The grid gives up at most ~9% of the best coverage (30%).
    expect(choice.coverage).toBeGreaterThanOrEqual(0.27);
    expect(choice.coverage).toBeLessThan(0.35);
    expect(choice.errorRate).toBeLessThanOrEqual(0.05);
    expect(choice.upperBound).toBeLessThanOrEqual(0.05);
    expect(coveredStats(scored, choice.threshold)).toEqual({ covered: choice.covered, errors: choice.errors });
    expect(choice.upperBound).toBeCloseTo(clopperPearsonUpper(choice.errors, choice.covered, choice.testLevel), 12);
    // Tested at a chain's own share of α or more (α handed on along the walk), never more than α.
    expect(choice.testLevel).toBeLessThanOrEqual(1 - 0.05 / choice.candidates + 1e-12);
    expect(choice.testLevel).toBeGreaterThanOrEqual(0.95 - 1e-12);
    expect(choice.reason).toMatch(/^answers when confidence ≥/);
    expect(choice.candidates).toBe(3);
    expect(choice.reason).toMatch(/3 fixed-sequence chains/);
  });

  it("takes the largest passing slice, even when a smaller one fails", () => {
    // The 10 most confident items are half wrong; everything below is right. The first chains fail
    // at once (5 errors in the top 80, and in the top 157), the third starts at 306 and walks to
    // the whole set (0.25% error).
    const scored = Array.from({ length: 2000 }, (_, i) => ({ confidence: 1 - i / 2000, correct: i >= 10 || i % 2 === 1 }));
    expect(clopperPearsonUpper(5, 80, 1 - 0.05 / 3)).toBeGreaterThan(0.05);
    expect(clopperPearsonUpper(5, 157, 1 - 0.05 / 3)).toBeGreaterThan(0.05);
    const choice = chooseThreshold(scored, TARGET);
    expect(choice.covered).toBe(2000);
    expect(choice.errors).toBe(5);
    expect(choice.upperBound).toBeLessThanOrEqual(0.05);
  });

  it("does not skip past a failing slice within a chain (the price of fixed-sequence testing)", () => {
    // The 100 most confident items are half wrong; the whole set has 2.5% error and would pass
    // on its own, but every chain starts inside or just past the bad top and stops there.
    const scored = Array.from({ length: 2000 }, (_, i) => ({ confidence: 1 - i / 2000, correct: i >= 100 || i % 2 === 1 }));
    expect(clopperPearsonUpper(50, 2000, 1 - 0.05 / 3)).toBeLessThanOrEqual(0.05);
    const choice = chooseThreshold(scored, TARGET);
    expect(choice.threshold).toBeNull();
    expect(choice.reason).toMatch(/none of \d+ candidate slices in 3 fixed-sequence chains/);
  });

  it("refuses when every slice fails, saying more labels will not help", () => {
    const scored = Array.from({ length: 500 }, (_, i) => ({ confidence: 1 - i / 500, correct: i % 10 !== 0 }));
    const choice = chooseThreshold(scored, TARGET);
    expect(choice.threshold).toBeNull();
    expect(choice.reason).toMatch(/must not answer/);
    expect(choice.reason).toMatch(/more labels will not help/);
  });

  it("says roughly how many labels would prove the target when the top slice is accurate but too small", () => {
    // 100 items with 1% error at the top: cannot prove 5% with 100 labels, can with more.
    const scored = Array.from({ length: 100 }, (_, i) => ({ confidence: 1 - i / 100, correct: i !== 10 }));
    const choice = chooseThreshold(scored, TARGET);
    expect(choice.threshold).toBeNull();
    expect(choice.reason).toMatch(/about \d+ held-out items/);
  });

  it("covers every item tied at the threshold", () => {
    const scored: ScoredItem[] = [
      ...Array.from({ length: 80 }, () => ({ confidence: 0.9, correct: true })),
      ...Array.from({ length: 80 }, () => ({ confidence: 0.5, correct: true })),
      ...Array.from({ length: 80 }, () => ({ confidence: 0.2, correct: false })),
    ];
    const choice = chooseThreshold(scored, TARGET);
    expect(choice.threshold).toBe(0.5);
    expect(choice.covered).toBe(160);
    expect(choice.errors).toBe(0);
    // A single tie group is tested as a whole.
    const tied = Array.from({ length: 100 }, () => ({ confidence: 0.7, correct: true }));
    expect(chooseThreshold(tied, TARGET)).toMatchObject({ threshold: 0.7, covered: 100, coverage: 1 });
  });

  it("rejects invalid input", () => {
    expect(() => chooseThreshold([{ confidence: Number.NaN, correct: true }], TARGET)).toThrow(RangeError);
    expect(() => chooseThreshold([], { max_error: 0, confidence_level: 0.95 })).toThrow(RangeError);
    expect(() => chooseThreshold([], { max_error: 0.05, confidence_level: 1 })).toThrow(RangeError);
  });

  it("never reports a covered set whose observed error or bound exceeds max_error (property)", () => {
    // Synthetic held-out sets: accuracy rising with confidence at a random rate, optionally with
    // confidences rounded to a coarse grid so that many items tie.
    const dataset = fc
      .record({
        seed: fc.integer(),
        size: fc.integer({ min: 0, max: 1500 }),
        floor: fc.double({ min: 0.3, max: 1, noNaN: true }),
        grid: fc.constantFrom(0, 10, 100),
      })
      .map(({ seed, size, floor, grid }) => {
        const random = mulberry32(seed);
        return Array.from({ length: size }, () => {
          const raw = random();
          const confidence = grid === 0 ? raw : Math.round(raw * grid) / grid;
          return { confidence, correct: random() < floor + (1 - floor) * confidence };
        });
      });
    let chosen = 0;
    fc.assert(
      fc.property(
        dataset,
        fc.constantFrom(0.02, 0.05, 0.1, 0.3),
        fc.constantFrom(0.8, 0.9, 0.95),
        fc.constantFrom(1.1, 1.25, 2),
        (scored, maxError, level, gridRatio) => {
          const choice = chooseThreshold(scored, { max_error: maxError, confidence_level: level }, { gridRatio });
          const stats = coveredStats(scored, choice.threshold);
          expect(stats).toEqual({ covered: choice.covered, errors: choice.errors });
          if (choice.threshold === null) {
            expect(choice.covered).toBe(0);
          } else {
            chosen++;
            expect(choice.errorRate).toBeLessThanOrEqual(maxError);
            expect(choice.upperBound).toBeLessThanOrEqual(maxError);
            expect(choice.coverage).toBeCloseTo(choice.covered / scored.length, 12);
          }
        },
      ),
      { numRuns: 300, seed: 7 },
    );
    // The property is not vacuous: a good share of the draws do choose a threshold.
    expect(chosen).toBeGreaterThan(60);
  });

  it("handles 100k items", () => {
    const random = mulberry32(123);
    const scored = Array.from({ length: 100_000 }, () => {
      const confidence = random();
      return { confidence, correct: random() < 0.5 + 0.5 * confidence };
    });
    const choice = chooseThreshold(scored, TARGET);
    // True error at t is 0.25·(1 − t): the target holds for t ≥ 0.8.
    expect(choice.threshold).not.toBeNull();
    expect(choice.threshold!).toBeGreaterThan(0.8);
    expect(choice.threshold!).toBeLessThan(0.9);
    expect(coveredStats(scored, choice.threshold)).toEqual({ covered: choice.covered, errors: choice.errors });
  });
});
