// A trained specialist: featurizer + linear model + calibration temperature + label names.
// Everything prediction needs, and nothing that needs Node: it runs in a browser as well.
import type { FeaturizerConfig } from "./featurizer.js";
import { softmaxInPlace } from "./linear-model.js";
import { LinearTextModel } from "./linear-text-model.js";

/** Where a trainer's texts went (train or held out), the features it learned and its epochs. */
export interface RunSummary {
  examples: number;
  trainExamples: number;
  validationExamples: number;
  features: number;
  epochs: number;
  bestEpoch: number;
}

export interface TrainingSummary extends RunSummary {
  validationAccuracy: number | null;
  validationEce: number | null;
  seconds: number;
  seed: number;
  /** Fingerprint of the training texts and labels, in order (see fingerprint.ts). */
  dataFingerprint: string;
  options: Record<string, unknown>;
}

export interface ModelHeader {
  labels: string[];
  featurizer: FeaturizerConfig;
  temperature: number;
  training: TrainingSummary;
  createdAt: string;
}

export interface Prediction {
  label: string;
  /** Calibrated probability of `label`. */
  confidence: number;
  index: number;
  /** Share of the text's n-grams the model never learned (Featurizer.unknownShare). */
  unknownShare: number;
}

export interface LabelProbability {
  label: string;
  probability: number;
}

export class TextClassifier extends LinearTextModel<ModelHeader> {
  /** Calibrated probabilities of every label, in `labels` order (a fresh array). */
  probabilities(text: string): Float64Array {
    this.score(text);
    return this.z.slice();
  }

  predict(text: string): Prediction {
    const best = this.score(text);
    return { label: this.header.labels[best], confidence: this.z[best], index: best, unknownShare: this.featurizer.lastUnknownShare };
  }

  /** The k most probable labels, most probable first. */
  top(text: string, k: number): LabelProbability[] {
    this.score(text);
    return this.lastTop(k);
  }

  /** top() of the text this classifier scored last (predict, top or probabilities), without scoring it again. */
  lastTop(k: number): LabelProbability[] {
    const K = this.z.length;
    const order = Array.from({ length: K }, (_, i) => i).sort((a, b) => this.z[b] - this.z[a] || a - b);
    return order.slice(0, Math.max(0, Math.min(k, K))).map((i) => ({ label: this.header.labels[i], probability: this.z[i] }));
  }

  /** Fills the shared buffer with calibrated probabilities; returns the winning class. */
  private score(text: string): number {
    this.scoreLogits(text);
    return softmaxInPlace(this.z, this.header.temperature);
  }
}
