// The CLI's multi-label paths: loading JSONL `labels` arrays or CSV with a delimited labels
// column, and the train/eval/predict steps for multi-label models.
import { extname } from "node:path";
import { readMultiLabelDataset, type MultiLabelDataset } from "../data/multilabel-dataset.js";
import type { MultiLabelClassifier, MultiLabelPrediction } from "../engine/multilabel-classifier.js";
import { evaluateMultiLabel, type MultiLabelEvaluation } from "../engine/multilabel-metrics.js";
import { trainMultiLabelClassifier, type MultiLabelTrainOptions } from "../engine/multilabel-train.js";
import { CliError } from "./errors.js";
import { timePredictions } from "./evaluation.js";
import { bytes, count, fixed, keyValues, percent, seconds } from "./format.js";
import { trainProgressDisplay } from "./progress.js";
import { parseDataFile } from "./spans.js";

export type MultiLabelFlags = { format?: string; textColumn?: string; labelColumn?: string; onBadRow?: "skip" | "fail" };

function formatOf(path: string, format?: string): "jsonl" | "csv" {
  if (format === "jsonl" || format === "csv") return format;
  if (format !== undefined) throw new CliError(`multi-label data can be read as jsonl or csv, not ${format}`);
  const ext = extname(path).toLowerCase();
  if (ext === ".jsonl" || ext === ".ndjson") return "jsonl";
  if (ext === ".csv") return "csv";
  throw new CliError(`cannot tell the format of ${path} from its extension: use .jsonl or .csv, or pass --format`);
}

export async function loadMultiLabelDataset(path: string, flags: MultiLabelFlags): Promise<MultiLabelDataset> {
  const format = formatOf(path, flags.format);
  return parseDataFile(path, (content) =>
    readMultiLabelDataset(content, { format, textColumn: flags.textColumn, labelsColumn: flags.labelColumn, onBadRow: flags.onBadRow ?? "fail", source: path }),
  );
}

export function trainMultiLabel(ds: MultiLabelDataset, options: { seed?: number; epochs?: number }): MultiLabelClassifier {
  const opt: Partial<MultiLabelTrainOptions> = {};
  if (options.seed !== undefined) opt.seed = options.seed;
  if (options.epochs !== undefined) opt.maxEpochs = options.epochs;
  const progress = trainProgressDisplay();
  try {
    return trainMultiLabelClassifier(ds.examples, { ...opt, onProgress: progress.onProgress });
  } catch (err) {
    throw new CliError(`cannot train on ${ds.source ?? "the dataset"}: ${(err as Error).message}`, { cause: err });
  } finally {
    progress.stop();
  }
}

export function multiLabelTrainingSummaryLines(model: MultiLabelClassifier, saved: { path: string; bytes: number; quantize: string }): string[] {
  const t = model.header.training;
  const never = model.labels.filter((_, k) => t.labelPositives[k] === 0);
  const validation =
    t.validationMicroF1 === null
      ? "n/a (too few examples for a validation split)"
      : `micro-F1 ${fixed(t.validationMicroF1)}, exact set ${percent(t.validationExactSet ?? 0)} on ${count(t.validationExamples)} held-out texts` +
        (t.validationSetEce === null ? "" : ` (set ECE ${fixed(t.validationSetEce)}, cross-fitted)`);
  return [
    "Trained a multi-label classifier",
    ...keyValues([
      ["texts", `${count(t.examples)} (${count(t.trainExamples)} train, ${count(t.validationExamples)} validation)`],
      ["labels", `${model.labels.length}: ${model.labels.join(", ")}`],
      ["calibrated alone", `${t.ownCalibration} labels with their own calibration, ${t.ownThreshold} with their own threshold (the rest share them)`],
      ...(never.length ? [["never positive", `${never.join(", ")} (never predicted until examples come)`] as [string, string]] : []),
      ["features", count(t.features)],
      ["epochs", `${t.epochs} (best ${t.bestEpoch})`],
      ["time", seconds(t.seconds)],
      ["validation", validation],
      ["model", `${saved.path} (${bytes(saved.bytes)}${saved.quantize === "int8" ? ", int8 weights" : ""})`],
    ]),
  ];
}

export interface MultiLabelEvalResult extends MultiLabelEvaluation {
  predict_per_s: number;
}

const predictedSet = (p: MultiLabelPrediction) => ({ labels: p.labels.map((l) => l.label), probability: p.probability });

/** The figures over the whole file, and predictions/s on one thread with featurising included. */
export function evaluateMultiLabelModel(model: MultiLabelClassifier, ds: MultiLabelDataset): MultiLabelEvalResult {
  const texts = ds.examples.map((e) => e.text);
  const predictions = texts.map((text) => predictedSet(model.predict(text)));
  const evaluation = evaluateMultiLabel(
    ds.examples.map((e) => e.labels),
    predictions,
  );
  return { ...evaluation, predict_per_s: Math.round(timePredictions((text) => model.predict(text), texts)) };
}

export function multiLabelEvaluationLines(r: MultiLabelEvalResult, title: string): string[] {
  return [
    title,
    ...keyValues([
      ["texts", count(r.n)],
      ["micro-F1", `${fixed(r.micro_f1)} (precision ${fixed(r.micro_precision)}, recall ${fixed(r.micro_recall)})`],
      ["macro-F1", fixed(r.macro_f1)],
      ["exact set", percent(r.exact_set_accuracy)],
      ["set ECE", `${fixed(r.set_ece)} (0: set probabilities match how often the set is exactly right)`],
      ["predictions/s", count(r.predict_per_s)],
    ]),
    "per label (precision / recall / F1, support):",
    ...r.per_label.map((l) => `  ${l.label}: ${fixed(l.precision)} / ${fixed(l.recall)} / ${fixed(l.f1)}, ${l.support}`),
  ];
}
