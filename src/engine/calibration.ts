// Temperature scaling (Guo et al., 2017): one scalar T divides the logits so that the softmax
// probabilities match how often the model is right on held-out data. It never changes which
// label wins, only how sure the model says it is.
import { softmaxInPlace } from "./linear-model.js";

/** Mean negative log-likelihood of `labels` under softmax(logits / T); logits are n × K, row-major. */
export function meanNll(logits: Float64Array, labels: Int32Array, classCount: number, temperature: number): number {
  const n = labels.length;
  const z = new Float64Array(classCount);
  let total = 0;
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < classCount; k++) z[k] = logits[i * classCount + k];
    softmaxInPlace(z, temperature);
    total -= Math.log(Math.max(z[labels[i]], 1e-300));
  }
  return n ? total / n : 0;
}

/**
 * The x in [lo, hi] minimising a unimodal f, by golden-section search: at most `maxSteps` steps,
 * or until the bracket is narrower than `tolerance`; the bracket's midpoint.
 */
export function goldenSectionMinimum(f: (x: number) => number, lo: number, hi: number, maxSteps: number, tolerance: number): number {
  let a = lo;
  let b = hi;
  const g = (Math.sqrt(5) - 1) / 2;
  let c = b - g * (b - a);
  let d = a + g * (b - a);
  let fc = f(c);
  let fd = f(d);
  for (let step = 0; step < maxSteps && b - a > tolerance; step++) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = f(d);
    }
  }
  return (a + b) / 2;
}

/** The temperature minimising held-out NLL, by golden-section search on log T over [0.05, 20]. */
export function fitTemperature(logits: Float64Array, labels: Int32Array, classCount: number): number {
  if (labels.length === 0) return 1;
  return Math.exp(goldenSectionMinimum((logT) => meanNll(logits, labels, classCount, Math.exp(logT)), Math.log(0.05), Math.log(20), 60, 1e-5));
}
