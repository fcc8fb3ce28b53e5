// Evaluation figures for span extraction: micro precision/recall/F1 over spans (a span counts
// only with exact boundaries and label), per label, exact match of the whole answer, and how
// well the probabilities are calibrated (ECE of the whole-answer and the per-span probability,
// and the coverage–exact-match curve the cascade's router works from).
import { coverageAccuracyCurve, expectedCalibrationError, type CoveragePoint, type ScoredPrediction } from "./metrics.js";
import type { Span, SpanPrediction } from "./span-extractor.js";

export interface SpanLabelMetrics {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

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

const f1Of = (p: number, r: number) => (p + r > 0 ? (2 * p * r) / (p + r) : 0);
const key = (s: Span) => `${s.start}:${s.end}:${s.label}`;

export function evaluateSpans(reference: readonly (readonly Span[])[], predicted: readonly SpanPrediction[]): SpanEvaluation {
  if (reference.length !== predicted.length) throw new RangeError("reference and predictions differ in length");
  const counts = new Map<string, { tp: number; predicted: number; gold: number }>();
  const count = (label: string) => {
    let c = counts.get(label);
    if (!c) counts.set(label, (c = { tp: 0, predicted: 0, gold: 0 }));
    return c;
  };
  const answers: ScoredPrediction[] = [];
  const spans: ScoredPrediction[] = [];
  let exact = 0;
  reference.forEach((gold, i) => {
    const wanted = new Set(gold.map(key));
    for (const g of gold) count(g.label).gold++;
    let hits = 0;
    for (const p of predicted[i].spans) {
      const c = count(p.label);
      c.predicted++;
      const hit = wanted.has(key(p));
      if (hit) {
        c.tp++;
        hits++;
      }
      spans.push({ confidence: p.probability, correct: hit });
    }
    const right = hits === gold.length && predicted[i].spans.length === gold.length;
    if (right) exact++;
    answers.push({ confidence: predicted[i].probability, correct: right });
  });
  let tp = 0;
  let np = 0;
  let ng = 0;
  const per_label: SpanLabelMetrics[] = [];
  for (const [label, c] of [...counts].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    tp += c.tp;
    np += c.predicted;
    ng += c.gold;
    const precision = c.predicted ? c.tp / c.predicted : 0;
    const recall = c.gold ? c.tp / c.gold : 0;
    per_label.push({ label, precision, recall, f1: f1Of(precision, recall), support: c.gold });
  }
  const precision = np ? tp / np : 1;
  const recall = ng ? tp / ng : 1;
  return {
    n: reference.length,
    span_precision: precision,
    span_recall: recall,
    span_f1: f1Of(precision, recall),
    exact_match: reference.length ? exact / reference.length : 0,
    answer_ece: expectedCalibrationError(answers),
    span_ece: expectedCalibrationError(spans),
    per_label,
    coverage_exact_match: coverageAccuracyCurve(answers),
  };
}
