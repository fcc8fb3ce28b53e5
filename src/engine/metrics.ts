// Evaluation figures for a classifier's predictions against reference labels.

export interface ScoredPrediction {
  confidence: number;
  correct: boolean;
}

export interface LabelMetrics {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  /** How many reference labels of this class there are. */
  support: number;
}

export interface CoveragePoint {
  /** Share of predictions kept, the most confident first. */
  coverage: number;
  accuracy: number;
  /** Confidence of the least confident prediction kept. */
  threshold: number;
}

export interface Evaluation {
  n: number;
  accuracy: number;
  macroF1: number;
  ece: number;
  perLabel: LabelMetrics[];
  /** confusion[i][j]: reference label i predicted as j, in `labels` order. */
  confusion: number[][];
  labels: string[];
  coverageAccuracy: CoveragePoint[];
}

const f1Of = (precision: number, recall: number) => (precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0);

/**
 * Per-label counts of reference items, predicted items and hits (a predicted item that is in the
 * reference), for extractors and multi-label classifiers, whose answers hold any number of items:
 * micro precision/recall/F1 over every item, and the same per label.
 */
export class LabelTally {
  private readonly counts = new Map<string, { hits: number; predicted: number; reference: number }>();

  private of(label: string) {
    let c = this.counts.get(label);
    if (!c) this.counts.set(label, (c = { hits: 0, predicted: 0, reference: 0 }));
    return c;
  }

  addReference(label: string): void {
    this.of(label).reference++;
  }

  addPrediction(label: string, hit: boolean): void {
    const c = this.of(label);
    c.predicted++;
    if (hit) c.hits++;
  }

  /** Micro figures and per-label ones (labels sorted). Nothing predicted has precision 1, nothing to find recall 1. */
  summary(): { precision: number; recall: number; f1: number; perLabel: LabelMetrics[] } {
    let hits = 0;
    let predicted = 0;
    let reference = 0;
    const perLabel: LabelMetrics[] = [];
    for (const [label, c] of [...this.counts].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      hits += c.hits;
      predicted += c.predicted;
      reference += c.reference;
      const precision = c.predicted ? c.hits / c.predicted : 0;
      const recall = c.reference ? c.hits / c.reference : 0;
      perLabel.push({ label, precision, recall, f1: f1Of(precision, recall), support: c.reference });
    }
    const precision = predicted ? hits / predicted : 1;
    const recall = reference ? hits / reference : 1;
    return { precision, recall, f1: f1Of(precision, recall), perLabel };
  }
}

/**
 * Expected calibration error: the mean |accuracy − confidence| over equal-width confidence bins,
 * weighted by how many predictions fall in each bin.
 */
export function expectedCalibrationError(items: readonly ScoredPrediction[], bins = 15): number {
  if (items.length === 0) return 0;
  const count = new Float64Array(bins);
  const conf = new Float64Array(bins);
  const hits = new Float64Array(bins);
  for (const it of items) {
    const b = Math.min(bins - 1, Math.floor(it.confidence * bins));
    count[b]++;
    conf[b] += it.confidence;
    if (it.correct) hits[b]++;
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) if (count[b]) ece += Math.abs(hits[b] - conf[b]) / items.length;
  return ece;
}

/** Most confident first; the order the curves walk. */
function byConfidence(items: readonly ScoredPrediction[]): ScoredPrediction[] {
  return [...items].sort((a, b) => b.confidence - a.confidence);
}

/** Accuracy of the most confident x% of predictions, for x = 10%, 20%, … 100%. */
export function coverageAccuracyCurve(items: readonly ScoredPrediction[], steps = 10): CoveragePoint[] {
  const sorted = byConfidence(items);
  const points: CoveragePoint[] = [];
  if (sorted.length === 0) return points;
  let correct = 0;
  let taken = 0;
  for (let s = 1; s <= steps; s++) {
    const upto = Math.max(1, Math.round((sorted.length * s) / steps));
    for (; taken < upto; taken++) if (sorted[taken].correct) correct++;
    points.push({ coverage: s / steps, accuracy: correct / taken, threshold: sorted[taken - 1].confidence });
  }
  return points;
}

/**
 * Coverage and accuracy of the predictions a router with this threshold answers (confidence ≥
 * threshold), out of `total` predictions (default items.length; larger when some are never
 * answered whatever the threshold). Accuracy is 0 when nothing is covered.
 */
export function coverageAtThreshold(items: readonly ScoredPrediction[], threshold: number, total = items.length): CoveragePoint {
  const { covered, correct } = countCovered(items, threshold);
  return { threshold, coverage: total === 0 ? 0 : covered / total, accuracy: covered === 0 ? 0 : correct / covered };
}

/** How many predictions a threshold covers (confidence ≥ threshold), and how many of those are correct. */
export function countCovered(items: readonly ScoredPrediction[], threshold: number): { covered: number; correct: number } {
  let covered = 0;
  let correct = 0;
  for (const it of items) {
    if (it.confidence < threshold) continue;
    covered++;
    if (it.correct) correct++;
  }
  return { covered, correct };
}

/**
 * The coverage–accuracy trade-off threshold by threshold: at most `points` points, threshold
 * descending (coverage ascending). Unlike coverageAccuracyCurve, each point is exactly what
 * coverageAtThreshold gives for its threshold: predictions tied at a threshold are all kept, and
 * coverage is the true share of `total`, so the live threshold's point lies on the curve's steps.
 */
export function thresholdCurve(items: readonly ScoredPrediction[], points = 100, total = items.length): CoveragePoint[] {
  const sorted = byConfidence(items);
  const curve: CoveragePoint[] = [];
  let correct = 0;
  let taken = 0;
  for (let s = 1; s <= points && taken < sorted.length; s++) {
    const upto = Math.max(1, Math.round((sorted.length * s) / points));
    if (upto <= taken) continue;
    const threshold = sorted[upto - 1].confidence;
    for (; taken < sorted.length && sorted[taken].confidence >= threshold; taken++) if (sorted[taken].correct) correct++;
    curve.push({ threshold, coverage: taken / total, accuracy: correct / taken });
  }
  return curve;
}

/** Full evaluation from reference labels, predicted labels and confidences (same length). */
export function evaluatePredictions(reference: readonly string[], predicted: readonly string[], confidence: readonly number[], labelOrder?: readonly string[]): Evaluation {
  if (reference.length !== predicted.length || reference.length !== confidence.length) {
    throw new Error("reference, predicted and confidence must have the same length");
  }
  const labels = [...(labelOrder ?? [])];
  const index = new Map(labels.map((l, i) => [l, i]));
  const indexOf = (l: string) => {
    let i = index.get(l);
    if (i === undefined) {
      i = labels.length;
      labels.push(l);
      index.set(l, i);
    }
    return i;
  };
  const pairs = reference.map((r, i) => [indexOf(r), indexOf(predicted[i])] as const);
  const K = labels.length;
  const confusion = Array.from({ length: K }, () => new Array<number>(K).fill(0));
  for (const [r, p] of pairs) confusion[r][p]++;

  const perLabel: LabelMetrics[] = labels.map((label, k) => {
    let predictedK = 0;
    let support = 0;
    for (let j = 0; j < K; j++) {
      predictedK += confusion[j][k];
      support += confusion[k][j];
    }
    const tp = confusion[k][k];
    const precision = predictedK ? tp / predictedK : 0;
    const recall = support ? tp / support : 0;
    return { label, precision, recall, f1: f1Of(precision, recall), support };
  });
  // Macro-F1 over the labels that occur in the reference: a label only ever predicted would
  // otherwise count as a zero for a class the data does not have.
  const present = perLabel.filter((m) => m.support > 0);
  const scored = pairs.map(([r, p], i) => ({ confidence: confidence[i], correct: r === p }));
  const n = reference.length;
  return {
    n,
    accuracy: n ? scored.filter((s) => s.correct).length / n : 0,
    macroF1: present.length ? present.reduce((s, m) => s + m.f1, 0) / present.length : 0,
    ece: expectedCalibrationError(scored),
    perLabel,
    confusion,
    labels,
    coverageAccuracy: coverageAccuracyCurve(scored),
  };
}
