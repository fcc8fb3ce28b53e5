// Training a specialist: fit the featurizer, split off a stratified validation set, run SGD with
// early stopping on it, then calibrate a temperature on the same held-out logits.
import { fitTemperature } from "./calibration.js";
import { TextClassifier, type ModelHeader, type RunSummary } from "./classifier.js";
import { Featurizer, type FeaturizerConfig } from "./featurizer.js";
import { Fingerprint } from "./fingerprint.js";
import { softmaxInPlace } from "./linear-model.js";
import { expectedCalibrationError } from "./metrics.js";
import { stratifiedIndices } from "./random.js";
import { encodeRows, selectRows } from "./sparse-rows.js";
import { trainSoftmax, type LabeledRows, type SgdOptions, type SgdResult } from "./sgd.js";

export interface TrainingExample {
  text: string;
  label: string;
}

export type TrainOptions = Omit<SgdOptions, "classWeights" | "onEpoch"> & {
  featurizer: Partial<FeaturizerConfig>;
  /** Share of examples held out for early stopping and calibration. */
  validationFraction: number;
  /** `balanced` weighs each class by n / (classes · n_class); or explicit weights by label. */
  classWeights: "none" | "balanced" | Record<string, number>;
  /** After early stopping, train again on all examples for the chosen number of epochs. */
  refit: boolean;
  onProgress?: (p: TrainProgress) => void;
};

export type TrainProgress =
  | { phase: "featurize"; done: number; total: number }
  | { phase: "epoch" | "refit"; epoch: number; maxEpochs: number; validationAccuracy: number | null };

/**
 * Defaults chosen by validation on a split of the training data of an intent task (never on a
 * test set), and meant to carry over to other short-text tasks; see bench/README.md.
 */
export const DEFAULT_TRAIN_OPTIONS: Readonly<Omit<TrainOptions, "onProgress">> = Object.freeze({
  featurizer: {},
  maxEpochs: 30,
  learningRate: 2,
  learningRateDecay: 0.1,
  l2: 1e-6,
  patience: 2,
  minImprovement: 0.01,
  seed: 1,
  validationFraction: 0.1,
  classWeights: "none",
  gradientFloor: 1e-3,
  averageFrom: 2,
  refit: true,
});

export class TrainingError extends Error {
  override name = "TrainingError";
}

/** The summary fields both linear trainers fill alike: where the texts went, features, epochs. */
export function runSummary(examples: number, split: { train: readonly number[]; holdout: readonly number[] }, features: number, result: SgdResult): RunSummary {
  return { examples, trainExamples: split.train.length, validationExamples: split.holdout.length, features, epochs: result.epochsRun, bestEpoch: result.bestEpoch };
}

/** Below this many examples no validation split is made: every example is needed to learn from. */
const MIN_EXAMPLES_FOR_VALIDATION = 20;

function classWeightsFor(option: TrainOptions["classWeights"], labels: string[], y: Int32Array): Float64Array | null {
  if (option === "none") return null;
  const w = new Float64Array(labels.length);
  if (option === "balanced") {
    const counts = new Float64Array(labels.length);
    for (const c of y) counts[c]++;
    for (let k = 0; k < labels.length; k++) w[k] = counts[k] ? y.length / (labels.length * counts[k]) : 1;
    return w;
  }
  for (let k = 0; k < labels.length; k++) {
    const v = option[labels[k]] ?? 1;
    if (!(v > 0)) throw new TrainingError(`class weight for "${labels[k]}" must be > 0, got ${v}`);
    w[k] = v;
  }
  for (const name of Object.keys(option)) {
    if (!labels.includes(name)) throw new TrainingError(`class weight given for "${name}", which is not a label in the data`);
  }
  return w;
}

export function trainClassifier(examples: readonly TrainingExample[], options: Partial<TrainOptions> = {}): TextClassifier {
  const started = performance.now();
  const opt: TrainOptions = { ...DEFAULT_TRAIN_OPTIONS, ...options };
  if (examples.length === 0) throw new TrainingError("no training examples");
  const labels = [...new Set(examples.map((e) => e.label))].sort();
  if (labels.length < 2) throw new TrainingError(`need at least 2 labels to train, found ${labels.length} (${labels[0]})`);
  const classOf = new Map(labels.map((l, i) => [l, i]));
  const y = Int32Array.from(examples, (e) => classOf.get(e.label)!);

  const split =
    examples.length >= MIN_EXAMPLES_FOR_VALIDATION && opt.validationFraction > 0
      ? stratifiedIndices(y, opt.validationFraction, opt.seed)
      : { train: examples.map((_, i) => i), holdout: [] };
  // The vocabulary and IDF come from every text (no labels involved); the validation split only
  // holds labels back from the optimiser.
  const texts = examples.map((e) => e.text);
  const featurizer = Featurizer.fit(texts, opt.featurizer);
  let done = 0;
  const all: LabeledRows = {
    rows: encodeRows(featurizer, texts, () => {
      if (++done % 500 === 0 || done === texts.length) opt.onProgress?.({ phase: "featurize", done, total: texts.length });
    }),
    labels: y,
  };
  const part = (indices: number[]): LabeledRows => ({ rows: selectRows(all.rows, indices), labels: Int32Array.from(indices, (i) => y[i]) });
  const train = split.holdout.length ? part(split.train) : all;
  const validation = split.holdout.length ? part(split.holdout) : null;

  const { featurizer: _f, validationFraction: _v, classWeights, refit: _r, onProgress, ...settings } = opt;
  const sgd: SgdOptions = {
    ...settings,
    classWeights: classWeightsFor(classWeights, labels, y),
    onEpoch: (e) => onProgress?.({ phase: "epoch", epoch: e.epoch, maxEpochs: e.maxEpochs, validationAccuracy: e.validationAccuracy }),
  };
  const result = trainSoftmax(featurizer.featureCount, labels.length, train, validation, sgd);
  // Refit: the same number of epochs again on every example, so the held-out tenth is learned
  // from too. The temperature fitted below on the first model's held-out logits carries over.
  const final =
    opt.refit && validation
      ? trainSoftmax(featurizer.featureCount, labels.length, all, null, {
          ...sgd,
          maxEpochs: result.bestEpoch,
          onEpoch: (e) => opt.onProgress?.({ phase: "refit", epoch: e.epoch, maxEpochs: e.maxEpochs, validationAccuracy: null }),
        }).model
      : result.model;

  let temperature = 1;
  let validationEce: number | null = null;
  if (validation) {
    const K = labels.length;
    const n = validation.labels.length;
    const logits = new Float64Array(n * K);
    const { ptr, idx, val } = validation.rows;
    for (let i = 0; i < n; i++) {
      result.model.logits(idx.subarray(ptr[i]), val.subarray(ptr[i]), ptr[i + 1] - ptr[i], logits.subarray(i * K, (i + 1) * K));
    }
    temperature = fitTemperature(logits, validation.labels, K);
    validationEce = expectedCalibrationError(validationConfidences(logits, validation.labels, K, temperature));
  }

  const fingerprint = new Fingerprint();
  for (const e of examples) fingerprint.add(e.text).add(e.label);
  const header: ModelHeader = {
    labels,
    featurizer: featurizer.config,
    temperature,
    training: {
      ...runSummary(examples.length, split, featurizer.featureCount, result),
      validationAccuracy: result.validationAccuracy,
      validationEce,
      seconds: (performance.now() - started) / 1000,
      seed: opt.seed,
      dataFingerprint: fingerprint.hex(),
      options: { ...settings, classWeights, validationFraction: opt.validationFraction, refit: opt.refit },
    },
    createdAt: new Date().toISOString(),
  };
  return new TextClassifier(header, featurizer, final);
}

function validationConfidences(logits: Float64Array, labels: Int32Array, K: number, temperature: number) {
  const out: { confidence: number; correct: boolean }[] = [];
  for (let i = 0; i < labels.length; i++) {
    const p = logits.slice(i * K, (i + 1) * K);
    const best = softmaxInPlace(p, temperature);
    out.push({ confidence: p[best], correct: best === labels[i] });
  }
  return out;
}
