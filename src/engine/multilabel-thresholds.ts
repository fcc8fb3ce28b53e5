// Per-label decision thresholds, tuned on held-out probabilities. A label is predicted when its
// calibrated probability reaches its threshold; 0.5 would maximise each label's accuracy, but a
// rare label is then almost never predicted, while F1 rewards finding it. Each label with enough
// held-out positives gets the threshold that maximises its own F1 there; the others, whose F1 on
// a handful of positives would be noise, get the one threshold that maximises the micro-F1 of all
// labels together.

/** Candidate thresholds 0.05, 0.06, … 0.95: a finer grid only fits the held-out noise. */
const GRID = Array.from({ length: 91 }, (_, i) => (i + 5) / 100);

interface Counts {
  tp: Float64Array;
  predicted: Float64Array;
}

/** True positives and predicted positives at each grid threshold, over the given labels' columns. */
function countAt(probabilities: Float64Array, targets: Uint8Array, labelCount: number, labels: readonly number[]): Counts {
  const counts: Counts = { tp: new Float64Array(GRID.length), predicted: new Float64Array(GRID.length) };
  const n = probabilities.length / labelCount;
  for (let i = 0; i < n; i++) {
    for (const k of labels) {
      const p = probabilities[i * labelCount + k];
      const positive = targets[i * labelCount + k] === 1;
      // GRID is ascending: p reaches every threshold up to the first one above it.
      for (let g = 0; g < GRID.length && GRID[g] <= p; g++) {
        counts.predicted[g]++;
        if (positive) counts.tp[g]++;
      }
    }
  }
  return counts;
}

/** The grid threshold with the best F1 for `gold` reference positives; ties go to the one nearest 0.5. */
function bestF1Threshold(c: Counts, gold: number): number {
  let best = 0.5;
  let bestF1 = -1;
  for (let g = 0; g < GRID.length; g++) {
    const f1 = gold + c.predicted[g] > 0 ? (2 * c.tp[g]) / (gold + c.predicted[g]) : 0;
    if (f1 > bestF1 + 1e-12 || (Math.abs(f1 - bestF1) <= 1e-12 && Math.abs(GRID[g] - 0.5) < Math.abs(best - 0.5))) {
      best = GRID[g];
      bestF1 = f1;
    }
  }
  return best;
}

/**
 * Thresholds for K labels from held-out calibrated probabilities and 0/1 targets (n × K,
 * row-major): a label's own when it has at least `minPositives` held-out positives, the shared
 * micro-F1 threshold otherwise. With no held-out texts every label gets 0.5.
 */
export function tuneThresholds(probabilities: Float64Array, targets: Uint8Array, labelCount: number, minPositives: number): { thresholds: Float64Array; ownThreshold: Uint8Array } {
  const K = labelCount;
  const n = probabilities.length / K;
  const positives = new Float64Array(K);
  for (let i = 0; i < n * K; i++) positives[i % K] += targets[i];
  const all = Array.from({ length: K }, (_, k) => k);
  const shared = n === 0 ? 0.5 : bestF1Threshold(countAt(probabilities, targets, K, all), positives.reduce((s, x) => s + x, 0));
  const thresholds = new Float64Array(K).fill(shared);
  const ownThreshold = new Uint8Array(K);
  for (let k = 0; k < K; k++) {
    if (positives[k] < minPositives) continue;
    thresholds[k] = bestF1Threshold(countAt(probabilities, targets, K, [k]), positives[k]);
    ownThreshold[k] = 1;
  }
  return { thresholds, ownThreshold };
}
