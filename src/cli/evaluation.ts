// Evaluating a model on labeled examples, shared by `eval` and `demo`: the figures, their JSON
// form and the readable report.
import type { Example } from "../data/dataset.js";
import type { TextClassifier } from "../engine/classifier.js";
import { evaluatePredictions, type Evaluation } from "../engine/metrics.js";
import { CliError } from "./errors.js";
import { count, fixed, keyValues, percent, table } from "./format.js";

/** Timed passes over the texts are repeated until this much time has passed, for a steadier figure. */
const MIN_TIMING_MS = 200;
const WORST_LABELS = 5;
const TOP_CONFUSIONS = 10;

export type Confusion = { label: string; predicted: string; count: number };

export type ModelEvaluation = {
  evaluation: Evaluation;
  /** Single-thread predictions per second with the model loaded, after a warm-up pass. */
  predictPerSecond: number;
  topConfusions: Confusion[];
  /** Labels in the data that the model was not trained on (it can never predict them). */
  unknownLabels: string[];
};

export function evaluateModel(model: TextClassifier, examples: readonly Example[]): ModelEvaluation {
  if (examples.length === 0) throw new CliError("no examples to evaluate");
  const texts = examples.map((e) => e.text);
  const reference = examples.map((e) => e.label ?? "");

  // The first pass gives the predictions and warms up the JIT; the timed passes only predict.
  const predicted: string[] = new Array(texts.length);
  const confidence: number[] = new Array(texts.length);
  texts.forEach((text, i) => {
    const p = model.predict(text);
    predicted[i] = p.label;
    confidence[i] = p.confidence;
  });
  const predictPerSecond = timePredictions((text) => model.predict(text), texts);

  const evaluation = evaluatePredictions(reference, predicted, confidence, model.labels);
  const known = new Set(model.labels);
  const unknownLabels = [...new Set(reference)].filter((l) => !known.has(l)).sort();
  return { evaluation, predictPerSecond, topConfusions: topConfusions(evaluation), unknownLabels };
}

/** Single-thread predictions per second, featurising included: passes over the texts for at least MIN_TIMING_MS. */
export function timePredictions(predict: (text: string) => unknown, texts: readonly string[]): number {
  let predictions = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    for (const text of texts) predict(text);
    predictions += texts.length;
    elapsed = performance.now() - start;
  } while (elapsed < MIN_TIMING_MS);
  return (predictions * 1000) / elapsed;
}

function topConfusions(e: Evaluation): Confusion[] {
  const out: Confusion[] = [];
  e.confusion.forEach((row, i) =>
    row.forEach((n, j) => {
      if (i !== j && n > 0) out.push({ label: e.labels[i], predicted: e.labels[j], count: n });
    }),
  );
  return out
    .sort((a, b) => b.count - a.count || cmp(a.label, b.label) || cmp(a.predicted, b.predicted))
    .slice(0, TOP_CONFUSIONS);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The `eval --json` object; snake_case keys, plain numbers. */
export function evaluationJson(result: ModelEvaluation, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const e = result.evaluation;
  return {
    ...extra,
    n: e.n,
    accuracy: e.accuracy,
    macro_f1: e.macroF1,
    ece: e.ece,
    predict_per_s: Math.round(result.predictPerSecond),
    per_label: e.perLabel.map((m) => ({ label: m.label, precision: m.precision, recall: m.recall, f1: m.f1, support: m.support })),
    coverage_accuracy: e.coverageAccuracy.map((p) => ({ coverage: p.coverage, accuracy: p.accuracy, threshold: p.threshold })),
    top_confusions: result.topConfusions,
    unknown_labels: result.unknownLabels,
  };
}

/** The headline figures only (used by `demo`). */
export function evaluationSummaryLines(result: ModelEvaluation): string[] {
  const e = result.evaluation;
  return keyValues([
    ["examples", count(e.n)],
    ["accuracy", percent(e.accuracy)],
    ["macro-F1", fixed(e.macroF1)],
    ["ECE", `${fixed(e.ece)} (calibration error: 0 means confidences match accuracy)`],
    ["predictions/s", `${count(result.predictPerSecond)} (one thread, model loaded)`],
  ]);
}

export function evaluationReportLines(result: ModelEvaluation, title: string): string[] {
  const e = result.evaluation;
  const lines = [title, ...evaluationSummaryLines(result), ""];

  lines.push("Accuracy of the most confident predictions");
  lines.push(
    ...table(
      [
        ["coverage", "accuracy", "min confidence"],
        ...e.coverageAccuracy.map((p) => [percent(p.coverage, 0), percent(p.accuracy), fixed(p.threshold)]),
      ],
      "rrr",
    ),
  );

  const worst = e.perLabel
    .filter((m) => m.support > 0)
    .sort((a, b) => a.f1 - b.f1 || cmp(a.label, b.label))
    .slice(0, WORST_LABELS);
  lines.push("", `Worst labels by F1 (of ${e.perLabel.filter((m) => m.support > 0).length})`);
  lines.push(
    ...table(
      [
        ["label", "F1", "precision", "recall", "support"],
        ...worst.map((m) => [m.label, fixed(m.f1), fixed(m.precision), fixed(m.recall), String(m.support)]),
      ],
      "lrrrr",
    ),
  );

  lines.push("", "Top confusions (expected → predicted)");
  if (result.topConfusions.length === 0) lines.push("  none");
  else lines.push(...table(result.topConfusions.map((c) => [c.label, "→", c.predicted, String(c.count)]), "lllr"));
  return lines;
}
