import { describe, expect, it } from "vitest";
import { trainClassifier, TrainingError } from "../../src/engine/train.js";
import { evaluatePredictions } from "../../src/engine/metrics.js";
import { syntheticIntents } from "../helpers/synthetic-intents.js";

const data = syntheticIntents({ labels: 5, perLabel: 80, confusion: 0.3, seed: 1 });
const fresh = syntheticIntents({ labels: 5, perLabel: 200, confusion: 0.3, seed: 2 });

function evaluate(model: ReturnType<typeof trainClassifier>, examples: { text: string; label: string }[]) {
  const preds = examples.map((e) => model.predict(e.text));
  return evaluatePredictions(
    examples.map((e) => e.label),
    preds.map((p) => p.label),
    preds.map((p) => p.confidence),
  );
}

describe("trainClassifier", () => {
  const model = trainClassifier(data, { seed: 7 });

  it("learns a task it has not seen the test texts of", () => {
    const ev = evaluate(model, fresh);
    // 30% of texts swap one of their two topic words for another label's: those are coin flips,
    // so about 0.7 + 0.3 / 2 = 0.85 is the best any model can do.
    expect(ev.accuracy).toBeGreaterThan(0.8);
    expect(model.labels).toEqual(["intent_0", "intent_1", "intent_2", "intent_3", "intent_4"]);
  });

  it("is calibrated: ECE on fresh data stays small", () => {
    const ev = evaluate(model, fresh);
    expect(ev.ece).toBeLessThan(0.06);
    expect(model.header.temperature).toBeGreaterThan(0);
  });

  it("gives identical weights for the same seed and data", () => {
    const again = trainClassifier(data, { seed: 7 });
    expect(again.linear.weights).toEqual(model.linear.weights);
    expect(again.header.temperature).toBe(model.header.temperature);
    expect(again.header.training.dataFingerprint).toBe(model.header.training.dataFingerprint);
  });

  it("gives different weights for another seed", () => {
    const other = trainClassifier(data, { seed: 8 });
    expect(other.linear.weights).not.toEqual(model.linear.weights);
  });

  it("fingerprints the training data", () => {
    const changed = trainClassifier([...data.slice(1), data[0]], { seed: 7, maxEpochs: 1 });
    expect(changed.header.training.dataFingerprint).not.toBe(model.header.training.dataFingerprint);
  });

  it("records what it did in the header", () => {
    const t = model.header.training;
    expect(t.examples).toBe(data.length);
    expect(t.validationExamples).toBeGreaterThan(0);
    expect(t.features).toBe(model.featurizer.featureCount);
    expect(t.bestEpoch).toBeGreaterThan(0);
    expect(t.bestEpoch).toBeLessThanOrEqual(t.epochs);
  });

  it("top-k lists labels by falling probability and probabilities sum to 1", () => {
    const top = model.top("topic2word1 topic2word3 please", 3);
    expect(top[0].label).toBe("intent_2");
    expect(top[0].probability).toBeGreaterThanOrEqual(top[1].probability);
    expect(top[1].probability).toBeGreaterThanOrEqual(top[2].probability);
    const p = model.probabilities("topic2word1 topic2word3 please");
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    // lastTop reads the scores of the text scored last, whichever call scored it.
    expect(model.lastTop(3)).toEqual(top);
    model.predict("topic0word1 topic0word2");
    expect(model.lastTop(3)).toEqual(model.top("topic0word1 topic0word2", 3));
    expect(model.lastTop(3)[0].label).not.toBe(top[0].label);
  });

  it("class weights move the decision towards the weighted class", () => {
    const plain = trainClassifier(data, { seed: 7, validationFraction: 0 });
    const heavy = trainClassifier(data, { seed: 7, validationFraction: 0, classWeights: { intent_0: 20 } });
    // A text with one word of intent_0 and one of intent_1.
    const text = "topic0word1 topic1word1 please";
    expect(heavy.probabilities(text)[0]).toBeGreaterThan(plain.probabilities(text)[0]);
    expect(() => trainClassifier(data, { classWeights: { nope: 2 } })).toThrow(/nope/);
  });

  it("trains without a validation split on tiny data", () => {
    const tiny = trainClassifier(data.slice(0, 10));
    expect(tiny.header.training.validationExamples).toBe(0);
    expect(tiny.header.temperature).toBe(1);
  });

  it("refuses data it cannot learn from", () => {
    expect(() => trainClassifier([])).toThrow(TrainingError);
    expect(() => trainClassifier([{ text: "a", label: "x" }, { text: "b", label: "x" }])).toThrow(/at least 2 labels/);
  });
});
