// Shadow mode and a request's own teacher (HandleOptions.shadow, .ask): the teacher answers every
// request, and the specialist's would-be answers are measured exactly as serving them would be.
import { describe, expect, it } from "vitest";
import { Cascade } from "../../src/cascade/cascade.js";
import type { TeacherAnswer } from "../../src/teacher/types.js";
import { goldTeacher, LABELS, ScriptedTeacher, topicTask, topicTexts } from "./fixtures.js";

const answerOf = (label: string | null): TeacherAnswer => ({ label, status: label === null ? "error" : "ok", usage: { input_tokens: 0, output_tokens: 0 }, cost: 1, latency_ms: 0, attempts: 1 });

/** A cascade trained on `train` until it has a threshold, and frozen (no retrain during the comparison). */
async function trained(train = topicTexts(500)) {
  const cascade = new Cascade({ task: topicTask({ routing: { audit_rate: 0.1 } }), teacher: goldTeacher(train), autoRetrain: false });
  for (const t of train) await cascade.handle(t.text);
  cascade.retrain();
  expect(cascade.stats().threshold).not.toBeNull();
  return cascade;
}

describe("shadow mode", () => {
  it("asks the teacher for every request and reports the would-be answers that serving gives", async () => {
    // Topic messages the specialist knows, and messages unlike anything it has seen (the teacher's).
    const stream = topicTexts(200, 7, 10_000).flatMap((t, i) => [t, { text: `qzx${i} vwk${i * 7} plo${i * 13} zzy${i}`, label: LABELS[i % LABELS.length] }]);
    const shadow = await trained();
    const serve = await trained();
    const shadowAnswers = [];
    for (const t of stream) shadowAnswers.push(await shadow.handle(t.text, { shadow: true, ask: async () => answerOf(t.label) }));
    expect(shadowAnswers.every((a) => a.source === "teacher" && a.teacher !== undefined)).toBe(true);
    const would = shadowAnswers.filter((a) => a.shadow !== undefined);
    expect(would.length).toBeGreaterThan(0);
    expect(would.length).toBeLessThan(stream.length);

    let asked = 0;
    const served = [];
    for (const t of stream) served.push(await serve.handle(t.text, { ask: async () => (asked++, answerOf(t.label)) }));
    // The same requests are the specialist's, with the same labels; audits draw the same requests.
    expect(served.map((a) => (a.source === "specialist" ? a.label : null))).toEqual(shadowAnswers.map((a) => a.shadow?.label ?? null));
    expect(served.map((a) => a.audited)).toEqual(shadowAnswers.map((a) => a.audited));
    expect(asked).toBe(stream.length - served.filter((a) => a.source === "specialist").length + served.filter((a) => a.audited).length);

    const s = shadow.stats();
    expect(s.shadow_answers).toBe(would.length);
    expect(s.shadow_disagreements).toBe(would.filter((a) => a.shadow!.agreed === false).length);
    expect(s.specialist_answers).toBe(0);
    expect(s.teacher_calls - 500).toBe(stream.length);
    expect(s.audits).toBe(serve.stats().audits);
  });

  it("counts a would-be answer the teacher contradicts as a disagreement, and learns the teacher's label", async () => {
    const cascade = await trained();
    const wrong = (label: string) => LABELS[(LABELS.indexOf(label) + 1) % LABELS.length];
    const stream = topicTexts(100, 9, 20_000);
    const answers = [];
    for (const t of stream) answers.push(await cascade.handle(t.text, { shadow: true, ask: async () => answerOf(wrong(t.label)) }));
    const would = answers.filter((a) => a.shadow !== undefined);
    expect(would.length).toBeGreaterThan(0);
    // A specialist trained on the gold labels predicts them, so the rotated teacher disagrees.
    expect(would.filter((a) => a.shadow!.agreed === false).length).toBeGreaterThan(0.8 * would.length);
    expect(cascade.stats().shadow_disagreements).toBe(would.filter((a) => a.shadow!.agreed === false).length);
    expect(cascade.store.get(stream[0].text)?.label).toBe(wrong(stream[0].label));
  });

  it("learns nothing from a failed teacher answer and keeps the would-be answer unjudged", async () => {
    const cascade = await trained();
    const stream = topicTexts(60, 11, 30_000);
    const answers = [];
    for (const t of stream) answers.push(await cascade.handle(t.text, { shadow: true, ask: async () => answerOf(null) }));
    expect(answers.every((a) => a.failed && a.label === null)).toBe(true);
    expect(answers.filter((a) => a.shadow !== undefined).every((a) => a.shadow!.agreed === undefined)).toBe(true);
    expect(stream.every((t) => cascade.store.get(t.text) === undefined)).toBe(true);
  });

  it("uses the request's own teacher instead of the cascade's", async () => {
    const own = new ScriptedTeacher(() => LABELS[0]);
    const cascade = new Cascade({ task: topicTask(), teacher: own });
    const a = await cascade.handle("anything at all", { ask: async (_text, purpose) => answerOf(purpose === "answer" ? LABELS[1] : null) });
    expect(a.label).toBe(LABELS[1]);
    expect(own.calls).toBe(0);
  });
});
