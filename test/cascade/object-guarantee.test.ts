// The guarantee on whole structured answers, checked by simulation as guarantee.test.ts checks it
// for labels. An object of three fields is right only when every field is; each field's
// probability is over-confident (P(right | c) = ½ + ½c), and the object's confidence is their
// product, the structured specialist's rule, which is then over-confident too and, on top, blind to
// how its fields' errors combine. The threshold procedure must hold the object-level error to
// max_error in ≥ confidence_level of the draws all the same: it never trusts the confidence, only
// the ranking, measured against held-out objects.
import { describe, expect, it } from "vitest";
import { chooseThreshold, type ScoredItem } from "../../src/cascade/threshold.js";
import { mulberry32 } from "../../src/engine/random.js";
import { naiveThreshold } from "./naive-threshold.js";

const TARGET = { max_error: 0.05, confidence_level: 0.95 };
const RUNS = 300;
const HELD_OUT = 1500;
const ALPHA = 1 - TARGET.confidence_level;
const SLACK = 3 * Math.sqrt((ALPHA * (1 - ALPHA)) / RUNS);
const FIELDS = 3;

function drawObjects(n: number, random: () => number): ScoredItem[] {
  return Array.from({ length: n }, () => {
    let confidence = 1;
    let correct = true;
    for (let f = 0; f < FIELDS; f++) {
      // Most fields are easy: confidence skewed towards 1.
      const c = 1 - random() ** 8 * 0.9;
      confidence *= c;
      if (random() >= 0.5 + 0.5 * c) correct = false;
    }
    return { confidence, correct };
  });
}

/** True object error of "answer when confidence ≥ t", from a large population drawn once. */
function trueErrorOf(population: ScoredItem[]): (t: number) => number {
  const sorted = [...population].sort((a, b) => b.confidence - a.confidence);
  const confidences = sorted.map((s) => s.confidence);
  const errorsBefore = new Int32Array(sorted.length + 1);
  sorted.forEach((s, i) => (errorsBefore[i + 1] = errorsBefore[i] + (s.correct ? 0 : 1)));
  return (t) => {
    let lo = 0;
    let hi = confidences.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (confidences[mid] >= t) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? 0 : errorsBefore[lo] / lo;
  };
}

describe("chooseThreshold on whole objects (simulation)", () => {
  it(`keeps the object-level error ≤ max_error in ≥ ${TARGET.confidence_level} of ${RUNS} draws, though field confidences are over-confident`, () => {
    const trueError = trueErrorOf(drawObjects(400_000, mulberry32(99)));
    let violations = 0;
    let answered = 0;
    let naiveViolations = 0;
    let coverage = 0;
    for (let r = 0; r < RUNS; r++) {
      const held = drawObjects(HELD_OUT, mulberry32(5000 + r));
      const choice = chooseThreshold(held, TARGET);
      coverage += choice.coverage;
      if (choice.threshold !== null) {
        answered++;
        if (trueError(choice.threshold) > TARGET.max_error) violations++;
      }
      const naive = naiveThreshold(held, TARGET.max_error);
      if (naive !== null && trueError(naive) > TARGET.max_error) naiveViolations++;
    }
    console.info(`object guarantee: ${violations}/${RUNS} violate (limit ${(ALPHA + SLACK).toFixed(4)}); answered in ${answered}; mean coverage ${(coverage / RUNS).toFixed(4)}; naive method violates in ${naiveViolations}/${RUNS}`);
    expect(violations / RUNS).toBeLessThanOrEqual(ALPHA + SLACK);
    expect(answered).toBeGreaterThan(RUNS / 2);
    expect(coverage / RUNS).toBeGreaterThan(0.05);
    // The simulation tells a method without the guarantee apart.
    expect(naiveViolations / RUNS).toBeGreaterThan(0.25);
  });
});
