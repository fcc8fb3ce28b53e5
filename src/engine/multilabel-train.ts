// Training a multi-label classifier: fit the shared featurizer, hold out a random part of the
// texts, train one-vs-rest logistic regression with the SGD loop the single-label classifier uses
// (early stopping on the held-out loss), then fit on the held-out texts, in order: each label's
// calibration, each label's threshold, and the calibration of the set probability. There is no
// refit on every text afterwards, so all three are fitted on the model that ships.
import { Featurizer, type FeaturizerConfig } from "./featurizer.js";
import { Fingerprint } from "./fingerprint.js";
import { chooseLabels, fitLabelCalibration, fitPlatt, IDENTITY_PLATT, sigmoid, type Platt } from "./multilabel-calibration.js";
import { MultiLabelClassifier, type MultiLabelModelHeader } from "./multilabel-classifier.js";
import { denseTargets, labelSetsOf, logitsOf, oneVsRestGradient, oneVsRestHeldOut, selectSets, type LabelSets } from "./multilabel-loss.js";
import { evaluateMultiLabel } from "./multilabel-metrics.js";
import { tuneThresholds } from "./multilabel-thresholds.js";
import { expectedCalibrationError } from "./metrics.js";
import { mulberry32, shuffleInPlace } from "./random.js";
import { trainLinear, type SgdLoopOptions } from "./sgd.js";
import { encodeRows, selectRows } from "./sparse-rows.js";
import { runSummary, type TrainProgress } from "./train.js";

export interface MultiLabelExample {
  text: string;
  /** Any number of labels, none included. */
  labels: readonly string[];
}

export type MultiLabelTrainOptions = Omit<SgdLoopOptions, "onEpoch"> & {
  featurizer: Partial<FeaturizerConfig>;
  /** Share of texts held out for early stopping, calibration and thresholds. */
  validationFraction: number;
  /** Labels to know besides those in the examples: a declared label may have no example yet. */
  labels: readonly string[];
  /** Held-out positives (and negatives) a label needs for a calibration and a threshold of its own. */
  minHeldOutPositives: number;
  onProgress?: (p: TrainProgress) => void;
};

/** Chosen by validation on a split of SNIPS's training texts (never its test split); see bench/README.md. */
export const DEFAULT_MULTILABEL_TRAIN_OPTIONS: Readonly<Omit<MultiLabelTrainOptions, "onProgress">> = Object.freeze({
  featurizer: {},
  maxEpochs: 30,
  learningRate: 8,
  learningRateDecay: 0.1,
  l2: 1e-6,
  patience: 2,
  minImprovement: 0.01,
  seed: 1,
  gradientFloor: 1e-3,
  averageFrom: 2,
  validationFraction: 0.1,
  labels: [],
  minHeldOutPositives: 10,
});

export class MultiLabelTrainingError extends Error {
  override name = "MultiLabelTrainingError";
}

/** Below this many texts nothing is held out: every text is needed to learn from. */
const MIN_EXAMPLES_FOR_VALIDATION = 20;

/**
 * A seeded random held-out part of about `fraction` of the texts, except that a text whose
 * holding out would leave one of its labels without a training positive stays in training.
 */
function splitTexts(sets: LabelSets, labelCount: number, fraction: number, seed: number): { train: number[]; holdout: number[] } {
  const n = sets.ptr.length - 1;
  const remaining = new Int32Array(labelCount);
  for (const k of sets.idx) remaining[k]++;
  const held = new Uint8Array(n);
  const order = shuffleInPlace(Int32Array.from({ length: n }, (_, i) => i), mulberry32(seed));
  for (let t = 0; t < Math.round(n * fraction); t++) {
    const labels = sets.idx.subarray(sets.ptr[order[t]], sets.ptr[order[t] + 1]);
    if (labels.some((k) => remaining[k] < 2)) continue;
    for (const k of labels) remaining[k]--;
    held[order[t]] = 1;
  }
  const train: number[] = [];
  const holdout: number[] = [];
  for (let i = 0; i < n; i++) (held[i] ? holdout : train).push(i);
  return { train, holdout };
}

/** How every label is decided: its calibration and threshold. */
interface LabelDecisions {
  slope: Float64Array;
  intercept: Float64Array;
  thresholds: Float64Array;
  ownCalibration: number;
  ownThreshold: number;
}

interface HeldOutFit extends LabelDecisions {
  setCalibration: Platt;
  microF1: number | null;
  exactSet: number | null;
  setEce: number | null;
}

const count = (xs: Uint8Array) => xs.reduce((s, x) => s + x, 0);

/** Each label's calibration, then each label's threshold on the calibrated probabilities. */
function fitDecisions(logits: Float64Array, targets: Uint8Array, K: number, minPositives: number): LabelDecisions {
  const calibration = fitLabelCalibration(logits, targets, K, minPositives);
  const { thresholds, ownThreshold } = tuneThresholds(calibratedProbabilities(calibration, logits, K), targets, K, minPositives);
  return { ...calibration, thresholds, ownCalibration: count(calibration.ownFit), ownThreshold: count(ownThreshold) };
}

function calibratedProbabilities(c: { slope: Float64Array; intercept: Float64Array }, logits: Float64Array, K: number): Float64Array {
  return logits.map((z, j) => sigmoid(c.slope[j % K] * z + c.intercept[j % K]));
}

/** Each text's predicted set (as a 0/1 row in `chosen`, texts × K), its independent-labels log-odds and whether it is exactly right. */
function decide(d: LabelDecisions, logits: Float64Array, targets: Uint8Array, K: number) {
  const n = logits.length / K;
  const probabilities = calibratedProbabilities(d, logits, K);
  const chosen = new Uint8Array(n * K);
  const logOdds = new Float64Array(n);
  const exact = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const row = chosen.subarray(i * K, (i + 1) * K);
    logOdds[i] = chooseLabels(probabilities.subarray(i * K, (i + 1) * K), d.thresholds, row);
    exact[i] = row.every((c, k) => c === targets[i * K + k]) ? 1 : 0;
  }
  return { chosen, logOdds, exact };
}

/** The rows at `indices` of a texts × K array. */
function pickRows<T extends Float64Array | Uint8Array>(a: T, K: number, indices: readonly number[]): T {
  const out = new (a.constructor as new (n: number) => T)(indices.length * K);
  indices.forEach((i, r) => out.set(a.subarray(i * K, (i + 1) * K), r * K));
  return out;
}

const FOLDS = 5;

/**
 * Calibrations and thresholds from the held-out texts' logits, then the set calibration. Fitted
 * on the texts whose thresholds were tuned on them, the set probability would be overconfident
 * (a set is more often exactly right on the texts its thresholds were chosen for), so it is fitted
 * on cross-fitted sets instead: each fifth of the held-out texts decided by calibrations and
 * thresholds fitted on the other four fifths.
 */
function fitOnHeldOut(logits: Float64Array, sets: LabelSets, labels: readonly string[], minPositives: number): HeldOutFit {
  const K = labels.length;
  const n = logits.length / K;
  const targets = denseTargets(sets, K);
  const decisions = fitDecisions(logits, targets, K, minPositives);
  const honestLogOdds = new Float64Array(n);
  const honestExact = new Uint8Array(n);
  for (let fold = 0; fold < FOLDS; fold++) {
    const inFold = Array.from({ length: n }, (_, i) => i).filter((i) => i % FOLDS === fold);
    const rest = Array.from({ length: n }, (_, i) => i).filter((i) => i % FOLDS !== fold);
    if (inFold.length === 0) continue;
    const d = fitDecisions(pickRows(logits, K, rest), pickRows(targets, K, rest), K, minPositives);
    const out = decide(d, pickRows(logits, K, inFold), pickRows(targets, K, inFold), K);
    inFold.forEach((i, r) => {
      honestLogOdds[i] = out.logOdds[r];
      honestExact[i] = out.exact[r];
    });
  }
  const { chosen } = decide(decisions, logits, targets, K);
  const scored = evaluateMultiLabel(
    Array.from({ length: n }, (_, i) => [...sets.idx.subarray(sets.ptr[i], sets.ptr[i + 1])].map((k) => labels[k])),
    Array.from({ length: n }, (_, i) => ({ labels: labels.filter((_, k) => chosen[i * K + k]), probability: 0 })),
  );
  return {
    ...decisions,
    setCalibration: fitPlatt(honestLogOdds, honestExact),
    microF1: scored.micro_f1,
    exactSet: scored.exact_set_accuracy,
    setEce: crossFittedSetEce(honestLogOdds, honestExact),
  };
}

/**
 * ECE of the set probability with each held-out text scored by a calibration it did not help fit
 * (texts alternate between two halves): the same texts cannot both fit and check it.
 */
function crossFittedSetEce(logOdds: Float64Array, exact: Uint8Array): number {
  const half = (parity: number) => ({
    scores: logOdds.filter((_, i) => i % 2 === parity),
    outcomes: exact.filter((_, i) => i % 2 === parity),
  });
  const items = [0, 1].flatMap((parity) => {
    const fit = half(1 - parity);
    const check = half(parity);
    const platt = fitPlatt(fit.scores, fit.outcomes);
    return [...check.scores].map((s, j) => ({ confidence: sigmoid(platt.slope * s + platt.intercept), correct: check.outcomes[j] === 1 }));
  });
  return expectedCalibrationError(items);
}

export function trainMultiLabelClassifier(examples: readonly MultiLabelExample[], options: Partial<MultiLabelTrainOptions> = {}): MultiLabelClassifier {
  const started = performance.now();
  const opt: MultiLabelTrainOptions = { ...DEFAULT_MULTILABEL_TRAIN_OPTIONS, ...options };
  if (examples.length === 0) throw new MultiLabelTrainingError("no training examples");
  const labels = [...new Set([...opt.labels, ...examples.flatMap((e) => e.labels)])].sort();
  if (labels.length === 0) throw new MultiLabelTrainingError("no labels: no example has one and none were declared");
  const labelIndex = new Map(labels.map((l, i) => [l, i]));
  const K = labels.length;
  const sets = labelSetsOf(examples.map((e) => e.labels.map((l) => labelIndex.get(l)!)));

  const split =
    examples.length >= MIN_EXAMPLES_FOR_VALIDATION && opt.validationFraction > 0
      ? splitTexts(sets, K, opt.validationFraction, opt.seed)
      : { train: examples.map((_, i) => i), holdout: [] };
  // The vocabulary and IDF come from every text (no labels involved), as for the single-label classifier.
  const texts = examples.map((e) => e.text);
  const featurizer = Featurizer.fit(texts, opt.featurizer);
  let done = 0;
  const rows = encodeRows(featurizer, texts, () => {
    if (++done % 500 === 0 || done === texts.length) opt.onProgress?.({ phase: "featurize", done, total: texts.length });
  });
  const trainSets = selectSets(sets, split.train);
  const heldOutRows = selectRows(rows, split.holdout);
  const heldOutSets = selectSets(sets, split.holdout);

  const { featurizer: _f, validationFraction: _v, labels: _l, minHeldOutPositives, onProgress, ...sgd } = opt;
  const result = trainLinear(
    featurizer.featureCount,
    K,
    selectRows(rows, split.train),
    oneVsRestGradient(trainSets, K, opt.gradientFloor),
    split.holdout.length ? oneVsRestHeldOut(heldOutRows, heldOutSets) : null,
    { ...sgd, onEpoch: (e) => onProgress?.({ phase: "epoch", epoch: e.epoch, maxEpochs: e.maxEpochs, validationAccuracy: e.validationAccuracy }) },
  );
  const fit: HeldOutFit = split.holdout.length
    ? fitOnHeldOut(logitsOf(result.model, heldOutRows), heldOutSets, labels, minHeldOutPositives)
    : {
        slope: new Float64Array(K).fill(1),
        intercept: new Float64Array(K),
        thresholds: new Float64Array(K).fill(0.5),
        setCalibration: { ...IDENTITY_PLATT },
        ownCalibration: 0,
        ownThreshold: 0,
        microF1: null,
        exactSet: null,
        setEce: null,
      };

  const labelPositives = new Array<number>(K).fill(0);
  for (const k of trainSets.idx) labelPositives[k]++;
  const fingerprint = new Fingerprint();
  for (const e of examples) fingerprint.add(e.text).add(JSON.stringify([...e.labels].sort()));
  const header: MultiLabelModelHeader = {
    kind: "multilabel",
    labels,
    featurizer: featurizer.config,
    calibration: { slope: [...fit.slope], intercept: [...fit.intercept] },
    thresholds: [...fit.thresholds],
    setCalibration: fit.setCalibration,
    training: {
      ...runSummary(examples.length, split, featurizer.featureCount, result),
      labelPositives,
      ownCalibration: fit.ownCalibration,
      ownThreshold: fit.ownThreshold,
      validationMicroF1: fit.microF1,
      validationExactSet: fit.exactSet,
      validationSetEce: fit.setEce,
      seconds: (performance.now() - started) / 1000,
      seed: opt.seed,
      dataFingerprint: fingerprint.hex(),
      options: { ...sgd, validationFraction: opt.validationFraction, minHeldOutPositives },
    },
    createdAt: new Date().toISOString(),
  };
  return new MultiLabelClassifier(header, featurizer, result.model);
}
