// Probabilities for the multi-label classifier. Each label's logit becomes a calibrated
// probability by Platt scaling, σ(slope · z + intercept), fitted on held-out logits; a label with
// too few held-out positives or negatives for two parameters keeps its own intercept and shares
// one temperature fitted on every label at once. The probability that a whole predicted set is
// exactly right starts from the product of the per-label probabilities (as if labels were
// independent, which they are not: they co-occur) and is calibrated by one more Platt fit on its
// log-odds against held-out exact-set correctness.
import { goldenSectionMinimum } from "./calibration.js";

export interface Platt {
  slope: number;
  intercept: number;
}

export const IDENTITY_PLATT: Readonly<Platt> = Object.freeze({ slope: 1, intercept: 0 });

export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/** −log σ(z) and −log(1 − σ(z)) without overflow: the binary log-loss of logit z for target t. */
function binaryLogLoss(z: number, t: number): number {
  const softplus = z >= 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
  return softplus - t * z;
}

/**
 * Platt scaling: the slope and intercept minimising the log-loss of σ(slope · score + intercept)
 * against the outcomes, by Newton's method with a backtracking line search (Lin, Lin & Weng,
 * 2007). The targets are Platt's smoothed ones, (positives + 1) / (positives + 2) and
 * 1 / (negatives + 2): a label the held-out scores separate perfectly gets a finite slope, not
 * one that grows without bound. Starts from the identity, which the scores are usually near.
 */
export function fitPlatt(scores: ArrayLike<number>, outcomes: ArrayLike<number>): Platt {
  const n = scores.length;
  let positives = 0;
  for (let i = 0; i < n; i++) positives += outcomes[i] ? 1 : 0;
  const hi = (positives + 1) / (positives + 2);
  const lo = 1 / (n - positives + 2);
  const target = (i: number) => (outcomes[i] ? hi : lo);
  const loss = (a: number, b: number) => {
    let total = 0;
    for (let i = 0; i < n; i++) total += binaryLogLoss(a * scores[i] + b, target(i));
    return total;
  };
  let a = 1;
  let b = 0;
  let f = loss(a, b);
  for (let iteration = 0; iteration < 100; iteration++) {
    // A tiny ridge on the Hessian keeps it invertible when every score is the same.
    let haa = 1e-12;
    let hab = 0;
    let hbb = 1e-12;
    let ga = 0;
    let gb = 0;
    for (let i = 0; i < n; i++) {
      const s = scores[i];
      const p = sigmoid(a * s + b);
      const d = p - target(i);
      const w = p * (1 - p);
      ga += d * s;
      gb += d;
      haa += w * s * s;
      hab += w * s;
      hbb += w;
    }
    if (Math.abs(ga) < 1e-9 && Math.abs(gb) < 1e-9) break;
    const det = haa * hbb - hab * hab;
    const da = -(hbb * ga - hab * gb) / det;
    const db = -(haa * gb - hab * ga) / det;
    const descent = ga * da + gb * db;
    let step = 1;
    while (step > 1e-10) {
      const next = loss(a + step * da, b + step * db);
      if (next < f + 1e-4 * step * descent) {
        a += step * da;
        b += step * db;
        f = next;
        break;
      }
      step /= 2;
    }
    if (step <= 1e-10) break;
  }
  return { slope: a, intercept: b };
}

/**
 * One temperature T for every label, keeping each label's own intercept: the T minimising the
 * binary log-loss of σ(z / T) over all labels' held-out logits (n × K, row-major).
 */
export function fitSharedTemperature(logits: Float64Array, targets: Uint8Array): number {
  if (logits.length === 0) return 1;
  const loss = (logT: number) => {
    const inv = Math.exp(-logT);
    let total = 0;
    for (let i = 0; i < logits.length; i++) total += binaryLogLoss(logits[i] * inv, targets[i]);
    return total;
  };
  return Math.exp(goldenSectionMinimum(loss, Math.log(0.05), Math.log(20), 60, 1e-5));
}

export interface LabelCalibration {
  slope: Float64Array;
  intercept: Float64Array;
  /** Labels calibrated with a Platt fit of their own (the rest share the temperature). */
  ownFit: Uint8Array;
}

/**
 * Per-label calibration from held-out logits and 0/1 targets (n × K, row-major): a Platt fit for
 * each label with at least `minOutcomes` held-out positives and as many negatives, the shared
 * temperature for the others.
 */
export function fitLabelCalibration(logits: Float64Array, targets: Uint8Array, labelCount: number, minOutcomes: number): LabelCalibration {
  const K = labelCount;
  const n = logits.length / K;
  const temperature = fitSharedTemperature(logits, targets);
  const out: LabelCalibration = { slope: new Float64Array(K).fill(1 / temperature), intercept: new Float64Array(K), ownFit: new Uint8Array(K) };
  const scores = new Float64Array(n);
  const outcomes = new Uint8Array(n);
  for (let k = 0; k < K; k++) {
    let positives = 0;
    for (let i = 0; i < n; i++) {
      scores[i] = logits[i * K + k];
      outcomes[i] = targets[i * K + k];
      positives += outcomes[i];
    }
    if (positives < minOutcomes || n - positives < minOutcomes) continue;
    const fit = fitPlatt(scores, outcomes);
    out.slope[k] = fit.slope;
    out.intercept[k] = fit.intercept;
    out.ownFit[k] = 1;
  }
  return out;
}

/** Probabilities are kept this far from 0 and 1, so a set's log-probability stays finite. */
const EPSILON = 1e-12;

/**
 * The decision rule and the raw set score in one pass: marks in `chosen` the labels whose
 * probability reaches their threshold, and returns the log-odds that exactly this set is right if
 * labels were independent, log P − log(1 − P) with P = Π chosen p · Π others (1 − p).
 */
export function chooseLabels(probabilities: ArrayLike<number>, thresholds: ArrayLike<number>, chosen: Uint8Array): number {
  let logP = 0;
  for (let k = 0; k < thresholds.length; k++) {
    const p = Math.min(1 - EPSILON, Math.max(EPSILON, probabilities[k]));
    const inSet = p >= thresholds[k];
    chosen[k] = inSet ? 1 : 0;
    logP += Math.log(inSet ? p : 1 - p);
  }
  return logP - Math.log(-Math.expm1(logP));
}
