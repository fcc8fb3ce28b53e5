import { describe, expect, it } from "vitest";
import { evaluateMultiLabel } from "../../src/engine/multilabel-metrics.js";

describe("multi-label metrics", () => {
  it("match a case computed by hand", () => {
    const reference = [["a", "b"], ["a"], [], ["c"]];
    const predicted = [
      { labels: ["a", "b"], probability: 0.9 }, // exact
      { labels: ["a", "c"], probability: 0.6 }, // one extra
      { labels: [], probability: 0.8 }, // exact (nothing, rightly)
      { labels: ["b"], probability: 0.3 }, // wrong label
    ];
    const e = evaluateMultiLabel(reference, predicted);
    // a: tp 2, predicted 2, gold 2 → F1 1. b: tp 1, predicted 2, gold 1 → P ½, R 1, F1 ⅔.
    // c: tp 0, predicted 1, gold 1 → F1 0. Micro: tp 3, predicted 5, gold 4 → P 0.6, R 0.75.
    expect(e.micro_precision).toBeCloseTo(0.6, 12);
    expect(e.micro_recall).toBeCloseTo(0.75, 12);
    expect(e.micro_f1).toBeCloseTo((2 * 0.6 * 0.75) / 1.35, 12);
    expect(e.macro_f1).toBeCloseTo((1 + 2 / 3 + 0) / 3, 12);
    expect(e.exact_set_accuracy).toBe(0.5);
    expect(e.per_label.map((l) => [l.label, l.support])).toEqual([["a", 2], ["b", 1], ["c", 1]]);
    // ECE, 15 bins: 0.9 right, 0.6 wrong, 0.8 right, 0.3 wrong, each alone in its bin:
    // (0.1 + 0.6 + 0.2 + 0.3) / 4.
    expect(e.set_ece).toBeCloseTo(1.2 / 4, 12);
  });

  it("leaves out of macro-F1 a label that is only ever predicted", () => {
    const e = evaluateMultiLabel([["a"]], [{ labels: ["a", "z"], probability: 0.5 }]);
    expect(e.macro_f1).toBe(1);
    expect(e.micro_precision).toBe(0.5);
  });

  it("counts repeated labels once and refuses mismatched lengths", () => {
    const e = evaluateMultiLabel([["a", "a"]], [{ labels: ["a"], probability: 1 }]);
    expect(e.exact_set_accuracy).toBe(1);
    expect(() => evaluateMultiLabel([["a"]], [])).toThrow(RangeError);
  });
});
