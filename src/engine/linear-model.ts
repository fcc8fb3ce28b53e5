// The specialist's numeric core: one weight row of `classCount` floats per feature (row-major),
// so scoring a sparse vector touches only the rows of the features it contains.

/** Compressed sparse rows: example i owns entries ptr[i] .. ptr[i+1]-1. */
export interface SparseRows {
  ptr: Int32Array;
  idx: Int32Array;
  val: Float32Array;
}

export class LinearModel {
  constructor(
    readonly featureCount: number,
    readonly classCount: number,
    readonly weights: Float32Array,
    readonly bias: Float32Array,
  ) {
    if (weights.length !== featureCount * classCount) throw new Error("weights do not match featureCount × classCount");
    if (bias.length !== classCount) throw new Error("bias does not match classCount");
  }

  /** out[k] = bias[k] + Σ values[j] · W[indices[j], k], for the first n entries. */
  logits(indices: Int32Array, values: Float32Array, n: number, out: Float64Array): void {
    sparseDot(this.weights, this.classCount, indices, values, 0, n, out);
    for (let k = 0; k < this.classCount; k++) out[k] += this.bias[k];
  }
}

/**
 * out[k] = Σ_{j in [start, end)} values[j] · W[indices[j], k]. The hot loop of both training and
 * prediction: classes go in blocks of eight kept in locals (registers), which measured about twice
 * as fast in V8 as accumulating into `out` directly.
 */
export function sparseDot(w: Float32Array, K: number, indices: Int32Array, values: Float32Array, start: number, end: number, out: Float64Array): void {
  let k = 0;
  for (; k + 7 < K; k += 8) {
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0; // prettier-ignore
    for (let j = start; j < end; j++) {
      const v = values[j];
      const o = indices[j] * K + k;
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
    out[k + 1] = s1;
    out[k + 2] = s2;
    out[k + 3] = s3;
    out[k + 4] = s4;
    out[k + 5] = s5;
    out[k + 6] = s6;
    out[k + 7] = s7;
  }
  for (; k < K; k++) {
    let s = 0;
    for (let j = start; j < end; j++) s += values[j] * w[indices[j] * K + k];
    out[k] = s;
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
