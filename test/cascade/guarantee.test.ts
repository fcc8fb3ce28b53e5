// The statistical guarantee, checked by simulation: over many calibration draws, the chosen
// threshold's true error (known in closed form here) exceeds max_error in at most
// 1 − confidence_level of the draws (plus sampling slack).
//
// Mean coverage of these scenarios, 400 draws each (violations in brackets):
//   smooth: 2,000 items, error rising from 0 at confidence 1:  fixed-sequence from the top 59 items 4.9%
//           (answers in 258 draws), Bonferroni over a 1.25 grid 2.4% (112 draws, 1 violation),
//           fallback chains (threshold.ts now) 6.0% (237 draws, 4 violations)
//   flat:   400 items, 1% error above 0.5, 40% below:          fixed-sequence 23.1% (220 draws),
//           Bonferroni grid 31.1% (269 draws, 0), fallback chains 38.9% (323 draws, 0)
// A single fixed sequence wins only when the very top is error-free; one early error refuses a
// good specialist, which is the common case for a young specialist trained on a noisy teacher.
// Several label-independent starts, handing level on along passing slices, avoid that.
import { describe, expect, it } from "vitest";
import { chooseThreshold, lookLevel, type ScoredItem } from "../../src/cascade/threshold.js";
import { mulberry32 } from "../../src/engine/random.js";
import { naiveThreshold } from "./naive-threshold.js";

const TARGET = { max_error: 0.05, confidence_level: 0.95 };
const RUNS = 400;
const ALPHA = 1 - TARGET.confidence_level;
const SLACK = 3 * Math.sqrt((ALPHA * (1 - ALPHA)) / RUNS);

interface Scenario {
  items: number;
  /** P(correct | confidence c), with c ~ Uniform(0, 1). */
  accuracy: (c: number) => number;
  /** True error of "answer when confidence ≥ t". */
  trueError: (t: number) => number;
}

/** Over-confident specialist: P(correct | c) = ½ + ½c, so the error is ¼(1 − t); the target holds for t ≥ 0.8. */
const SMOOTH: Scenario = { items: 2000, accuracy: (c) => 0.5 + 0.5 * c, trueError: (t) => 0.25 * (1 - t) };

/**
 * A good specialist early on: 1% error above confidence 0.5, 40% below. For t < 0.5 the error is
 * (0.005 + 0.4·(0.5 − t)) / (1 − t), ≤ 5% for t ≥ 0.443 (best coverage 55.7%).
 */
const FLAT: Scenario = {
  items: 400,
  accuracy: (c) => (c >= 0.5 ? 0.99 : 0.6),
  trueError: (t) => (t >= 0.5 ? 0.01 : (0.005 + 0.4 * (0.5 - t)) / (1 - t)),
};

function draw(scenario: Scenario, seed: number): ScoredItem[] {
  const random = mulberry32(seed);
  return Array.from({ length: scenario.items }, () => {
    const confidence = random();
    return { confidence, correct: random() < scenario.accuracy(confidence) };
  });
}

/** Median true error of the chosen thresholds over `runs` draws of a scenario (a refusal counts as 0: it spends none of the budget). */
function medianRealisedError(scenario: Scenario, runs: number, target: typeof TARGET): number {
  const errors: number[] = [];
  for (let r = 0; r < runs; r++) {
    const choice = chooseThreshold(draw(scenario, 7000 + r), target);
    errors.push(choice.threshold === null ? 0 : scenario.trueError(choice.threshold));
  }
  errors.sort((a, b) => a - b);
  return errors[runs >> 1];
}

function run(scenario: Scenario) {
  let violations = 0;
  let naiveViolations = 0;
  let coverageSum = 0;
  let answered = 0;
  for (let r = 0; r < RUNS; r++) {
    const scored = draw(scenario, 1000 + r);
    const choice = chooseThreshold(scored, TARGET);
    coverageSum += choice.coverage;
    if (choice.threshold !== null) {
      answered++;
      if (scenario.trueError(choice.threshold) > TARGET.max_error) violations++;
    }
    const naive = naiveThreshold(scored, TARGET.max_error);
    if (naive !== null && scenario.trueError(naive) > TARGET.max_error) naiveViolations++;
  }
  return { share: violations / RUNS, violations, naiveViolations, answered, meanCoverage: coverageSum / RUNS };
}

describe("chooseThreshold guarantee (simulation)", () => {
  it(`keeps the true error ≤ max_error in ≥ ${TARGET.confidence_level} of ${RUNS} draws when the error rises smoothly`, () => {
    const r = run(SMOOTH);
    console.info(
      `guarantee (smooth): ${r.violations}/${RUNS} runs violate (limit ${(ALPHA + SLACK).toFixed(4)}); answered in ${r.answered} runs; ` +
        `mean coverage ${r.meanCoverage.toFixed(4)}; naive method violates in ${r.naiveViolations}/${RUNS}`,
    );
    expect(r.share).toBeLessThanOrEqual(ALPHA + SLACK);
    // Not trivially conservative: it does answer (the best possible coverage here is 20%).
    expect(r.meanCoverage).toBeGreaterThan(0);
    expect(r.answered).toBeGreaterThan(RUNS / 5);
    // The simulation can tell a method without the guarantee apart.
    expect(r.naiveViolations / RUNS).toBeGreaterThan(0.25);
  });

  it("keeps the guarantee and answers most of the time for a good specialist with a small flat error", () => {
    const r = run(FLAT);
    console.info(
      `guarantee (flat): ${r.violations}/${RUNS} runs violate (limit ${(ALPHA + SLACK).toFixed(4)}); answered in ${r.answered} runs; ` +
        `mean coverage ${r.meanCoverage.toFixed(4)}; naive method violates in ${r.naiveViolations}/${RUNS}`,
    );
    expect(r.share).toBeLessThanOrEqual(ALPHA + SLACK);
    expect(r.answered).toBeGreaterThan(0.6 * RUNS);
    expect(r.meanCoverage).toBeGreaterThan(0.25);
  });

  // The other side of the guarantee: the budget should be used. On 5,000 exchangeable items (the
  // size of a mature holdout) the best threshold covers ~1,000 items at exactly 5%, and the
  // Clopper–Pearson slack at that size is ~1.5 points, so a procedure that pays only for what it
  // must lands near 3.3% (measured: 3.2%). Testing every slice at α/20 instead — what Bonferroni
  // over a 20-point grid pays — lands near 1.1%, and the bar below tells the two apart.
  it("uses most of the error budget on a large exchangeable holdout (not needlessly conservative)", () => {
    const BIG: Scenario = { ...SMOOTH, items: 5000 };
    const median = medianRealisedError(BIG, 200, TARGET);
    const conservative = medianRealisedError(BIG, 200, { ...TARGET, confidence_level: 1 - ALPHA / 20 });
    console.info(`budget used (smooth, 5,000 items): median true error ${median.toFixed(4)}; at α/20 ${conservative.toFixed(4)}`);
    expect(median).toBeGreaterThanOrEqual(0.6 * TARGET.max_error);
    expect(median).toBeLessThanOrEqual(TARGET.max_error);
    // The bar can fail: a needlessly conservative level falls below it.
    expect(conservative).toBeLessThan(0.6 * TARGET.max_error);
  });
});

// One model version looked at again and again as its holdout grows (what the cold start once did:
// every 25 new held-out items, keeping the first threshold that passes). Every slice misses the
// target here (5.5% error everywhere), so any threshold is a violation.
describe("repeated looks at one version (simulation)", () => {
  const MISSES: Scenario = { items: 800, accuracy: () => 0.945, trueError: () => 0.055 };

  /** Share of runs in which some look, at `levelOf(look)`, passes a threshold. */
  function everPasses(levelOf: (look: number) => number): number {
    let passed = 0;
    for (let r = 0; r < RUNS; r++) {
      const items = draw(MISSES, 3000 + r);
      let look = 0;
      for (let n = 100; n <= items.length; n += 25) {
        const choice = chooseThreshold(items.slice(0, n), { max_error: TARGET.max_error, confidence_level: levelOf(look++) });
        if (choice.threshold !== null) {
          passed++;
          break;
        }
      }
    }
    return passed / RUNS;
  }

  it("lets a version that misses the target through far more often than α when every look is at the full level", () => {
    const share = everPasses(() => TARGET.confidence_level);
    console.info(`repeated looks at the full level: ${(100 * share).toFixed(1)}% of runs pass (α ${ALPHA})`);
    expect(share).toBeGreaterThan(ALPHA + SLACK);
  });

  it("keeps it to α when the looks spend the budget with lookLevel", () => {
    const share = everPasses((look) => lookLevel(TARGET.confidence_level, look));
    console.info(`repeated looks with lookLevel: ${(100 * share).toFixed(1)}% of runs pass (α ${ALPHA})`);
    expect(share).toBeLessThanOrEqual(ALPHA + SLACK);
  });

  it("spends 90% of α on the first look and the rest on later ones, never more than α in all", () => {
    const alpha = (look: number) => 1 - lookLevel(TARGET.confidence_level, look);
    expect(alpha(0)).toBeCloseTo(0.9 * ALPHA, 12);
    let total = 0;
    for (let k = 0; k < 60; k++) total += alpha(k);
    expect(total).toBeLessThanOrEqual(ALPHA + 1e-12);
    expect(total).toBeGreaterThan(0.999 * ALPHA);
    expect(() => lookLevel(0.95, -1)).toThrow(RangeError);
  });
});
