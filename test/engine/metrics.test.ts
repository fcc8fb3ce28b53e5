import { describe, expect, it } from "vitest";
import { coverageAccuracyCurve, coverageAtThreshold, evaluatePredictions, expectedCalibrationError, thresholdCurve } from "../../src/engine/metrics.js";
import { fitTemperature, meanNll } from "../../src/engine/calibration.js";
import { mulberry32 } from "../../src/engine/random.js";

describe("evaluatePredictions", () => {
  const ref = ["a", "a", "a", "b", "b", "c"];
  const pred = ["a", "a", "b", "b", "c", "c"];
  const conf = [0.9, 0.8, 0.6, 0.7, 0.5, 0.95];
  const ev = evaluatePredictions(ref, pred, conf);

  it("computes accuracy, per-label figures and macro-F1", () => {
    expect(ev.accuracy).toBeCloseTo(4 / 6, 12);
    const a = ev.perLabel.find((m) => m.label === "a")!;
    expect(a.precision).toBe(1);
    expect(a.recall).toBeCloseTo(2 / 3, 12);
    const b = ev.perLabel.find((m) => m.label === "b")!;
    expect(b.precision).toBeCloseTo(0.5, 12);
    expect(b.recall).toBeCloseTo(0.5, 12);
    const c = ev.perLabel.find((m) => m.label === "c")!;
    expect(c.precision).toBeCloseTo(0.5, 12);
    expect(c.recall).toBe(1);
    const f1 = (p: number, r: number) => (2 * p * r) / (p + r);
    expect(ev.macroF1).toBeCloseTo((f1(1, 2 / 3) + f1(0.5, 0.5) + f1(0.5, 1)) / 3, 12);
  });

  it("fills the confusion matrix by reference row and predicted column", () => {
    const i = (l: string) => ev.labels.indexOf(l);
    expect(ev.confusion[i("a")][i("b")]).toBe(1);
    expect(ev.confusion[i("b")][i("c")]).toBe(1);
    expect(ev.confusion[i("c")][i("c")]).toBe(1);
    expect(ev.confusion.flat().reduce((s, x) => s + x, 0)).toBe(6);
  });

  it("rejects inputs of different lengths", () => {
    expect(() => evaluatePredictions(["a"], [], [])).toThrow(/same length/);
  });
});

describe("coverage–accuracy curve", () => {
  it("reports the accuracy of the most confident share of predictions", () => {
    const items = Array.from({ length: 10 }, (_, i) => ({ confidence: 1 - i / 10, correct: i < 5 }));
    const curve = coverageAccuracyCurve(items);
    expect(curve).toHaveLength(10);
    expect(curve[0]).toEqual({ coverage: 0.1, accuracy: 1, threshold: 1 });
    expect(curve[4].accuracy).toBe(1);
    expect(curve[9].accuracy).toBeCloseTo(0.5, 12);
    expect(curve[9].threshold).toBeCloseTo(0.1, 12);
  });
});

describe("threshold curve", () => {
  it("keeps ties together, counts coverage out of the total, and matches coverageAtThreshold at every point", () => {
    const items = [0.9, 0.8, 0.8, 0.8, 0.6, 0.5].map((confidence, i) => ({ confidence, correct: i !== 2 }));
    const curve = thresholdCurve(items, 6, 8);
    expect(curve.map((p) => p.threshold)).toEqual([0.9, 0.8, 0.6, 0.5]);
    expect(curve[1]).toEqual({ threshold: 0.8, coverage: 4 / 8, accuracy: 3 / 4 });
    for (const p of curve) expect(coverageAtThreshold(items, p.threshold, 8)).toEqual(p);
    expect(thresholdCurve(items, 2).map((p) => p.coverage)).toEqual([4 / 6, 1]);
    expect(thresholdCurve([], 100)).toEqual([]);
    expect(coverageAtThreshold(items, 0.95)).toEqual({ threshold: 0.95, coverage: 0, accuracy: 0 });
  });
});

describe("calibration", () => {
  it("ECE is zero for perfectly calibrated bins and large for overconfidence", () => {
    const calibrated = [...Array(10)].map((_, i) => ({ confidence: 0.8, correct: i < 8 }));
    expect(expectedCalibrationError(calibrated)).toBeCloseTo(0, 12);
    const over = [...Array(10)].map((_, i) => ({ confidence: 0.99, correct: i < 5 }));
    expect(expectedCalibrationError(over)).toBeCloseTo(0.49, 12);
  });

  it("temperature scaling recovers the temperature that generated the labels", () => {
    // Labels drawn from softmax(logits / 2): the best temperature is about 2.
    const random = mulberry32(11);
    const K = 4;
    const n = 4000;
    const logits = new Float64Array(n * K);
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const p: number[] = [];
      for (let k = 0; k < K; k++) logits[i * K + k] = (random() - 0.5) * 12;
      let sum = 0;
      for (let k = 0; k < K; k++) sum += (p[k] = Math.exp(logits[i * K + k] / 2));
      let u = random() * sum;
      let y = 0;
      while (y < K - 1 && (u -= p[y]) > 0) y++;
      labels[i] = y;
    }
    const t = fitTemperature(logits, labels, K);
    expect(t).toBeGreaterThan(1.8);
    expect(t).toBeLessThan(2.2);
    expect(meanNll(logits, labels, K, t)).toBeLessThan(meanNll(logits, labels, K, 1));
  });
});
