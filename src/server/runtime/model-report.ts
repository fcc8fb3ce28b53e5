// GET /v1/tasks/:name/report: the live specialist judged on the task's held-out examples — the
// threshold's coverage–accuracy trade-off, the confusion matrix and per-label figures. Pure: the
// route hands in the model, the holdout and the router's settings.
//
// The curve follows the router's rules, not just the confidences: a held-out text the router
// would never let the specialist answer (out of scope, or the out-of-scope label) is never
// covered, whatever the threshold, but still counts in the coverage's denominator. So a point's
// coverage is the share of held-out texts the specialist would answer at that threshold.
import { assess, type RouterSettings } from "../../cascade/router.js";
import type { LabelledText } from "../../cascade/holdout-scores.js";
import type { TextClassifier } from "../../engine/classifier.js";
import { coverageAtThreshold, evaluatePredictions, thresholdCurve, type CoveragePoint, type ScoredPrediction } from "../../engine/metrics.js";

/** Points on the curve at most: one per percent of covered held-out texts. */
export const CURVE_POINTS = 100;
/** Off-diagonal confusion cells listed at most. */
export const TOP_CONFUSIONS = 50;

export interface ModelReport {
  holdout_examples: number;
  accuracy: number;
  macro_f1: number;
  curve: CoveragePoint[];
  /** The point of `threshold` (null without one). */
  chosen: CoveragePoint | null;
  /** The task's labels in task order, then any other label the holdout or model has. */
  labels: string[];
  /** confusion[i][j]: held-out texts of labels[i] predicted as labels[j]. */
  confusion: number[][];
  top_confusions: { actual: string; predicted: string; count: number }[];
  per_label: { label: string; precision: number; recall: number; f1: number; support: number }[];
}

export function modelReport(model: TextClassifier, holdout: readonly LabelledText[], settings: RouterSettings, taskLabels: readonly string[], threshold: number | null): ModelReport {
  const predicted: string[] = [];
  const confidence: number[] = [];
  /** The held-out texts the specialist may answer, for the curve. */
  const answerable: ScoredPrediction[] = [];
  for (const e of holdout) {
    const a = assess(model, e.text, settings);
    predicted.push(a.label);
    confidence.push(a.confidence);
    if (a.scope === "in_scope") answerable.push({ confidence: a.confidence, correct: a.label === e.label });
  }
  const evaluation = evaluatePredictions(
    holdout.map((e) => e.label),
    predicted,
    confidence,
    taskLabels,
  );
  const n = holdout.length;
  return {
    holdout_examples: n,
    accuracy: evaluation.accuracy,
    macro_f1: evaluation.macroF1,
    curve: thresholdCurve(answerable, CURVE_POINTS, n),
    chosen: threshold === null ? null : coverageAtThreshold(answerable, threshold, n),
    labels: evaluation.labels,
    confusion: evaluation.confusion,
    top_confusions: topConfusions(evaluation.labels, evaluation.confusion),
    per_label: evaluation.perLabel,
  };
}

/** The off-diagonal cells with a count, largest first (ties in label order). */
function topConfusions(labels: readonly string[], confusion: readonly number[][]): ModelReport["top_confusions"] {
  const cells: ModelReport["top_confusions"] = [];
  confusion.forEach((row, i) =>
    row.forEach((count, j) => {
      if (i !== j && count > 0) cells.push({ actual: labels[i], predicted: labels[j], count });
    }),
  );
  // Array.prototype.sort is stable: equal counts keep their row-major (label) order.
  return cells.sort((a, b) => b.count - a.count).slice(0, TOP_CONFUSIONS);
}
