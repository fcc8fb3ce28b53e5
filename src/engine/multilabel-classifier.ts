// A trained multi-label classifier: the shared featurizer, one logistic regression per label over
// its features (one LinearModel whose classes are the labels), a calibration per label, a
// threshold per label, and the calibration of the whole set's probability. Everything prediction
// needs and nothing that needs Node, like the single-label classifier.
import type { Featurizer, FeaturizerConfig } from "./featurizer.js";
import type { LabelProbability, RunSummary } from "./classifier.js";
import type { LinearModel } from "./linear-model.js";
import { LinearTextModel } from "./linear-text-model.js";
import { chooseLabels, sigmoid, type Platt } from "./multilabel-calibration.js";

export interface MultiLabelTrainingSummary extends RunSummary {
  /** Texts carrying each label in the training part (labels order): 0 for a label never seen positive. */
  labelPositives: number[];
  /** Labels with a calibration and a threshold of their own; the rest share them. */
  ownCalibration: number;
  ownThreshold: number;
  /** On the held-out part, with the tuned thresholds. */
  validationMicroF1: number | null;
  validationExactSet: number | null;
  /** ECE of the set probability on the held-out part, each half scored by the calibration fitted on the other half. */
  validationSetEce: number | null;
  seconds: number;
  seed: number;
  dataFingerprint: string;
  options: Record<string, unknown>;
}

export interface MultiLabelModelHeader {
  kind: "multilabel";
  labels: string[];
  featurizer: FeaturizerConfig;
  /** Per label, in labels order: probability = σ(slope · logit + intercept). */
  calibration: { slope: number[]; intercept: number[] };
  /** Per label: predicted when its probability is at least this. */
  thresholds: number[];
  /** Set probability = σ(slope · ℓ + intercept), ℓ the predicted set's log-odds if labels were independent. */
  setCalibration: Platt;
  training: MultiLabelTrainingSummary;
  createdAt: string;
}

export interface MultiLabelPrediction {
  /** The predicted labels with their calibrated probabilities, most probable first; may be empty. */
  labels: LabelProbability[];
  /** Calibrated probability that `labels` is exactly the right set: nothing missing, nothing extra. */
  probability: number;
  /** Share of the text's n-grams the model never learned (Featurizer.unknownShare). */
  unknownShare: number;
}

export class MultiLabelClassifier extends LinearTextModel<MultiLabelModelHeader> {
  /** Calibrated probabilities of the text scored last. */
  private readonly p: Float64Array;
  private readonly chosen: Uint8Array;

  constructor(header: MultiLabelModelHeader, featurizer: Featurizer, linear: LinearModel) {
    super(header, featurizer, linear);
    const K = header.labels.length;
    const { slope, intercept } = header.calibration;
    if (slope.length !== K || intercept.length !== K || header.thresholds.length !== K) throw new Error("calibration or thresholds do not match the labels");
    this.p = new Float64Array(K);
    this.chosen = new Uint8Array(K);
  }

  /** Calibrated probability of every label, in `labels` order (a fresh array). */
  probabilities(text: string): Float64Array {
    this.score(text);
    return this.p.slice();
  }

  predict(text: string): MultiLabelPrediction {
    this.score(text);
    const logOdds = chooseLabels(this.p, this.header.thresholds, this.chosen);
    const labels: LabelProbability[] = [];
    for (let k = 0; k < this.chosen.length; k++) if (this.chosen[k]) labels.push({ label: this.header.labels[k], probability: this.p[k] });
    labels.sort((a, b) => b.probability - a.probability);
    const { slope, intercept } = this.header.setCalibration;
    return { labels, probability: sigmoid(slope * logOdds + intercept), unknownShare: this.featurizer.lastUnknownShare };
  }

  private score(text: string): void {
    this.scoreLogits(text);
    const { slope, intercept } = this.header.calibration;
    for (let k = 0; k < this.z.length; k++) this.p[k] = sigmoid(slope[k] * this.z[k] + intercept[k]);
  }
}
