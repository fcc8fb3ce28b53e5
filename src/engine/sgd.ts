// Linear models trained by stochastic gradient descent on sparse rows: the loop is shared, the loss
// is the caller's (multinomial logistic regression here, one-vs-rest logistic regression in
// multilabel-train.ts).
//
// L2 regularisation is applied lazily: the true weights are `scale · V`, and decaying every weight
// each step becomes one multiplication of `scale`. An update then touches only the rows of the
// example's features, and of those only the classes whose gradient is not negligible, so a step
// costs about nnz × (1 + active classes) instead of features × classes.
import { LinearModel, paddedStride, softmaxInPlace, sparseDot, type SparseRows } from "./linear-model.js";
import { mulberry32, shuffleInPlace } from "./random.js";

export interface SgdOptions {
  /** Upper bound on passes over the data; early stopping usually ends sooner. */
  maxEpochs: number;
  learningRate: number;
  /** Learning rate at epoch e is learningRate / (1 + decay · e). */
  learningRateDecay: number;
  /** L2 penalty per example (the objective is mean loss + l2/2 · ‖W‖²). */
  l2: number;
  /** Stop after this many epochs without a validation loss lower by more than `minImprovement` (relative). */
  patience: number;
  minImprovement: number;
  seed: number;
  /** Per-class multiplier of the loss (class weights), or null for all ones. */
  classWeights: Float64Array | null;
  /** Epoch from which end-of-epoch weights are averaged into the model (0: no averaging). */
  averageFrom: number;
  /** Gradients below this are skipped in the update (they are ~0 for confidently wrong classes). */
  gradientFloor: number;
  onEpoch?: (e: { epoch: number; maxEpochs: number; validationAccuracy: number | null; validationLoss: number | null }) => void;
}

export interface SgdResult {
  model: LinearModel;
  epochsRun: number;
  bestEpoch: number;
  validationAccuracy: number | null;
  validationLoss: number | null;
}

export interface LabeledRows {
  rows: SparseRows;
  labels: Int32Array;
}

/** The loss the SGD loop descends, seen through its gradient with respect to one example's logits. */
export interface LogitGradient {
  /**
   * Given example `row`'s logits in `z` (which it may overwrite), writes the classes whose
   * gradient is not negligible and their gradients to `active`/`grad`; returns how many.
   */
  (row: number, z: Float64Array, active: Int32Array, grad: Float64Array): number;
}

/** Held-out figures of a snapshot: the loss early stopping watches, and an accuracy to report. */
export type HeldOutScore = (model: LinearModel) => { accuracy: number; loss: number };

export type SgdLoopOptions = Omit<SgdOptions, "classWeights">;

/**
 * Gradient of the weighted log-loss −w·log p_y with respect to the logits, g_k = w·(p_k − [k = y]),
 * given the probabilities p. Writes the classes whose |g_k| exceeds `floor` and their gradients
 * to `active`/`grad` and returns how many there are. The gradient for weight (feature j, class k)
 * is g_k · x_j.
 */
export function logLossGradient(p: Float64Array, y: number, weight: number, floor: number, active: Int32Array, grad: Float64Array): number {
  let m = 0;
  for (let k = 0; k < p.length; k++) {
    const g = (p[k] - (k === y ? 1 : 0)) * weight;
    if (g > floor || g < -floor) {
      active[m] = k;
      grad[m++] = g;
    }
  }
  return m;
}

export function rowCount(r: SparseRows): number {
  return r.ptr.length - 1;
}

/** Mean log-loss and accuracy of a model on labelled rows. */
export function evaluateRows(model: LinearModel, data: LabeledRows, temperature = 1): { accuracy: number; loss: number } {
  const z = new Float64Array(model.classCount);
  const { ptr, idx, val } = data.rows;
  const n = rowCount(data.rows);
  let correct = 0;
  let loss = 0;
  for (let i = 0; i < n; i++) {
    sparseDot(model.weights, model.stride, model.classCount, idx, val, ptr[i], ptr[i + 1], z);
    for (let k = 0; k < model.classCount; k++) z[k] += model.bias[k];
    const best = softmaxInPlace(z, temperature);
    if (best === data.labels[i]) correct++;
    loss -= Math.log(Math.max(z[data.labels[i]], 1e-12));
  }
  return { accuracy: n ? correct / n : 0, loss: n ? loss / n : 0 };
}

export function trainSoftmax(
  featureCount: number,
  classCount: number,
  train: LabeledRows,
  validation: LabeledRows | null,
  opt: SgdOptions,
): SgdResult {
  const gradient: LogitGradient = (row, z, active, grad) => {
    softmaxInPlace(z);
    const y = train.labels[row];
    return logLossGradient(z, y, opt.classWeights ? opt.classWeights[y] : 1, opt.gradientFloor, active, grad);
  };
  const heldOut = validation && rowCount(validation.rows) > 0 ? (model: LinearModel) => evaluateRows(model, validation) : null;
  return trainLinear(featureCount, classCount, train.rows, gradient, heldOut, opt);
}

/**
 * SGD over `rows` for the loss whose logit gradient `gradient` gives; with `heldOut`, early
 * stopping on its loss and the snapshot with the lowest one returned.
 */
export function trainLinear(
  featureCount: number,
  classCount: number,
  rows: SparseRows,
  gradient: LogitGradient,
  heldOut: HeldOutScore | null,
  opt: SgdLoopOptions,
): SgdResult {
  const K = classCount;
  const stride = paddedStride(K);
  const V = new Float32Array(featureCount * stride);
  const bias = new Float32Array(K);
  let scale = 1;
  const n = rowCount(rows);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const random = mulberry32(opt.seed);
  const z = new Float64Array(K);
  const active = new Int32Array(K);
  const grad = new Float64Array(K);
  const { ptr, idx, val } = rows;

  // Tail averaging: the mean of the end-of-epoch iterates from `averageFrom` on. SGD's last
  // iterate jitters around the optimum; the average sits closer to it.
  const avgW = new Float64Array(opt.averageFrom > 0 ? V.length : 0);
  const avgB = new Float64Array(K);
  let averaged = 0;
  const accumulate = () => {
    averaged++;
    const r = 1 / averaged;
    for (let i = 0; i < V.length; i++) avgW[i] += (V[i] * scale - avgW[i]) * r;
    for (let k = 0; k < K; k++) avgB[k] += (bias[k] - avgB[k]) * r;
  };
  const snapshot = () => {
    const w = new Float32Array(V.length);
    if (averaged > 0) {
      w.set(avgW);
      return new LinearModel(featureCount, K, w, Float32Array.from(avgB));
    }
    for (let i = 0; i < V.length; i++) w[i] = V[i] * scale;
    return new LinearModel(featureCount, K, w, bias.slice());
  };

  let best: SgdResult | null = null;
  let bestLoss = Infinity;
  let sinceBest = 0;
  let epoch = 0;
  for (epoch = 1; epoch <= opt.maxEpochs; epoch++) {
    shuffleInPlace(order, random);
    const lr = opt.learningRate / (1 + opt.learningRateDecay * (epoch - 1));
    const decay = 1 - lr * opt.l2;
    for (let t = 0; t < n; t++) {
      const i = order[t];
      const a = ptr[i];
      const b = ptr[i + 1];
      sparseDot(V, stride, K, idx, val, a, b, z);
      for (let k = 0; k < K; k++) z[k] = z[k] * scale + bias[k];
      const m = gradient(i, z, active, grad);
      scale *= decay;
      if (scale < 1e-9) {
        for (let q = 0; q < V.length; q++) V[q] *= scale;
        scale = 1;
      }
      const step = lr / scale;
      for (let j = a; j < b; j++) {
        const s = val[j] * step;
        const o = idx[j] * stride;
        for (let q = 0; q < m; q++) V[o + active[q]] -= s * grad[q];
      }
      for (let q = 0; q < m; q++) bias[active[q]] -= lr * grad[q];
    }

    if (opt.averageFrom > 0 && epoch >= opt.averageFrom) accumulate();
    if (!heldOut) {
      opt.onEpoch?.({ epoch, maxEpochs: opt.maxEpochs, validationAccuracy: null, validationLoss: null });
      continue;
    }
    const model = snapshot();
    const { accuracy, loss } = heldOut(model);
    opt.onEpoch?.({ epoch, maxEpochs: opt.maxEpochs, validationAccuracy: accuracy, validationLoss: loss });
    // The held-out log-loss decides: smoother than accuracy on a small validation set. Gains
    // smaller than `minImprovement` (relative) count as a plateau, so training stops once the
    // averaged model has settled instead of creeping on for many epochs.
    const improved = loss < bestLoss * (1 - opt.minImprovement);
    if (loss < bestLoss) best = { model, epochsRun: epoch, bestEpoch: epoch, validationAccuracy: accuracy, validationLoss: loss };
    if (improved) sinceBest = 0;
    else if (++sinceBest >= opt.patience) break;
    bestLoss = Math.min(bestLoss, loss);
  }
  const epochsRun = Math.min(epoch, opt.maxEpochs);
  if (best) return { ...best, epochsRun };
  return { model: snapshot(), epochsRun, bestEpoch: epochsRun, validationAccuracy: null, validationLoss: null };
}
