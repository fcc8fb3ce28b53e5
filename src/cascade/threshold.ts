// Choosing the routing threshold: the specialist answers a request when its confidence is ≥ the
// threshold, and the threshold is chosen on held-out labelled items so that the error rate on the
// answered requests is ≤ max_error with probability ≥ confidence_level.
import { clopperPearsonUpper, minSamplesForBound } from "./binomial.js";
import { candidateGrid, DEFAULT_GRID_RATIO } from "./threshold-grid.js";

export interface ScoredItem {
  /** The specialist's confidence in its answer. */
  confidence: number;
  /** Whether that answer matched the reference label. */
  correct: boolean;
}

export interface ErrorTarget {
  max_error: number;
  confidence_level: number;
}

export interface ThresholdOptions {
  /** Ratio between consecutive candidate covered counts (default 1.25); see threshold-grid.ts. */
  gridRatio?: number;
}

export interface ThresholdChoice {
  /** The specialist answers when confidence ≥ threshold; null: the specialist must not answer. */
  threshold: number | null;
  /** Held-out items the chosen threshold covers (0 when threshold is null). */
  covered: number;
  /** Errors among the covered items. */
  errors: number;
  /** errors / covered (0 when nothing is covered). */
  errorRate: number;
  /** Clopper–Pearson upper bound, at `testLevel`, on the error of the covered set (1 when nothing is covered). */
  upperBound: number;
  /** covered / scored.length (0 when nothing is scored). */
  coverage: number;
  /** How many slices were tested (the Bonferroni divisor); 0 when there were too few items. */
  candidates: number;
  /** The confidence level of each test: 1 − (1 − confidence_level) / candidates. */
  testLevel: number;
  /** One sentence for people: why this threshold, or why none. */
  reason: string;
}

/** Whether a request with this confidence is answered by the specialist under the threshold. */
export function isCovered(confidence: number, threshold: number | null): boolean {
  return threshold !== null && confidence >= threshold;
}

function pct(x: number): string {
  return `${(100 * x).toFixed(x < 0.001 && x > 0 ? 3 : 1)}%`;
}

function fmt(x: number): string {
  return Number(x.toPrecision(6)).toString();
}

/**
 * Roughly how many held-out labels would prove the target if the observed error rate held:
 * the smallest m with clopperPearsonUpper(round(rate·m), m) ≤ maxError. Infinity when rate ≥ maxError.
 */
function labelsNeededAtRate(rate: number, maxError: number, confidenceLevel: number): number {
  if (rate >= maxError) return Infinity;
  const passes = (m: number) => clopperPearsonUpper(Math.min(m, Math.round(rate * m)), m, confidenceLevel) <= maxError;
  let lo = minSamplesForBound(maxError, confidenceLevel) - 1; // fails
  let hi = lo + 1;
  while (!passes(hi)) {
    lo = hi;
    hi *= 2;
    if (hi > 1e9) return Infinity;
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (passes(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** Held-out items sorted by confidence (highest first) with ties collapsed into groups. */
interface Groups {
  value: number[];
  /** Items with confidence ≥ value[g]. */
  covered: number[];
  /** Errors among them. */
  errors: number[];
}

function groupByConfidence(scored: readonly ScoredItem[]): Groups {
  const sorted = scored.map((s) => ({ confidence: s.confidence, error: s.correct ? 0 : 1 }));
  sorted.sort((x, y) => y.confidence - x.confidence);
  const groups: Groups = { value: [], covered: [], errors: [] };
  let errorsSoFar = 0;
  for (let i = 0; i < sorted.length; i++) {
    errorsSoFar += sorted[i].error;
    if (i + 1 === sorted.length || sorted[i + 1].confidence !== sorted[i].confidence) {
      groups.value.push(sorted[i].confidence);
      groups.covered.push(i + 1);
      groups.errors.push(errorsSoFar);
    }
  }
  return groups;
}

/**
 * Chooses the lowest confidence threshold whose covered set provably meets the error target.
 *
 * Bonferroni over a label-independent grid (Learn then Test, Angelopoulos et al. 2021). The
 * candidates are "the c most confident held-out items" for c on a geometric grid fixed by the
 * number of items alone (threshold-grid.ts). For each, the null hypothesis "the error among
 * requests at least this confident exceeds max_error" is rejected when the Clopper–Pearson upper
 * bound at level 1 − (1 − confidence_level)/m is ≤ max_error. The union bound makes the chance
 * that any wrong candidate passes ≤ 1 − confidence_level, so the largest passing one may be taken.
 *
 * Why not fixed-sequence testing (walk down from the top, stop at the first failure): it needs no
 * correction, but one error among the first few dozen items ends the walk, and early on, with a
 * few hundred held-out labels, that refuses a perfectly good specialist most of the time. The
 * Bonferroni price is a slightly larger smallest slice (≈104 items instead of 59 at 5%/95%).
 *
 * The threshold is the confidence of the last covered item; every item tied with it is covered
 * too (the test counts them). O(n log n): one sort, then prefix counts of errors.
 */
export function chooseThreshold(scored: readonly ScoredItem[], target: ErrorTarget, options: ThresholdOptions = {}): ThresholdChoice {
  const maxError = target.max_error;
  const level = target.confidence_level;
  if (!(maxError > 0 && maxError < 1)) throw new RangeError(`chooseThreshold: max_error must be in (0, 1), got ${maxError}`);
  if (!(level > 0 && level < 1)) throw new RangeError(`chooseThreshold: confidence_level must be in (0, 1), got ${level}`);
  for (const item of scored) {
    if (!Number.isFinite(item.confidence)) throw new RangeError(`chooseThreshold: confidence must be finite, got ${item.confidence}`);
  }
  const n = scored.length;
  const grid = candidateGrid(n, maxError, level, options.gridRatio ?? DEFAULT_GRID_RATIO);
  const targetText = `error ≤ ${pct(maxError)} at ${pct(level)} confidence`;
  const none = (reason: string): ThresholdChoice => ({
    threshold: null,
    covered: 0,
    errors: 0,
    errorRate: 0,
    upperBound: 1,
    coverage: 0,
    candidates: grid.counts.length,
    testLevel: grid.level,
    reason,
  });
  if (grid.counts.length === 0) {
    return none(`not enough held-out labels: proving ${targetText} needs at least ${grid.minCovered} held-out labels, even with no errors; have ${n}`);
  }

  const groups = groupByConfidence(scored);
  let best = -1; // group of the passing candidate that covers most
  let bestBound = 1;
  let smallest = -1; // group of the first candidate, to explain a refusal
  let smallestBound = 1;
  let g = 0;
  for (const count of grid.counts) {
    while (groups.covered[g] < count) g++; // the tie group holding the count-th item
    const bound = clopperPearsonUpper(groups.errors[g], groups.covered[g], grid.level);
    if (smallest < 0) [smallest, smallestBound] = [g, bound];
    if (bound <= maxError) [best, bestBound] = [g, bound];
  }

  const tests = `${grid.counts.length} candidate slice${grid.counts.length === 1 ? "" : "s"}, each tested at ${pct(grid.level)} (Bonferroni)`;
  if (best < 0) {
    const covered = groups.covered[smallest];
    const errors = groups.errors[smallest];
    const rate = errors / covered;
    const head = `none of ${tests} passes; the ${covered} most confident held-out items (confidence ≥ ${fmt(groups.value[smallest])}) have ${errors} errors (${pct(rate)}), upper bound ${pct(smallestBound)} > ${pct(maxError)}`;
    const needed = labelsNeededAtRate(rate, maxError, grid.level);
    const tail = Number.isFinite(needed)
      ? `; at that error rate, proving ${targetText} takes a slice of about ${needed} held-out items`
      : `; more labels will not help until the specialist is more accurate on its most confident answers`;
    return none(`specialist must not answer: ${head}${tail}`);
  }

  const covered = groups.covered[best];
  const errors = groups.errors[best];
  return {
    threshold: groups.value[best],
    covered,
    errors,
    errorRate: errors / covered,
    upperBound: bestBound,
    coverage: covered / n,
    candidates: grid.counts.length,
    testLevel: grid.level,
    reason:
      `answers when confidence ≥ ${fmt(groups.value[best])}: ${covered} of ${n} held-out items (${pct(covered / n)}), ` +
      `${errors} errors, upper bound ${pct(bestBound)} ≤ ${pct(maxError)}; the largest passing of ${tests}`,
  };
}
