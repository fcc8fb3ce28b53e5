// Evaluation figures for span extraction: micro precision/recall/F1 over spans (a span counts
// only with exact boundaries and label), per label, exact match of the whole answer, and how
// well the probabilities are calibrated (ECE of the whole-answer and the per-span probability,
// and the coverage–exact-match curve the cascade's router works from).
import { coverageAccuracyCurve, expectedCalibrationError, LabelTally, type CoveragePoint, type LabelMetrics, type ScoredPrediction } from "./metrics.js";
import type { Span, SpanPrediction } from "./span-extractor.js";

export type SpanLabelMetrics = LabelMetrics;

export interface SpanEvaluation {
  n: number;
  span_precision: number;
  span_recall: number;
  span_f1: number;
  exact_match: number;
  /** ECE of the whole-answer probability against "every span exactly right". */
  answer_ece: number;
  /** ECE of each predicted span's probability against "this span is in the reference". */
  span_ece: number;
  per_label: SpanLabelMetrics[];
  /** Exact match of the most confident x% of answers. */
  coverage_exact_match: CoveragePoint[];
}

const key = (s: Span) => `${s.start}:${s.end}:${s.label}`;

export function evaluateSpans(reference: readonly (readonly Span[])[], predicted: readonly SpanPrediction[]): SpanEvaluation {
  if (reference.length !== predicted.length) throw new RangeError("reference and predictions differ in length");
  const tally = new LabelTally();
  const answers: ScoredPrediction[] = [];
  const spans: ScoredPrediction[] = [];
  let exact = 0;
  reference.forEach((gold, i) => {
    const wanted = new Set(gold.map(key));
    for (const g of gold) tally.addReference(g.label);
    let hits = 0;
    for (const p of predicted[i].spans) {
      const hit = wanted.has(key(p));
      tally.addPrediction(p.label, hit);
      if (hit) hits++;
      spans.push({ confidence: p.probability, correct: hit });
    }
    const right = hits === gold.length && predicted[i].spans.length === gold.length;
    if (right) exact++;
    answers.push({ confidence: predicted[i].probability, correct: right });
  });
  const micro = tally.summary();
  return {
    n: reference.length,
    span_precision: micro.precision,
    span_recall: micro.recall,
    span_f1: micro.f1,
    exact_match: reference.length ? exact / reference.length : 0,
    answer_ece: expectedCalibrationError(answers),
    span_ece: expectedCalibrationError(spans),
    per_label: micro.perLabel,
    coverage_exact_match: coverageAccuracyCurve(answers),
  };
}
