// Evaluation figures for multi-label predictions: micro and macro F1 over (text, label) decisions,
// exact-set accuracy (every label right, none missing or extra), and how well the set probability
// is calibrated (its ECE against exact-set correctness, and the coverage–exact-set curve a router
// would work from).
import { coverageAccuracyCurve, expectedCalibrationError, LabelTally, type CoveragePoint, type LabelMetrics, type ScoredPrediction } from "./metrics.js";

export interface MultiLabelEvaluation {
  n: number;
  micro_precision: number;
  micro_recall: number;
  micro_f1: number;
  /** Mean F1 over the labels that occur in the reference. */
  macro_f1: number;
  exact_set_accuracy: number;
  /** ECE of the set probability against "the predicted set is exactly the reference set". */
  set_ece: number;
  per_label: LabelMetrics[];
  /** Exact-set accuracy of the most confident x% of predictions, by set probability. */
  coverage_exact_set: CoveragePoint[];
}

export interface PredictedSet {
  labels: readonly string[];
  /** Probability that `labels` is exactly the right set. */
  probability: number;
}

export function evaluateMultiLabel(reference: readonly (readonly string[])[], predicted: readonly PredictedSet[]): MultiLabelEvaluation {
  if (reference.length !== predicted.length) throw new RangeError("reference and predictions differ in length");
  const tally = new LabelTally();
  const sets: ScoredPrediction[] = [];
  let exact = 0;
  reference.forEach((gold, i) => {
    const wanted = new Set(gold);
    for (const label of wanted) tally.addReference(label);
    const chosen = new Set(predicted[i].labels);
    let hits = 0;
    for (const label of chosen) {
      const hit = wanted.has(label);
      tally.addPrediction(label, hit);
      if (hit) hits++;
    }
    const right = hits === wanted.size && chosen.size === wanted.size;
    if (right) exact++;
    sets.push({ confidence: predicted[i].probability, correct: right });
  });
  const micro = tally.summary();
  const present = micro.perLabel.filter((l) => l.support > 0);
  return {
    n: reference.length,
    micro_precision: micro.precision,
    micro_recall: micro.recall,
    micro_f1: micro.f1,
    macro_f1: present.length ? present.reduce((s, l) => s + l.f1, 0) / present.length : 0,
    exact_set_accuracy: reference.length ? exact / reference.length : 0,
    set_ece: expectedCalibrationError(sets),
    per_label: micro.perLabel,
    coverage_exact_set: coverageAccuracyCurve(sets),
  };
}
