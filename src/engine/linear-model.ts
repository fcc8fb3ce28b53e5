// The specialist's numeric core: one weight row of `classCount` floats per feature (row-major),
// so scoring a sparse vector touches only the rows of the features it contains.

/** Compressed sparse rows: example i owns entries ptr[i] .. ptr[i+1]-1. */
export interface SparseRows {
  ptr: Int32Array;
  idx: Int32Array;
  val: Float32Array;
}

/** Weight rows are padded to a multiple of this many classes, the block size of `sparseDot`. */
const BLOCK = 8;

export function paddedStride(classCount: number): number {
  return Math.ceil(classCount / BLOCK) * BLOCK;
}

export class LinearModel {
  /** Floats per feature row in `weights`: classCount rounded up to a multiple of 8 (zeros after). */
  readonly stride: number;

  /** `weights` is featureCount × stride, row-major (see `fromCompact` for featureCount × classCount). */
  constructor(
    readonly featureCount: number,
    readonly classCount: number,
    readonly weights: Float32Array,
    readonly bias: Float32Array,
  ) {
    this.stride = paddedStride(classCount);
    if (weights.length !== featureCount * this.stride) throw new Error("weights do not match featureCount × padded classCount");
    if (bias.length !== classCount) throw new Error("bias does not match classCount");
  }

  static fromCompact(featureCount: number, classCount: number, compact: Float32Array, bias: Float32Array): LinearModel {
    if (compact.length !== featureCount * classCount) throw new Error("weights do not match featureCount × classCount");
    const stride = paddedStride(classCount);
    const w = new Float32Array(featureCount * stride);
    for (let r = 0; r < featureCount; r++) w.set(compact.subarray(r * classCount, (r + 1) * classCount), r * stride);
    return new LinearModel(featureCount, classCount, w, bias);
  }

  /** featureCount × classCount, without the padding: the layout of the model file. */
  toCompact(): Float32Array {
    const K = this.classCount;
    const out = new Float32Array(this.featureCount * K);
    for (let r = 0; r < this.featureCount; r++) out.set(this.weights.subarray(r * this.stride, r * this.stride + K), r * K);
    return out;
  }

  /** out[k] = bias[k] + Σ values[j] · W[indices[j], k], for the first n entries. */
  logits(indices: Int32Array, values: Float32Array, n: number, out: Float64Array): void {
    sparseDot(this.weights, this.stride, this.classCount, indices, values, 0, n, out);
    for (let k = 0; k < this.classCount; k++) out[k] += this.bias[k];
  }
}

/**
 * out[k] = Σ_{j in [start, end)} values[j] · W[indices[j], k] for k < K, with W's rows `stride`
 * floats apart. The hot loop of both training and prediction: classes go in blocks of eight kept
 * in locals (registers), which measured about twice as fast in V8 as accumulating into `out`
 * directly; rows padded to whole blocks spare a slow tail loop for the last classes.
 */
export function sparseDot(w: Float32Array, stride: number, K: number, indices: Int32Array, values: Float32Array, start: number, end: number, out: Float64Array): void {
  for (let k = 0; k < K; k += BLOCK) {
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0; // prettier-ignore
    for (let j = start; j < end; j++) {
      const v = values[j];
      const o = indices[j] * stride + k;
      s0 += v * w[o];
      s1 += v * w[o + 1];
      s2 += v * w[o + 2];
      s3 += v * w[o + 3];
      s4 += v * w[o + 4];
      s5 += v * w[o + 5];
      s6 += v * w[o + 6];
      s7 += v * w[o + 7];
    }
    out[k] = s0;
    if (k + 1 < K) out[k + 1] = s1;
    if (k + 2 < K) out[k + 2] = s2;
    if (k + 3 < K) out[k + 3] = s3;
    if (k + 4 < K) out[k + 4] = s4;
    if (k + 5 < K) out[k + 5] = s5;
    if (k + 6 < K) out[k + 6] = s6;
    if (k + 7 < K) out[k + 7] = s7;
  }
}

/** Softmax of logits / temperature, in place; returns the index of the largest probability. */
export function softmaxInPlace(z: Float64Array, temperature = 1, length = z.length): number {
  let max = -Infinity;
  let best = 0;
  for (let k = 0; k < length; k++) {
    if (z[k] > max) {
      max = z[k];
      best = k;
    }
  }
  let sum = 0;
  const inv = 1 / temperature;
  for (let k = 0; k < length; k++) {
    const e = Math.exp((z[k] - max) * inv);
    z[k] = e;
    sum += e;
  }
  for (let k = 0; k < length; k++) z[k] /= sum;
  return best;
}
