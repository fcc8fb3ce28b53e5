import { describe, expect, it } from "vitest";
import { LinearModel, softmaxInPlace } from "../../src/engine/linear-model.js";
import { evaluateRows, logLossGradient } from "../../src/engine/sgd.js";
import { mulberry32 } from "../../src/engine/random.js";

/** Mean log-loss of one example under a model, computed from scratch (no shared code path). */
function lossOf(model: LinearModel, idx: Int32Array, val: Float32Array, y: number): number {
  const rows = { ptr: Int32Array.from([0, idx.length]), idx, val };
  return evaluateRows(model, { rows, labels: Int32Array.from([y]) }).loss;
}

describe("log-loss gradient", () => {
  it("matches a central finite difference for every weight and bias", () => {
    const random = mulberry32(3);
    const F = 6;
    const K = 4;
    const weights = Float32Array.from({ length: F * K }, () => random() - 0.5);
    const bias = Float32Array.from({ length: K }, () => random() - 0.5);
    const idx = Int32Array.from([0, 2, 5]);
    const val = Float32Array.from([0.5, -0.25, 0.8]);
    const y = 2;
    const classWeight = 1.7;

    const z = new Float64Array(K);
    LinearModel.fromCompact(F, K, weights, bias).logits(idx, val, idx.length, z);
    softmaxInPlace(z);
    const active = new Int32Array(K);
    const grad = new Float64Array(K);
    const m = logLossGradient(z, y, classWeight, 0, active, grad);
    expect(m).toBe(K);
    const gradOfLogit = new Float64Array(K);
    for (let q = 0; q < m; q++) gradOfLogit[active[q]] = grad[q];

    // Float64 weights for the numerical side: float32 rounding would swamp a small step.
    const h = 1e-3;
    const numeric = (mutate: (w: Float64Array, b: Float64Array, d: number) => void) => {
      const at = (d: number) => {
        const w = Float64Array.from(weights);
        const b = Float64Array.from(bias);
        mutate(w, b, d);
        return classWeight * lossOf(LinearModel.fromCompact(F, K, Float32Array.from(w), Float32Array.from(b)), idx, val, y);
      };
      return (at(h) - at(-h)) / (2 * h);
    };
    for (let k = 0; k < K; k++) {
      expect(numeric((_w, b, d) => (b[k] += d))).toBeCloseTo(gradOfLogit[k], 3);
      for (let j = 0; j < idx.length; j++) {
        const o = idx[j] * K + k;
        expect(numeric((w, _b, d) => (w[o] += d))).toBeCloseTo(gradOfLogit[k] * val[j], 3);
      }
    }
  });

  it("skips classes whose gradient is below the floor", () => {
    const p = Float64Array.from([0.9, 0.0999, 0.0001]);
    const active = new Int32Array(3);
    const grad = new Float64Array(3);
    const m = logLossGradient(p, 0, 1, 1e-3, active, grad);
    expect(m).toBe(2);
    expect([...active.subarray(0, m)]).toEqual([0, 1]);
    expect(grad[0]).toBeCloseTo(-0.1, 10);
  });
});

describe("softmax", () => {
  it("is stable for large logits and honours the temperature", () => {
    const z = Float64Array.from([1000, 999, -1000]);
    const best = softmaxInPlace(z);
    expect(best).toBe(0);
    expect(z[0] + z[1] + z[2]).toBeCloseTo(1, 12);
    expect(z[0]).toBeCloseTo(1 / (1 + Math.exp(-1)), 10);
    const hot = Float64Array.from([2, 1, 0]);
    softmaxInPlace(hot, 100);
    expect(hot[0] - hot[2]).toBeLessThan(0.03);
  });
});
