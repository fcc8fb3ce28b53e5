// The candidate thresholds, as covered counts ("the c most confident held-out items"), and the
// fixed-sequence chains they are tested in. Everything here depends on the number of held-out
// items alone — never on their labels or confidences — which is what makes the tests valid
// (see chooseThreshold in threshold.ts for the argument).
import { minSamplesForBound } from "./binomial.js";

/**
 * Ratio between consecutive covered counts. 1.1 never gives up more than ~9% of the best coverage
 * between two candidates. A chain pays nothing per candidate, but a finer grid gives it more
 * chances to stop early on a noisy slice (1.1 beat 1.25 on Banking77 holdout snapshots).
 */
export const DEFAULT_GRID_RATIO = 1.1;

/** Most chains (the Bonferroni divisor); fewer when n is too small for distinct starts. */
export const DEFAULT_CHAINS = 3;

/** Roughly the ratio between the covered counts at which consecutive chains start. */
export const DEFAULT_CHAIN_SPACING = 2;

export interface GridOptions {
  ratio?: number;
  chains?: number;
  chainSpacing?: number;
}

export interface CandidateGrid {
  /** Covered counts, ascending and distinct; the last is n. Empty when n is too small to ever pass. */
  counts: number[];
  /**
   * Indices into `counts` where the chains start, ascending and distinct (the first is 0). Chain k
   * tests counts[starts[k]], counts[starts[k] + 1], … up to n, and stops at its first failure.
   */
  starts: number[];
  /** The level each start is tested at, 1 − (1 − confidence_level) / starts.length (a walk may hand on more α, lowering it; see threshold.ts). */
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

/** Chain starts every `step` grid points (about ×spacing in covered count), at most `chains`, clamped to the last point. */
function chainStarts(length: number, chains: number, step: number): number[] {
  const starts: number[] = [];
  for (let k = 0; k < chains; k++) {
    const j = Math.min(length - 1, k * step);
    if (starts.length === 0 || starts[starts.length - 1] !== j) starts.push(j);
  }
  return starts;
}

/**
 * The grid and chains for n held-out items. The grid starts at c0 = minSamplesForBound(max_error,
 * 1 − (1 − cl)/s), the fewest items that can pass with no errors when each of s chains is tested at
 * (1 − cl)/s; consecutive chains start ≈ chainSpacing× further up the grid. For small n the later
 * starts collapse onto n, so fewer chains are needed; the smallest s whose plan has at most s
 * distinct starts is used, and the tests run at 1 − (1 − cl)/(the number of distinct starts),
 * never below the level c0 was made for.
 */
export function candidateGrid(n: number, maxError: number, confidenceLevel: number, options: GridOptions = {}): CandidateGrid {
  const ratio = options.ratio ?? DEFAULT_GRID_RATIO;
  const chains = options.chains ?? DEFAULT_CHAINS;
  const spacing = options.chainSpacing ?? DEFAULT_CHAIN_SPACING;
  if (!(ratio > 1 && Number.isFinite(ratio))) throw new RangeError(`candidateGrid: ratio must be > 1, got ${ratio}`);
  if (!(Number.isInteger(chains) && chains >= 1)) throw new RangeError(`candidateGrid: chains must be an integer ≥ 1, got ${chains}`);
  if (!(spacing > 1 && Number.isFinite(spacing))) throw new RangeError(`candidateGrid: chainSpacing must be > 1, got ${spacing}`);
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`candidateGrid: n must be an integer ≥ 0, got ${n}`);
  const alpha = 1 - confidenceLevel;
  const single = minSamplesForBound(maxError, confidenceLevel);
  if (n < single) return { counts: [], starts: [], level: confidenceLevel, minCovered: single };
  const step = Math.max(1, Math.round(Math.log(spacing) / Math.log(ratio)));
  for (let s = 1; ; s++) {
    const c0 = Math.min(n, minSamplesForBound(maxError, 1 - alpha / s));
    const counts = geometric(c0, n, ratio);
    const starts = chainStarts(counts.length, chains, step);
    if (starts.length <= s) {
      const level = 1 - alpha / starts.length;
      return { counts, starts, level, minCovered: Math.min(n, minSamplesForBound(maxError, level)) };
    }
  }
}
