// The surge guard: traffic predicted as one answer group far beyond that group's share of the
// holdout goes to the teacher; traffic like the holdout is left alone.
import { describe, expect, it } from "vitest";
import { Cascade } from "../../src/cascade/cascade.js";
import { clopperPearsonUpper, regularizedIncompleteBeta } from "../../src/cascade/binomial.js";
import { SURGE_ALPHA, SURGE_MIN_COUNT, SURGE_WINDOW, SurgeGuard } from "../../src/cascade/surge-guard.js";
import { mulberry32 } from "../../src/engine/random.js";
import { goldTeacher, LABELS, topicTask, topicTexts } from "./fixtures.js";

const GROUPS = Array.from({ length: 20 }, (_, i) => `g${i}`);

describe("SurgeGuard", () => {
  it("flags exactly the groups the binomial tail rule flags, request by request, small windows and bursts included", () => {
    // The rule written out directly, on full window and history (the guard searches each earlier
    // count's smallest surging count once instead of computing the tail every request).
    const size = 50;
    const history = 300;
    const guard = new SurgeGuard(size, SURGE_ALPHA, history);
    const random = mulberry32(17);
    const stream: string[] = [];
    for (let i = 0; i < 6000; i++) {
      const phase = Math.floor(i / 500) % 4;
      // Stationary, then a burst of one group, then a slow drift, then a rare group's run.
      const g = phase === 1 && random() < 0.6 ? "burst" : phase === 2 ? `d${Math.floor(random() * (2 + (i % 500) / 100))}` : phase === 3 && i % 500 < 40 ? "rare" : GROUPS[Math.floor(random() * 6)];
      stream.push(g);
    }
    let checked = 0;
    let flagged = 0;
    for (let i = 0; i < stream.length; i++) {
      guard.observe(stream[i]);
      if (i + 1 < size + history) continue;
      const window = stream.slice(i + 1 - size, i + 1);
      const earlier = stream.slice(i + 1 - size - history, i + 1 - size);
      const expected = new Set<string>();
      for (const g of new Set(window)) {
        const c = window.filter((x) => x === g).length;
        if (c < SURGE_MIN_COUNT) continue;
        const share = clopperPearsonUpper(earlier.filter((x) => x === g).length, history, 0.99);
        if (share < 1 && regularizedIncompleteBeta(share, c, size - c + 1) < SURGE_ALPHA) expected.add(g);
      }
      expect([...guard.surging].sort(), `request ${i}`).toEqual([...expected].sort());
      checked++;
      if (expected.size > 0) flagged++;
    }
    expect(checked).toBeGreaterThan(5000);
    // The stream does make it surge, and not all the time.
    expect(flagged).toBeGreaterThan(50);
    expect(flagged).toBeLessThan(checked / 2);
  });

  it("never flags anything before requests have left its window", () => {
    const guard = new SurgeGuard();
    for (let i = 0; i < SURGE_WINDOW; i++) guard.observe(i < 100 ? "a" : "b");
    expect(guard.active).toBe(false);
  });

  it("leaves traffic drawn like the earlier traffic alone", () => {
    const random = mulberry32(3);
    // Skewed, as real traffic is: g0 a third of it, the rest shared.
    const draw = () => (random() < 1 / 3 ? "g0" : GROUPS[1 + Math.floor(random() * (GROUPS.length - 1))]);
    const guard = new SurgeGuard();
    let flagged = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      guard.observe(draw());
      if (guard.active) flagged++;
    }
    expect(flagged / n).toBeLessThan(0.005);
  });

  it("flags a burst of a group the earlier traffic rarely held, and forgets it once the window has moved on", () => {
    const random = mulberry32(4);
    const draw = () => GROUPS[Math.floor(random() * GROUPS.length)];
    const guard = new SurgeGuard();
    for (let i = 0; i < 5 * SURGE_WINDOW; i++) guard.observe(i % 100 === 0 ? "rare" : draw());
    expect(guard.active).toBe(false);
    let firstFlag = -1;
    for (let i = 0; i < 40; i++) {
      guard.observe("rare");
      if (guard.surging.has("rare") && firstFlag === -1) firstFlag = i;
    }
    // About 2 of 200 expected: a score in a row is no chance.
    expect(firstFlag).toBeGreaterThanOrEqual(SURGE_MIN_COUNT - 1);
    expect(firstFlag).toBeLessThan(25);
    expect([...guard.surging]).toEqual(["rare"]);
    for (let i = 0; i < SURGE_WINDOW; i++) guard.observe(draw());
    expect(guard.active).toBe(false);
  });

  it("compares with the recent history only, so a mix that changed long ago stops counting as a surge", () => {
    const random = mulberry32(5);
    const window = 50;
    const history = 500;
    const guard = new SurgeGuard(window, undefined, history);
    // A young model that never predicts g0, then one that predicts it at a third of the traffic.
    for (let i = 0; i < 5000; i++) guard.observe(GROUPS[1 + Math.floor(random() * (GROUPS.length - 1))]);
    const later = () => (random() < 1 / 3 ? "g0" : GROUPS[1 + Math.floor(random() * (GROUPS.length - 1))]);
    let activeEarly = 0;
    for (let i = 0; i < window; i++) {
      guard.observe(later());
      if (guard.active) activeEarly++;
    }
    expect(activeEarly).toBeGreaterThan(0);
    for (let i = 0; i < history; i++) guard.observe(later());
    let activeLate = 0;
    for (let i = 0; i < 2000; i++) {
      guard.observe(later());
      if (guard.active) activeLate++;
    }
    expect(activeLate).toBe(0);
  });

  it("needs a few requests of a group never seen before, and a short history claims less", () => {
    const guard = new SurgeGuard();
    for (let i = 0; i < 10 * SURGE_WINDOW; i++) guard.observe(GROUPS[i % GROUPS.length]);
    let seen = 0;
    while (!guard.active && seen < SURGE_WINDOW) {
      guard.observe("new");
      seen++;
    }
    expect(seen).toBeGreaterThanOrEqual(SURGE_MIN_COUNT);
    expect(seen).toBeLessThan(15);
    expect([...guard.surging]).toEqual(["new"]);
    // Ten requests of history without it cannot say a group is rare.
    const short = new SurgeGuard(20);
    for (let i = 0; i < 30; i++) short.observe(GROUPS[1 + (i % 10)]);
    for (let i = 0; i < SURGE_MIN_COUNT; i++) short.observe("g0");
    expect(short.active).toBe(false);
  });
});

describe("the cascade's surge guard", () => {
  it("answers nothing while one label bursts in the traffic far beyond its share of the holdout, and answers again once the traffic mixes", async () => {
    const mixed = topicTexts(600, 5);
    const burst = topicTexts(5 * 150, 6, 10_000).filter((t) => t.label === LABELS[0]);
    const after = topicTexts(400, 7, 20_000);
    const cascade = new Cascade({ task: topicTask({ training: { retrain_every: 10_000, min_examples: 300, holdout_fraction: 0.3 } }), teacher: goldTeacher([...mixed, ...burst, ...after]) });
    for (const t of mixed) await cascade.handle(t.text);
    const before = cascade.stats();
    expect(before.threshold).not.toBeNull();
    expect(before.surge_diversions).toBe(0);
    expect(before.specialist_answers).toBeGreaterThan(0);

    const burstAnswers = [];
    for (const t of burst) burstAnswers.push(await cascade.handle(t.text));
    const diverted = burstAnswers.filter((a) => a.route.reason === "surge");
    expect(diverted.length).toBeGreaterThan(burst.length / 2);
    expect(diverted.every((a) => a.source === "teacher")).toBe(true);
    // Once it surges, nothing the threshold lets through is answered by the specialist.
    const firstDiverted = burstAnswers.indexOf(diverted[0]);
    expect(burstAnswers.slice(firstDiverted).filter((a) => a.source === "specialist")).toEqual([]);
    expect(cascade.stats().surge_diversions).toBe(diverted.length);
    expect(cascade.stats().surging).toEqual([LABELS[0]]);
    // What /explain shows: the threshold's decision, as the guard leaves it now (no request counted).
    const confident = burst.map((t) => cascade.router.decide(t.text)).find((d) => d.decision === "specialist")!;
    expect(cascade.guarded(confident)).toMatchObject({ decision: "teacher", reason: "surge", prediction: confident.prediction });
    expect(cascade.stats().surge_diversions).toBe(diverted.length);

    const afterAnswers = [];
    for (const t of after) afterAnswers.push(await cascade.handle(t.text));
    const late = afterAnswers.slice(SURGE_WINDOW);
    expect(late.filter((a) => a.route.reason === "surge")).toEqual([]);
    expect(cascade.stats().surging).toEqual([]);
    expect(late.filter((a) => a.source === "specialist").length).toBeGreaterThan(late.length / 2);
  });
});
