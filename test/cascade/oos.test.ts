// Out-of-scope inputs (issue 21): the scope score on a synthetic task where the out-of-scope
// inputs are known, the threshold's guarantee with teacher-none items mixed into the holdout, and
// a cascade whose teacher answers "none of these".
import { describe, expect, it } from "vitest";
import { Cascade } from "../../src/cascade/cascade.js";
import { simulate } from "../../src/cascade/simulation.js";
import { fitScopeCut } from "../../src/cascade/holdout-scores.js";
import { chooseThreshold, type ScoredItem } from "../../src/cascade/threshold.js";
import { mulberry32 } from "../../src/engine/random.js";
import { auroc, scopeScore, ScopeScorer } from "../../src/engine/scope.js";
import { trainClassifier } from "../../src/engine/train.js";
import { NONE_LABEL } from "../../src/task/definition.js";
import { foreignTexts, LABELS, ScriptedTeacher, topicTask, topicTexts, type Labelled } from "./fixtures.js";

describe("auroc", () => {
  it("is 1 for perfect separation, 0 for reversed, ½ for ties", () => {
    expect(auroc([3, 4], [1, 2])).toBe(1);
    expect(auroc([1, 2], [3, 4])).toBe(0);
    expect(auroc([1, 1], [1, 1])).toBe(0.5);
    expect(auroc([1, 3], [2])).toBe(0.5);
    expect(auroc([], [1])).toBeNaN();
  });
});

describe("scope score", () => {
  const train = topicTexts(400, 1);
  const model = trainClassifier(train, { seed: 1 });
  const inScope = topicTexts(200, 2, 100_000);
  const outOfScope = foreignTexts(100, 3);

  it("separates known out-of-scope inputs from in-scope ones better than max-probability", () => {
    const read = (e: Labelled) => model.predict(e.text);
    const ins = inScope.map(read);
    const outs = outOfScope.map(read);
    const byScope = auroc(ins.map((p) => scopeScore(p.confidence, p.unknownShare)), outs.map((p) => scopeScore(p.confidence, p.unknownShare)));
    const byConfidence = auroc(ins.map((p) => p.confidence), outs.map((p) => p.confidence));
    expect(byScope).toBeGreaterThanOrEqual(0.98);
    expect(byScope).toBeGreaterThanOrEqual(byConfidence);
  });

  it("reads every candidate from one pass, agreeing with the classifier", () => {
    const scorer = ScopeScorer.fit(model, train);
    for (const e of [...inScope.slice(0, 20), ...outOfScope.slice(0, 20)]) {
      const r = scorer.read(e.text);
      const p = model.predict(e.text);
      expect(r.label).toBe(p.label);
      expect(r.confidence).toBeCloseTo(p.confidence, 12);
      expect(r.score).toBeCloseTo(scopeScore(p.confidence, p.unknownShare), 12);
      for (const c of [r.centroidCos, r.nearestCentroidCos, r.knnCos]) expect(c).toBeGreaterThanOrEqual(0);
      expect(r.nearestCentroidCos).toBeGreaterThanOrEqual(r.centroidCos - 1e-12);
      expect(r.energy).toBeGreaterThanOrEqual(r.maxLogit);
    }
    // A training text is its own nearest neighbour: its kNN cosine is high; foreign text's is low.
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(inScope.map((e) => scorer.read(e.text).knnCos))).toBeGreaterThan(mean(outOfScope.map((e) => scorer.read(e.text).knnCos)));
  });
});

// The bound with out-of-scope items in the holdout: 80% in-scope items, score c ~ U(0, 1) and
// P(correct | c) = ½ + ½c; 20% teacher-none items, always an error when covered, scoring lower
// (c ~ U(0, ½)). True error of "answer when score ≥ t", in closed form:
//   [0.8 · ¼(1 − t)² + 0.2 · max(0, 1 − 2t)] / [0.8 · (1 − t) + 0.2 · max(0, 1 − 2t)].
describe("threshold guarantee with out-of-scope items mixed in", () => {
  const TARGET = { max_error: 0.05, confidence_level: 0.95 };
  const RUNS = 400;
  const ALPHA = 1 - TARGET.confidence_level;
  const trueError = (t: number) => {
    const oos = 0.2 * Math.max(0, 1 - 2 * t);
    return (0.8 * 0.25 * (1 - t) ** 2 + oos) / (0.8 * (1 - t) + oos);
  };

  it(`keeps the true error ≤ max_error in ≥ ${TARGET.confidence_level} of ${RUNS} draws`, () => {
    let violations = 0;
    let answered = 0;
    for (let run = 0; run < RUNS; run++) {
      const random = mulberry32(9000 + run);
      const items: ScoredItem[] = Array.from({ length: 2000 }, () => {
        if (random() < 0.2) return { confidence: random() / 2, correct: false };
        const c = random();
        return { confidence: c, correct: random() < 0.5 + 0.5 * c };
      });
      const choice = chooseThreshold(items, TARGET);
      if (choice.threshold === null) continue;
      answered++;
      if (trueError(choice.threshold) > TARGET.max_error) violations++;
    }
    expect(answered).toBeGreaterThan(RUNS / 4);
    expect(violations / RUNS).toBeLessThanOrEqual(ALPHA + 3 * Math.sqrt((ALPHA * (1 - ALPHA)) / RUNS));
  });
});

describe("a cascade whose teacher answers none of these", () => {
  it("learns none from the teacher, never answers it, and keeps out-of-scope inputs away from the specialist", async () => {
    const inScope = topicTexts(900, 4);
    const foreign = foreignTexts(160, 5);
    const random = mulberry32(6);
    const stream = [...inScope, ...foreign].sort(() => random() - 0.5);
    const topics = new Set(LABELS);
    // Right on every topic text; "none of these" for every foreign one.
    const teacher = new ScriptedTeacher((text) => stream.find((e) => e.text === text)?.label ?? holdoutGold.get(text) ?? null);
    // Numbers the stream used too: a number never seen would lower the seen share of every text alike.
    const holdoutTexts = [...topicTexts(300, 7), ...foreignTexts(60, 8)].filter((e) => !stream.some((x) => x.text === e.text));
    const holdoutGold = new Map(holdoutTexts.map((e) => [e.text, topics.has(e.label) ? e.label : NONE_LABEL]));
    const asGold = (e: Labelled) => ({ text: e.text, label: topics.has(e.label) ? e.label : NONE_LABEL });
    teacher.answer = (text) => {
      const e = stream.find((x) => x.text === text);
      return e !== undefined ? asGold(e).label : (holdoutGold.get(text) ?? null);
    };
    const cascade = new Cascade({ task: topicTask({ routing: { max_error: 0.05 } }), teacher, trainOptions: { seed: 1 } });
    // The holdout keeps its raw label "finance", which is not in the task: simulate counts it out of scope.
    const r = await simulate(cascade, { stream: stream.map(asGold), holdout: holdoutTexts });

    expect([...cascade.store.values()].filter((e) => e.label === NONE_LABEL).length).toBeGreaterThan(100);
    expect(cascade.specialist!.labels).toContain(NONE_LABEL);
    const h = r.holdout!;
    expect(h.holdout_out_of_scope).toBe(holdoutTexts.filter((e) => e.label === "finance").length);
    expect(h.holdout_in_scope_coverage).toBeGreaterThan(0.5);
    expect(h.holdout_out_of_scope_answered).toBe(0);
    expect(h.holdout_specialist_error).toBeLessThanOrEqual(0.05);
    expect(h.holdout_scope_auroc).toBeGreaterThan(0.95);
    // The specialist's own answers never say none: that is the teacher's (the router sends it on).
    for (const e of holdoutTexts) {
      const d = cascade.router.decide(e.text);
      if (d.decision === "specialist") expect(d.prediction).not.toBe(NONE_LABEL);
    }

    // Served again (a restart) with the threshold its look chose and the cut it was chosen under:
    // that cut, not one fitted again on the holdout as it is now.
    // (Here none: the specialist learned to say none of the foreign texts, so no held-out none item is in scope.)
    const fitted = cascade.router.scopeCut;
    const kept = cascade.router.threshold;
    cascade.restore(cascade.specialist!, cascade.version, cascade.looks, kept, 0.123);
    expect(cascade.router.scopeCut).toBe(0.123);
    expect(cascade.router.unknownShareCut).toBe(0.123);
    expect(cascade.router.threshold).toBe(kept);
    // A version stored before cuts were kept: fitted on the current holdout.
    cascade.restore(cascade.specialist!, cascade.version, cascade.looks, kept);
    expect(cascade.router.scopeCut).toBe(fitted);
    expect(() => cascade.restore(cascade.specialist!, cascade.version, cascade.looks, undefined, 0.5)).toThrow(/come with its threshold/);
  });
});

describe("fitScopeCut", () => {
  const item = (confidence: number, correct: boolean) => ({ confidence, correct });

  it("sets no cut while the holdout holds no none answer", () => {
    const scores = { inScope: [item(0.9, true), item(0.8, false)], unknownShares: [0.1, 0.9], none: [false, false] };
    expect(fitScopeCut(scores)).toEqual({ cut: null, items: scores.inScope });
  });

  it("cuts at the 99th percentile of in-scope items' unknown shares and keeps none items below it as errors", () => {
    // 100 in-scope items with unknown shares 0.00…0.99, and three none items: two foreign (0.95, 1), one familiar (0.2).
    const inScope = [...Array.from({ length: 100 }, () => item(0.9, true)), item(0.99, false), item(0.99, false), item(0.99, false)];
    const unknownShares = [...Array.from({ length: 100 }, (_, i) => i / 100), 0.995, 1, 0.2];
    const none = [...Array.from({ length: 100 }, () => false), true, true, true];
    const { cut, items } = fitScopeCut({ inScope, unknownShares, none });
    expect(cut).toBe(0.98);
    // 99 in-scope items and the familiar none item remain; the foreign ones go to the teacher.
    expect(items).toHaveLength(100);
    expect(items.filter((i) => !i.correct)).toHaveLength(1);
  });
});
