// Answer holds: the audits of one answer group that prove it wrong send its requests to the
// teacher until a new version; chance disagreements among many answers do not.
import { describe, expect, it } from "vitest";
import { AnswerHolds } from "../../src/cascade/answer-holds.js";
import { Cascade } from "../../src/cascade/cascade.js";
import { mulberry32 } from "../../src/engine/random.js";
import { LABELS, ScriptedTeacher, topicTask, topicTexts } from "./fixtures.js";

/** Audits of one group, one at a time, until it is held (or `limit`); returns how many it took (Infinity: never). */
function auditsToHold(holds: AnswerHolds, wrong: (i: number) => boolean, limit = 1000): number {
  for (let i = 1; i <= limit; i++) if (holds.record("g", 1, wrong(i) ? 1 : 0)) return i;
  return Infinity;
}

describe("AnswerHolds", () => {
  it("holds an always-wrong answer after four audits at 77 answers and 5% at 95%, a half-wrong one after 14, one wrong at the target never", () => {
    expect(auditsToHold(new AnswerHolds(77, 0.05, 0.95), () => true)).toBe(4);
    expect(auditsToHold(new AnswerHolds(77, 0.05, 0.95), (i) => i % 2 === 0)).toBe(14);
    expect(auditsToHold(new AnswerHolds(77, 0.05, 0.95), (i) => i % 20 === 0, 5000)).toBe(Infinity);
    // Among two groups, two wrong audits in a row are already proof at 95%.
    expect(auditsToHold(new AnswerHolds(2, 0.05, 0.95), () => true)).toBe(2);
    // One group alone is never held: that is the whole audit's alarm.
    expect(auditsToHold(new AnswerHolds(1, 0.05, 0.95), () => true)).toBe(Infinity);
  });

  it("rarely holds any of 77 answers whose disagreement is at the target, checked after every audit", () => {
    const random = mulberry32(11);
    let runsWithHold = 0;
    const runs = 100;
    for (let r = 0; r < runs; r++) {
      const holds = new AnswerHolds(77, 0.05, 0.95);
      for (let i = 0; i < 77 * 100; i++) holds.record(`g${i % 77}`, 1, random() < 0.05 ? 1 : 0);
      if (holds.held.size > 0) runsWithHold++;
    }
    expect(runsWithHold / runs).toBeLessThanOrEqual(0.05);
  });

  it("counts audits given in bulk as one at a time, keeps a hold once made, and forgets everything on reset", () => {
    const bulk = new AnswerHolds(5, 0.1, 0.95);
    expect(bulk.record("music", 4, 3)).toBe(false);
    expect(bulk.record("music", 5, 4)).toBe(true);
    expect(bulk.isHeld("music")).toBe(true);
    expect(bulk.isHeld("sports")).toBe(false);
    // More agreeing audits do not lift it: the version is the same.
    expect(bulk.record("music", 100, 0)).toBe(false);
    expect([...bulk.held]).toEqual(["music"]);
    expect(bulk.count("music")).toEqual({ audited: 109, disagreements: 7 });
    bulk.reset();
    expect(bulk.held.size).toBe(0);
    expect(bulk.count("music")).toEqual({ audited: 0, disagreements: 0 });
    expect(() => new AnswerHolds(0, 0.05, 0.95)).toThrow(/groups must be an integer ≥ 1/);
  });
});

describe("the cascade's answer holds", () => {
  it("sends the requests of an answer its audits prove wrong to the teacher, keeps answering the others, and starts over with a new version", async () => {
    const train = topicTexts(500, 21);
    const gold = new Map(train.map((t) => [t.text, t.label]));
    // After training, the teacher reads music texts as travel (say, concert trips): the specialist's
    // "music" answers are all wrong from then on, the others all right.
    let drifted = false;
    const teacher = new ScriptedTeacher((text) => {
      const label = gold.get(text) ?? null;
      return drifted && label === "music" ? "travel" : label;
    });
    const task = topicTask({ routing: { max_error: 0.1, confidence_level: 0.95, audit_rate: 0.5 }, training: { retrain_every: 10_000, min_examples: 300, holdout_fraction: 0.3 } });
    const cascade = new Cascade({ task, teacher, autoRetrain: false });
    for (const t of train.slice(0, 400)) await cascade.handle(t.text);
    await cascade.retrain();
    expect(cascade.stats().threshold).not.toBeNull();
    // Agreeing audits of the new version first, so the whole audit stays within target.
    for (const t of train.slice(400)) await cascade.handle(t.text);
    expect(cascade.stats().held).toEqual([]);

    drifted = true;
    const later = topicTexts(400, 22, 50_000);
    for (const t of later) gold.set(t.text, t.label);
    const answers = [];
    for (const t of later) answers.push({ gold: t.label, answer: await cascade.handle(t.text) });
    const stats = cascade.stats();
    expect(stats.held).toEqual(["music"]);
    expect(stats.tightenings).toBe(0);
    const held = answers.filter((a) => a.answer.route.reason === "held");
    expect(held.length).toBeGreaterThan(30);
    expect(stats.held_diversions).toBe(held.length);
    expect(held.every((a) => a.answer.source === "teacher" && a.answer.route.prediction === "music" && a.answer.label === "travel")).toBe(true);
    // Once held, the specialist gives "music" no more; the other labels it still answers.
    const firstHeld = answers.indexOf(held[0]);
    const after = answers.slice(firstHeld).map((a) => a.answer);
    expect(after.filter((a) => a.source === "specialist" && a.label === "music")).toEqual([]);
    expect(new Set(after.filter((a) => a.source === "specialist").map((a) => a.label))).toEqual(new Set(LABELS.filter((l) => l !== "music")));
    // The teacher's answers to held requests are examples to learn from; the explain view agrees.
    expect(cascade.store.get(later[answers.indexOf(held[0])].text)?.label).toBe("travel");
    const confident = cascade.router.decide(later.find((t) => t.label === "music" && cascade.router.decide(t.text).decision === "specialist")!.text);
    expect(cascade.guarded(confident)).toMatchObject({ decision: "teacher", reason: "held" });

    // A new version's answers are audited afresh.
    cascade.restore(cascade.specialist!, cascade.version + 1, 1, cascade.router.threshold);
    expect(cascade.stats().held).toEqual([]);
    expect(cascade.guarded(confident)).toMatchObject({ decision: "specialist", reason: "confident" });
  });

  it("takes earlier audits of the live version from the log after a restart", () => {
    const cascade = new Cascade({ task: topicTask({ routing: { max_error: 0.1, confidence_level: 0.95, audit_rate: 0.05 } }), teacher: new ScriptedTeacher(() => null) });
    cascade.primeAnswerHolds([
      { label: "music", teacher_label: "travel", count: 6 },
      { label: "music", teacher_label: "music", count: 1 },
      { label: "sports", teacher_label: "sports", count: 40 },
      { label: "sports", teacher_label: "weather", count: 2 },
    ]);
    expect(cascade.stats().held).toEqual(["music"]);
  });
});
