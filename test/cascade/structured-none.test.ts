// A structured task whose teacher answers "none of these" in a choice field (issue 21 for issue
// 15's tasks): the none answer is learned as a class of the field's classifier, and the router
// sends a prediction holding it to the teacher, as it does a label task's none label.
import { describe, expect, it } from "vitest";
import { Cascade, type CascadeTask } from "../../src/cascade/cascade.js";
import { simulate } from "../../src/cascade/simulation.js";
import { structuredKind } from "../../src/cascade/specialist-kind.js";
import { canonicalAnswer, parseCanonical, type StructuredObject } from "../../src/engine/structured-answer.js";
import { mulberry32 } from "../../src/engine/random.js";
import { NONE_LABEL, RoutingSchema, TaskTeacherSchema, TrainingSchema } from "../../src/task/definition.js";
import { noneAnswerTest, noneFields, offeringNone } from "../../src/task/output-fields.js";
import { structuredAnswerKey } from "../../src/teacher/sim-structured-key.js";
import { SimulatedTeacher } from "../../src/teacher/simulated-teacher.js";
import { TRANSFER_FIELDS, transferRequests } from "../helpers/transfer-requests.js";
import { ScriptedTeacher, topicTexts } from "./fixtures.js";

const FIELDS = offeringNone(TRANSFER_FIELDS);
const isNone = noneAnswerTest(FIELDS)!;
const task: CascadeTask = {
  name: "transfers",
  routing: RoutingSchema.parse({ max_error: 0.1, confidence_level: 0.95, audit_rate: 0 }),
  training: TrainingSchema.parse({ retrain_every: 100, min_examples: 100, holdout_fraction: 0.3 }),
  teacher: TaskTeacherSchema.parse({}),
};
/** A message about something else entirely: its intent is none of the task's (gold: a value outside the enum). */
const offTopic = (text: string): { text: string; object: StructuredObject } => ({ text, object: { intent: "weather_question", amount: null, currency: null, recipient: null, urgent: false } });

describe("noneAnswerTest", () => {
  it("finds a choice field answered none, and nothing a value could fake", () => {
    const none = canonicalAnswer(FIELDS, { intent: NONE_LABEL, amount: null, currency: null, recipient: null, urgent: false });
    expect(isNone(none)).toBe(true);
    expect(noneFields(FIELDS, parseCanonical(none))).toEqual(["intent"]);
    // A value copied from the text may say anything, quotes included: it is escaped in the JSON.
    for (const recipient of [NONE_LABEL, `x","intent":"${NONE_LABEL}`, `"currency":"${NONE_LABEL}"`]) {
      expect(isNone(canonicalAnswer(FIELDS, { intent: "send_money", amount: "5", currency: "EUR", recipient, urgent: false }))).toBe(false);
    }
    expect(noneAnswerTest(TRANSFER_FIELDS)).toBeUndefined();
  });
});

describe("Cascade on a structured task whose teacher answers none of these", () => {
  it("learns none in the choice field, never answers it, and keeps off-topic messages on the teacher", async () => {
    const random = mulberry32(8);
    const inScope = transferRequests(1200, 51);
    const foreign = topicTexts(200, 52).map((e) => offTopic(e.text));
    const stream = [...inScope, ...foreign].sort(() => random() - 0.5);
    const holdout = [...transferRequests(250, 53), ...topicTexts(60, 54, 50_000).map((e) => offTopic(e.text))].filter((h) => !stream.some((s) => s.text === h.text));
    // Right on every object; "none of these" in the intent for every off-topic message.
    const key = structuredAnswerKey({ fields: FIELDS, gold: [...stream, ...holdout], accuracy: 1, outOfScope: { rate: 1 } });
    const cascade = new Cascade({ task, kind: structuredKind(FIELDS), teacher: new SimulatedTeacher({ key }), trainOptions: { seed: 1 } });
    const asLabelled = (rs: { text: string }[]) => rs.map((r) => ({ text: r.text, label: key.gold.get(r.text)! }));
    const r = await simulate(cascade, { stream: asLabelled(stream), holdout: asLabelled(holdout) });

    expect([...cascade.store.values()].filter((e) => isNone(e.label)).length).toBeGreaterThan(100);
    // The intent's classifier learned none as a class of its own.
    const noneObject = [...cascade.store.values()].find((e) => isNone(e.label))!.label;
    expect(cascade.specialist!.knows(noneObject)).toBe(true);
    const h = r.holdout!;
    expect(h.holdout_out_of_scope).toBe(holdout.filter((x) => x.object.intent === "weather_question").length);
    expect(h.holdout_in_scope_coverage).toBeGreaterThan(0.3);
    expect(h.holdout_out_of_scope_answered).toBe(0);
    // The specialist predicts none for off-topic messages, and the router passes those to the teacher.
    let noneRouted = 0;
    for (const x of holdout) {
      const d = cascade.router.decide(x.text);
      if (d.decision === "specialist") expect(isNone(d.prediction!)).toBe(false);
      if (d.reason === "out_of_scope_label") {
        expect(isNone(d.prediction!)).toBe(true);
        noneRouted++;
      }
    }
    expect(noneRouted).toBeGreaterThan(30);
  });

  it("takes the teacher's first none answers as a reason to retrain, not as a new choice (no shift guard)", async () => {
    const stream = transferRequests(600, 21);
    const none = canonicalAnswer(FIELDS, { intent: NONE_LABEL, amount: null, currency: null, recipient: null, urgent: false });
    const teacher = new ScriptedTeacher((text) => {
      const s = stream.find((x) => x.text === text);
      return s === undefined ? none : canonicalAnswer(FIELDS, s.object);
    });
    const cascade = new Cascade({ task, kind: structuredKind(FIELDS), teacher, autoRetrain: false });
    for (const s of stream) {
      await cascade.handle(s.text);
      if (cascade.retrainDue()) cascade.retrain();
    }
    const threshold = cascade.router.threshold;
    expect(threshold).not.toBeNull();
    expect(cascade.retrainDue()).toBe(false);
    // Five none answers that go to training (some texts land in the holdout) make a retrain due.
    const texts = topicTexts(40, 61).map((e) => e.text);
    let i = 0;
    while (!cascade.retrainDue()) await cascade.handle(texts[i++], { route: "teacher" });
    expect(i).toBeGreaterThanOrEqual(5);
    expect(cascade.router.threshold).toBe(threshold);
  });
});
