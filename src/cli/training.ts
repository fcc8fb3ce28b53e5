// Training from a loaded dataset, shared by `train` and `demo`.
import type { Dataset } from "../data/dataset.js";
import type { TextClassifier } from "../engine/classifier.js";
import type { Quantization } from "../engine/model-file.js";
import { trainClassifier, type TrainOptions, type TrainingExample } from "../engine/train.js";
import { bytes, count, fixed, keyValues, percent, seconds } from "./format.js";
import { trainProgressDisplay } from "./progress.js";

export type CliTrainOptions = { seed?: number; epochs?: number };

export function trainOnDataset(ds: Dataset, options: CliTrainOptions = {}): TextClassifier {
  const examples: TrainingExample[] = ds.examples.map((e) => ({ text: e.text, label: e.label ?? "" }));
  const trainOptions: Partial<TrainOptions> = {};
  if (options.seed !== undefined) trainOptions.seed = options.seed;
  if (options.epochs !== undefined) trainOptions.maxEpochs = options.epochs;

  const progress = trainProgressDisplay();
  try {
    return trainClassifier(examples, { ...trainOptions, onProgress: progress.onProgress });
  } finally {
    progress.stop();
  }
}

export type SavedModel = { path: string; bytes: number; quantize: Quantization };

export function trainingSummaryLines(model: TextClassifier, saved: SavedModel): string[] {
  const t = model.header.training;
  const maxEpochs = typeof t.options.maxEpochs === "number" ? `, max ${t.options.maxEpochs}` : "";
  const refit = t.options.refit === true && t.validationExamples > 0 ? `, then ${t.bestEpoch} on all examples` : "";
  const validation =
    t.validationAccuracy === null
      ? "n/a (too few examples for a validation split)"
      : `${percent(t.validationAccuracy)} on ${count(t.validationExamples)} held-out examples` +
        (t.validationEce === null ? "" : ` (ECE ${fixed(t.validationEce)})`);
  return [
    "Trained a specialist",
    ...keyValues([
      ["examples", `${count(t.examples)} (${count(t.trainExamples)} train, ${count(t.validationExamples)} validation)`],
      ["labels", String(model.labels.length)],
      ["features", count(t.features)],
      ["epochs", `${t.epochs} (best ${t.bestEpoch}${maxEpochs})${refit}`],
      ["time", seconds(t.seconds)],
      ["validation accuracy", validation],
      ["model", `${saved.path} (${bytes(saved.bytes)}${saved.quantize === "int8" ? ", int8 weights" : ""})`],
    ]),
  ];
}
