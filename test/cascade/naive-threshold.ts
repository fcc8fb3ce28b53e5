// The tempting but wrong way to choose a threshold, for the guarantee tests to tell apart from the
// real one: the lowest threshold whose observed error is ≤ max_error, with no bound at all.
import type { ScoredItem } from "../../src/cascade/threshold.js";

export function naiveThreshold(scored: readonly ScoredItem[], maxError: number): number | null {
  const sorted = [...scored].sort((a, b) => b.confidence - a.confidence);
  let errors = 0;
  let best: number | null = null;
  sorted.forEach((s, i) => {
    if (!s.correct) errors++;
    if (errors / (i + 1) <= maxError) best = s.confidence;
  });
  return best;
}
