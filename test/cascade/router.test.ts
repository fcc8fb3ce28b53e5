import { beforeAll, describe, expect, it } from "vitest";
import type { TextClassifier } from "../../src/engine/classifier.js";
import { trainClassifier } from "../../src/engine/train.js";
import { assess, auditDraw, Router, type RouterSettings } from "../../src/cascade/router.js";
import { topicTexts } from "./fixtures.js";

const SETTINGS: RouterSettings = { routing: { audit_rate: 0, out_of_scope_max: 0.9 }, seed: 1 };
const WEATHER = "tell me about the rain and storm forecast";
const GIBBERISH = "qzxv wkjh plmnb";

let model: TextClassifier;
let withOther: TextClassifier;

beforeAll(() => {
  model = trainClassifier(topicTexts(300));
  const other = Array.from({ length: 60 }, (_, i) => ({ text: `lorem ipsum dolor sit amet ${i % 7} consectetur`, label: "other" }));
  withOther = trainClassifier([...topicTexts(300), ...other]);
});

describe("Router", () => {
  it("sends everything to the teacher without a specialist or a threshold", () => {
    const router = new Router(SETTINGS);
    expect(router.route(WEATHER)).toEqual({ decision: "teacher", reason: "no_specialist", audit: false });
    router.setSpecialist(model, null);
    expect(router.route(WEATHER)).toEqual({ decision: "teacher", reason: "no_threshold", audit: false });
    router.setSpecialist(null, 0.5);
    expect(router.threshold).toBeNull();
  });

  it("decideFrom an assessment decides exactly as decide does on the text", () => {
    const router = new Router(SETTINGS);
    const texts = [WEATHER, GIBBERISH, "what about the match score", "hello"];
    expect(router.decideFrom(null)).toEqual(router.decide(WEATHER));
    router.setSpecialist(model, null);
    expect(router.decideFrom(assess(model, WEATHER, SETTINGS))).toEqual({ decision: "teacher", reason: "no_threshold", audit: false });
    for (const threshold of [0, model.predict(WEATHER).confidence, 0.999999]) {
      router.setThreshold(threshold);
      for (const text of texts) expect(router.decideFrom(assess(model, text, SETTINGS))).toEqual(router.decide(text));
    }
  });

  it("answers when the confidence reaches the threshold, and passes on below it", () => {
    const router = new Router(SETTINGS);
    const confidence = model.predict(WEATHER).confidence;
    router.setSpecialist(model, confidence);
    expect(router.route(WEATHER)).toMatchObject({ decision: "specialist", reason: "confident", prediction: "weather", confidence, audit: false });
    router.setThreshold(confidence + 1e-6);
    const below = router.route(WEATHER);
    expect(below).toMatchObject({ decision: "teacher", reason: "below_threshold", prediction: "weather", confidence });
    expect(below.unknownShare).toBeGreaterThanOrEqual(0);
    expect(below.unknownShare).toBeLessThan(0.5);
  });

  it("sends text unlike anything learned to the teacher, unless the check is off", () => {
    const router = new Router(SETTINGS);
    router.setSpecialist(model, 0);
    const decision = router.route(GIBBERISH);
    expect(decision).toMatchObject({ decision: "teacher", reason: "out_of_scope" });
    expect(decision.unknownShare).toBeGreaterThan(0.9);
    const off = new Router({ ...SETTINGS, routing: { ...SETTINGS.routing, out_of_scope_max: 1 } });
    off.setSpecialist(model, 0);
    expect(off.route(GIBBERISH).decision).toBe("specialist");
  });

  it("never answers with the out-of-scope label", () => {
    const text = "lorem ipsum dolor sit amet 3 consectetur";
    expect(withOther.predict(text).label).toBe("other");
    const router = new Router({ ...SETTINGS, isNone: (label) => label === "other" });
    router.setSpecialist(withOther, 0);
    expect(router.route(text)).toMatchObject({ decision: "teacher", reason: "out_of_scope_label", prediction: "other" });
    expect(router.route(WEATHER)).toMatchObject({ decision: "specialist", prediction: "weather" });
    // Without an out-of-scope label, "other" is a label like any other.
    const plain = new Router(SETTINGS);
    plain.setSpecialist(withOther, 0);
    expect(plain.route(text)).toMatchObject({ decision: "specialist", prediction: "other" });
  });

  it("audits specialist answers with a deterministic per-request draw at audit_rate", () => {
    const router = new Router({ ...SETTINGS, routing: { ...SETTINGS.routing, audit_rate: 0.3 } });
    router.setSpecialist(model, 0);
    let audits = 0;
    for (let id = 0; id < 2000; id++) if (router.route(WEATHER, id).audit) audits++;
    expect(audits / 2000).toBeGreaterThan(0.27);
    expect(audits / 2000).toBeLessThan(0.33);
    // The same request id always draws the same, whatever was routed in between.
    const first = [17, 18, 19, 20].map((id) => router.route(WEATHER, id).audit);
    router.route(WEATHER);
    expect([17, 18, 19, 20].map((id) => router.route(WEATHER, id).audit)).toEqual(first);
    expect(auditDraw(1, 17)).toBe(auditDraw(1, 17));
    expect(auditDraw(1, 17)).not.toBe(auditDraw(2, 17));
    expect(auditDraw(1, 2 ** 40)).not.toBe(auditDraw(1, 0));
    // Teacher-routed requests are never audited; rates 0 and 1 are exact.
    router.setThreshold(1.1);
    expect(router.route(WEATHER, 3).audit).toBe(false);
    const always = new Router({ ...SETTINGS, routing: { ...SETTINGS.routing, audit_rate: 1 } });
    always.setSpecialist(model, 0);
    expect(Array.from({ length: 50 }, () => always.route(WEATHER).audit).every(Boolean)).toBe(true);
  });
});
