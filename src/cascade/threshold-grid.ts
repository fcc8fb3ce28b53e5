// The candidate thresholds, as covered counts: which "top c most confident held-out items" slices
// are tested. The grid depends on the number of held-out items alone — never on their labels or
// confidences — so testing every candidate at level 1 − (1 − cl)/m (Bonferroni) keeps the chance
// that any wrong slice passes ≤ 1 − cl, however the result is then picked among the passing ones.
import { minSamplesForBound } from "./binomial.js";

/**
 * Ratio between consecutive covered counts. 1.25 keeps the grid short (about 30 candidates for
 * 100k items, so the Bonferroni price stays small) while never giving up more than 20% of the
 * best coverage between two candidates.
 */
export const DEFAULT_GRID_RATIO = 1.25;

export interface CandidateGrid {
  /** Covered counts to test, ascending and distinct; the last is n. Empty when n is too small to ever pass. */
  counts: number[];
  /** The confidence level each candidate is tested at: 1 − (1 − confidence_level) / counts.length. */
  level: number;
  /** minSamplesForBound at `level`: the fewest covered items that can pass (the grid's start). */
  minCovered: number;
}

/** c0, ⌈c0·r⌉, ⌈c0·r²⌉, … while below n, then n itself. */
function geometric(c0: number, n: number, ratio: number): number[] {
  const counts: number[] = [];
  for (let x = c0; Math.ceil(x) < n; x *= ratio) {
    const c = Math.ceil(x);
    if (counts.length === 0 || counts[counts.length - 1] !== c) counts.push(c);
  }
  counts.push(n);
  return counts;
}

/**
 * The grid for n held-out items. Its start c0 = minSamplesForBound(max_error, 1 − (1 − cl)/m)
 * depends on the number of candidates m, and m on c0; the smallest m whose grid has at most m
 * candidates is used (m grows, the grid shrinks, so a short scan finds it). The candidates are
 * then tested at 1 − (1 − cl)/(their count), which is never below the level c0 was made for,
 * so even the smallest candidate can pass with no errors.
 */
export function candidateGrid(n: number, maxError: number, confidenceLevel: number, ratio = DEFAULT_GRID_RATIO): CandidateGrid {
  if (!(ratio > 1 && Number.isFinite(ratio))) throw new RangeError(`candidateGrid: ratio must be > 1, got ${ratio}`);
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`candidateGrid: n must be an integer ≥ 0, got ${n}`);
  const alpha = 1 - confidenceLevel;
  const single = minSamplesForBound(maxError, confidenceLevel);
  if (n < single) return { counts: [], level: confidenceLevel, minCovered: single };
  for (let m = 1; ; m++) {
    const counts = geometric(minSamplesForBound(maxError, 1 - alpha / m), n, ratio);
    if (counts.length <= m) {
      const level = 1 - alpha / counts.length;
      return { counts, level, minCovered: Math.min(n, minSamplesForBound(maxError, level)) };
    }
  }
}
