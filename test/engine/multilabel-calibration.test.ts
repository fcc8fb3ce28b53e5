import { describe, expect, it } from "vitest";
import { chooseLabels, fitLabelCalibration, fitPlatt, fitSharedTemperature, sigmoid } from "../../src/engine/multilabel-calibration.js";
import { tuneThresholds } from "../../src/engine/multilabel-thresholds.js";
import { mulberry32 } from "../../src/engine/random.js";

/** Scores drawn uniformly from [-4, 4] and outcomes drawn with P(1) = σ(slope · score + intercept). */
function plattData(n: number, slope: number, intercept: number, seed: number) {
  const random = mulberry32(seed);
  const scores = Float64Array.from({ length: n }, () => random() * 8 - 4);
  const outcomes = Uint8Array.from(scores, (s) => (random() < sigmoid(slope * s + intercept) ? 1 : 0));
  return { scores, outcomes };
}

describe("Platt scaling", () => {
  it("recovers the slope and intercept the outcomes were drawn with", () => {
    const { scores, outcomes } = plattData(20000, 0.4, -1.2, 1);
    const fit = fitPlatt(scores, outcomes);
    expect(fit.slope).toBeCloseTo(0.4, 1);
    expect(fit.intercept).toBeCloseTo(-1.2, 1);
  });

  it("stays finite when the scores separate the outcomes perfectly", () => {
    const scores = Float64Array.from([-3, -2, -1, 1, 2, 3]);
    const fit = fitPlatt(scores, Uint8Array.from([0, 0, 0, 1, 1, 1]));
    expect(Number.isFinite(fit.slope) && Number.isFinite(fit.intercept)).toBe(true);
    // Platt's smoothed targets: the surest positive stays below 1.
    expect(sigmoid(fit.slope * 3 + fit.intercept)).toBeLessThan(0.99);
    expect(fit.slope).toBeGreaterThan(0);
  });

  it("fits one shared temperature for logits that are twice too sure", () => {
    const { scores, outcomes } = plattData(20000, 0.5, 0, 2);
    expect(fitSharedTemperature(scores, outcomes)).toBeCloseTo(2, 1);
  });

  it("gives a label its own fit only with enough held-out positives and negatives", () => {
    const n = 4000;
    const a = plattData(n, 0.5, 1, 3);
    const random = mulberry32(4);
    // Two labels: the first common, the second with 3 positives.
    const logits = new Float64Array(2 * n);
    const targets = new Uint8Array(2 * n);
    for (let i = 0; i < n; i++) {
      logits[2 * i] = a.scores[i];
      targets[2 * i] = a.outcomes[i];
      logits[2 * i + 1] = random() * 2 - 6;
      targets[2 * i + 1] = i < 3 ? 1 : 0;
    }
    const c = fitLabelCalibration(logits, targets, 2, 10);
    expect([...c.ownFit]).toEqual([1, 0]);
    expect(c.slope[0]).toBeCloseTo(0.5, 1);
    expect(c.intercept[0]).toBeCloseTo(1, 1);
    expect(c.intercept[1]).toBe(0);
  });
});

describe("choosing labels", () => {
  it("takes the labels at or above their threshold and scores the set as if labels were independent", () => {
    const chosen = new Uint8Array(3);
    const logOdds = chooseLabels([0.9, 0.4, 0.2], [0.5, 0.3, 0.5], chosen);
    expect([...chosen]).toEqual([1, 1, 0]);
    const p = 0.9 * 0.4 * 0.8;
    expect(logOdds).toBeCloseTo(Math.log(p / (1 - p)), 12);
  });

  it("scores an empty set by every label being off", () => {
    const chosen = new Uint8Array(2);
    const logOdds = chooseLabels([0.1, 0.3], [0.5, 0.5], chosen);
    expect([...chosen]).toEqual([0, 0]);
    expect(logOdds).toBeCloseTo(Math.log(0.63 / 0.37), 12);
  });
});

describe("threshold tuning", () => {
  /** One label: `n` texts whose calibrated probability is p, and how many of them are positive. */
  function oneLabel(groups: { p: number; n: number; positives: number }[]) {
    const probabilities: number[] = [];
    const targets: number[] = [];
    for (const g of groups) for (let i = 0; i < g.n; i++) {
      probabilities.push(g.p);
      targets.push(i < g.positives ? 1 : 0);
    }
    return { probabilities: Float64Array.from(probabilities), targets: Uint8Array.from(targets) };
  }

  it("lowers a threshold when many texts below 0.5 are clearly positive", () => {
    // 200 texts at p = 0.35 that are in fact 80% positive: the probability under-states them.
    const { probabilities, targets } = oneLabel([{ p: 0.35, n: 200, positives: 160 }, { p: 0.9, n: 100, positives: 90 }, { p: 0.05, n: 300, positives: 10 }]);
    const { thresholds, ownThreshold } = tuneThresholds(probabilities, targets, 1, 10);
    expect(ownThreshold[0]).toBe(1);
    expect(thresholds[0]).toBeLessThanOrEqual(0.35);
    expect(thresholds[0]).toBeGreaterThan(0.05);
  });

  it("keeps 0.5 when moving would win too few decisions to be more than noise", () => {
    // 6 texts at p = 0.4 with 4 positives: moving down wins 2 decisions net, under 2·√6.
    const { probabilities, targets } = oneLabel([{ p: 0.4, n: 6, positives: 4 }, { p: 0.9, n: 100, positives: 90 }, { p: 0.05, n: 300, positives: 10 }]);
    expect(tuneThresholds(probabilities, targets, 1, 10).thresholds[0]).toBe(0.5);
  });

  it("gives a label with too few held-out positives the threshold shared by all labels", () => {
    const common = oneLabel([{ p: 0.35, n: 200, positives: 160 }, { p: 0.05, n: 300, positives: 10 }]);
    const n = common.targets.length;
    const probabilities = new Float64Array(2 * n);
    const targets = new Uint8Array(2 * n);
    for (let i = 0; i < n; i++) {
      probabilities[2 * i] = common.probabilities[i];
      targets[2 * i] = common.targets[i];
      probabilities[2 * i + 1] = 0.01;
      targets[2 * i + 1] = i === 0 ? 1 : 0;
    }
    const { thresholds, ownThreshold } = tuneThresholds(probabilities, targets, 2, 10);
    expect([...ownThreshold]).toEqual([1, 0]);
    // The shared threshold is tuned on both labels together; the common one dominates it.
    expect(thresholds[1]).toBeLessThanOrEqual(0.35);
  });

  it("gives 0.5 to every label when nothing is held out", () => {
    expect([...tuneThresholds(new Float64Array(0), new Uint8Array(0), 3, 10).thresholds]).toEqual([0.5, 0.5, 0.5]);
  });
});
