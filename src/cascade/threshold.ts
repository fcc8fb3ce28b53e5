// Choosing the routing threshold: the specialist answers a request when its confidence is ≥ the
// threshold, and the threshold is chosen on held-out labelled items so that the error rate on the
// answered requests is ≤ max_error with probability ≥ confidence_level.
import { countCovered } from "../engine/metrics.js";
import { clopperPearsonUpper, minSamplesForBound } from "./binomial.js";
import { candidateGrid } from "./threshold-grid.js";

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
  /** Most fixed-sequence chains (default 3); see threshold-grid.ts. */
  chains?: number;
  /** Rough ratio between the covered counts where consecutive chains start (default 2). */
  chainSpacing?: number;
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
  /** The Bonferroni divisor: how many fixed-sequence chains the candidate slices were tested in; 0 when there were too few items. */
  candidates: number;
  /**
   * The confidence level the chosen slice was tested at: from 1 − (1 − confidence_level) / candidates
   * (a chain's own share of α) down to confidence_level (α handed on along the walk); for a refusal,
   * 1 − (1 − confidence_level) / candidates.
   */
  testLevel: number;
  /** One sentence for people: why this threshold, or why none. */
  reason: string;
}

/** Share of α kept for a model version's later looks (see lookLevel). */
const LATER_LOOKS_SHARE = 0.1;

/**
 * The confidence level of the `look`-th threshold choice (0, 1, 2, …) on new evidence for one model
 * version. Choosing again as the evidence grows and keeping whatever passes is a sequence of tests:
 * at the full level each, a version whose every slice is over the target passes one of them far
 * more often than α = 1 − confidence_level (looks every 25 items from 100 to 800, true error 5.5%
 * against a 5% target: 10.8% of 400 runs pass, 1.0% with these levels; guarantee.test.ts). Look k
 * spends α·w_k with w_0 = 1 − LATER_LOOKS_SHARE and w_k = LATER_LOOKS_SHARE·2^−k after, Σ w_k = 1,
 * so every threshold a version is ever given holds with probability ≥ confidence_level together.
 * The first look, at promotion, is the one that counts; later ones come only after an audit alarm.
 */
export function lookLevel(confidenceLevel: number, look: number): number {
  if (!Number.isInteger(look) || look < 0) throw new RangeError(`lookLevel: look must be an integer ≥ 0, got ${look}`);
  const w = look === 0 ? 1 - LATER_LOOKS_SHARE : LATER_LOOKS_SHARE * 2 ** -look;
  return 1 - (1 - confidenceLevel) * w;
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
 * A threshold chosen by an earlier look (in another process, or before a restart), kept for the
 * same model version: no test is run again. The figures describe it on `scored`, the current
 * holdout's items, with the upper bound at that look's level (`testLevel`), for people to read.
 */
export function keptThreshold(threshold: number | null, scored: readonly ScoredItem[], testLevel: number, version: number, look: number): ThresholdChoice {
  const from = `kept from version ${version}'s look ${look}, where it was chosen (serving the same version again is not a new look)`;
  if (threshold === null) {
    return { threshold: null, covered: 0, errors: 0, errorRate: 0, upperBound: 1, coverage: 0, candidates: 0, testLevel, reason: `specialist must not answer: no threshold, ${from}` };
  }
  const { covered, correct } = countCovered(scored, threshold);
  const errors = covered - correct;
  const upperBound = covered === 0 ? 1 : clopperPearsonUpper(errors, covered, testLevel);
  const coverage = scored.length === 0 ? 0 : covered / scored.length;
  const reason = `answers when confidence ≥ ${fmt(threshold)}, ${from}; on the current holdout it covers ${covered} of ${scored.length} held-out items (${pct(coverage)}), ${errors} errors, upper bound ${pct(upperBound)} at ${pct(testLevel)}`;
  return { threshold, covered, errors, errorRate: covered === 0 ? 0 : errors / covered, upperBound, coverage, candidates: 0, testLevel, reason };
}

/**
 * Chooses the lowest confidence threshold whose covered set provably meets the error target.
 *
 * Fixed-sequence chains joined by the fallback procedure (Wiens 2003; Learn then Test,
 * Angelopoulos et al. 2021, for the framing). The candidates are "the c most confident held-out
 * items" for c on a geometric grid, walked from the top towards larger coverage (lower
 * thresholds); s ≤ 3 label-independent start points about ×2 apart each bring α/s
 * (α = 1 − confidence_level; threshold-grid.ts fixes grid and starts from the number of items
 * alone). Candidate j's null hypothesis H_j is "the error among requests at least this confident
 * exceeds max_error", rejected when the Clopper–Pearson upper bound at level 1 − a_j is
 * ≤ max_error, where a_j = (α/s if j is a start) + a_{j−1} if H_{j−1} was rejected (a passing
 * slice hands its level on; a failing one hands on nothing). The answer is the largest passing
 * count. Without the hand-on this is s fixed-sequence chains, each at α/s, combined by Bonferroni;
 * the hand-on only adds power (a chain that reaches the next start is tested there at 2α/s).
 *
 * Why this keeps the guarantee. Condition on the held-out confidences: grid, starts and every
 * hypothesis are then fixed, and the labels independent, so each test rejects a true H_j with
 * probability ≤ its level. Let j* be the first true null that is rejected, if any. The slices
 * just below it that handed level on to it were all rejected, so by the choice of j* all are
 * false nulls and lie strictly between the previous true null p and j*; hence a_{j*} ≤ b_{j*} :=
 * the start weights in (p, j*]. The b_j of the true nulls come from disjoint ranges, so
 * P(some true null rejected) ≤ Σ_{true j} P(reject H_j at level b_j) ≤ Σ_j b_j ≤ α. Any rejected
 * slice, the largest included, is then wrong with probability ≤ α. (The slices' thresholds are
 * the confidences of their last items, so the guarantee is about the error of those thresholds
 * given the held-out confidences, as with the Bonferroni grid this replaces.)
 *
 * Why not Bonferroni over the whole grid (what this used to do): it pays for every candidate,
 * ≈15 at a few thousand items (6 errors in 300 bound at ≈5.0% instead of ≈3.9% at α), and so
 * also needs a coarse grid. A chain pays nothing per candidate, so the grid is finer (ratio 1.1).
 * Why several starts, not one fixed sequence from the top: a single error among the first few
 * dozen items would end it, and a young specialist trained on a noisy teacher usually has one.
 * What it gives up: a slice past a failure is reached only if a later start lies past it (a bad
 * top 100 of 2,000 items refuses even when the whole set would pass on its own).
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
  const grid = candidateGrid(n, maxError, level, { ratio: options.gridRatio, chains: options.chains, chainSpacing: options.chainSpacing });
  const chains = grid.starts.length;
  const targetText = `error ≤ ${pct(maxError)} at ${pct(level)} confidence`;
  const none = (reason: string): ThresholdChoice => ({
    threshold: null,
    covered: 0,
    errors: 0,
    errorRate: 0,
    upperBound: 1,
    coverage: 0,
    candidates: chains,
    testLevel: grid.level,
    reason,
  });
  if (grid.counts.length === 0) {
    return none(`not enough held-out labels: proving ${targetText} needs at least ${grid.minCovered} held-out labels, even with no errors; have ${n}`);
  }

  // One walk up the grid (the fallback procedure): a start brings its own α/s; a passing slice
  // hands its whole level on to the next slice; a failing one hands on nothing.
  const groups = groupByConfidence(scored);
  const alpha = 1 - level;
  const isStart = new Set(grid.starts);
  const group: number[] = [];
  let best = -1; // the passing grid point that covers most
  let bestBound = 1;
  let bestLevel = grid.level;
  let firstBound = 1;
  let carry = 0; // α handed on by the run of passing slices just below
  let tested = 0;
  let g = 0;
  for (let j = 0; j < grid.counts.length; j++) {
    while (groups.covered[g] < grid.counts[j]) g++; // the tie group holding the count-th item
    group.push(g);
    const a = (isStart.has(j) ? alpha / chains : 0) + carry;
    if (a === 0) continue;
    tested++;
    const testLevel = 1 - Math.min(alpha, a);
    const bound = clopperPearsonUpper(groups.errors[g], groups.covered[g], testLevel);
    if (j === 0) firstBound = bound;
    if (bound <= maxError) {
      [best, bestBound, bestLevel] = [j, bound, testLevel];
      carry = a;
    } else {
      carry = 0;
    }
  }

  const tests =
    `${tested} candidate slice${tested === 1 ? "" : "s"} in ${chains} fixed-sequence chain${chains === 1 ? "" : "s"} ` +
    `(fallback: each start at ${pct(grid.level)}, down to ${pct(level)} as passing slices hand on their level)`;
  if (best < 0) {
    const smallest = group[0];
    const covered = groups.covered[smallest];
    const errors = groups.errors[smallest];
    const rate = errors / covered;
    const head = `none of ${tests} passes; the ${covered} most confident held-out items (confidence ≥ ${fmt(groups.value[smallest])}) have ${errors} error${errors === 1 ? "" : "s"} (${pct(rate)}), upper bound ${pct(firstBound)} > ${pct(maxError)}`;
    const needed = labelsNeededAtRate(rate, maxError, grid.level);
    const tail = Number.isFinite(needed)
      ? `; at that error rate, proving ${targetText} takes a slice of about ${needed} held-out items`
      : `; more labels will not help until the specialist is more accurate on its most confident answers`;
    return none(`specialist must not answer: ${head}${tail}`);
  }

  const bestGroup = group[best];
  const covered = groups.covered[bestGroup];
  const errors = groups.errors[bestGroup];
  return {
    threshold: groups.value[bestGroup],
    covered,
    errors,
    errorRate: errors / covered,
    upperBound: bestBound,
    coverage: covered / n,
    candidates: chains,
    testLevel: bestLevel,
    reason:
      `answers when confidence ≥ ${fmt(groups.value[bestGroup])}: ${covered} of ${n} held-out items (${pct(covered / n)}), ` +
      `${errors} error${errors === 1 ? "" : "s"}, upper bound ${pct(bestBound)} at ${pct(bestLevel)} ≤ ${pct(maxError)}; the largest passing of ${tests}`,
  };
}
