// The cascade on a structured task: answers are whole objects (canonical JSON), and the error the
// routing bounds is "differs from the teacher's object in any field".
import { describe, expect, it } from "vitest";
import { Cascade, type CascadeTask } from "../../src/cascade/cascade.js";
import { simulate } from "../../src/cascade/simulation.js";
import { structuredKind } from "../../src/cascade/specialist-kind.js";
import { canonicalAnswer, type OutputField } from "../../src/engine/structured-answer.js";
import { RoutingSchema, TaskTeacherSchema, TrainingSchema } from "../../src/task/definition.js";
import { structuredAnswerKey } from "../../src/teacher/sim-structured-key.js";
import { SimulatedTeacher } from "../../src/teacher/simulated-teacher.js";
import { TRANSFER_FIELDS, transferRequests, type TransferRequest } from "../helpers/transfer-requests.js";
import { ScriptedTeacher } from "./fixtures.js";

const task: CascadeTask = {
  name: "transfers",
  routing: RoutingSchema.parse({ max_error: 0.1, confidence_level: 0.95, audit_rate: 0.1 }),
  training: TrainingSchema.parse({ retrain_every: 100, min_examples: 100, holdout_fraction: 0.3 }),
  teacher: TaskTeacherSchema.parse({}),
};
const labelled = (rs: TransferRequest[]) => rs.map((r) => ({ text: r.text, label: canonicalAnswer(TRANSFER_FIELDS, r.object) }));

describe("Cascade with structured answers", () => {
  it("takes over whole objects from a cold start, disagreeing with the teacher within the bound", async () => {
    const stream = labelled(transferRequests(1500, 11));
    const holdout = labelled(transferRequests(300, 12));
    const key = structuredAnswerKey({ fields: TRANSFER_FIELDS, gold: [...stream, ...holdout].map((e) => ({ text: e.text, object: JSON.parse(e.label) })), accuracy: 0.95 });
    const cascade = new Cascade({ task, kind: structuredKind(TRANSFER_FIELDS), teacher: new SimulatedTeacher({ key }) });
    const r = await simulate(cascade, { stream, holdout });
    expect(r.coverage).toBeGreaterThan(0.3);
    expect(r.specialist_error_vs_teacher!).toBeLessThanOrEqual(task.routing.max_error);
    expect(r.holdout!.holdout_coverage).toBeGreaterThan(0.5);
    expect(r.accuracy).toBeGreaterThanOrEqual(r.teacher_only_accuracy! - 0.03);
    // The specialist's answers are objects in canonical form.
    const answer = cascade.router.route(holdout[0].text);
    expect(JSON.parse(answer.prediction!)).toHaveProperty("recipient");
  });

  it("stops answering when the teacher names a choice the specialist never learned (shift guard)", async () => {
    const stream = transferRequests(600, 21);
    const teacher = new ScriptedTeacher((text) => canonicalAnswer(TRANSFER_FIELDS, stream.find((s) => s.text === text)?.object ?? { intent: "close_account" }));
    const cascade = new Cascade({ task: { ...task, routing: { ...task.routing, audit_rate: 0 } }, kind: structuredKind(TRANSFER_FIELDS), teacher });
    for (const s of stream) await cascade.handle(s.text);
    expect(cascade.router.threshold).not.toBeNull();
    // A request the specialist does not answer reaches the teacher, which names a new intent.
    await cascade.handle("please close my account now", { route: "teacher" });
    expect(cascade.router.threshold).toBeNull();
  });

  it("counts an object in the surge guard's group of its choices, whatever it extracted or flagged", () => {
    const kind = structuredKind(TRANSFER_FIELDS);
    const object = { intent: "send_money", amount: "50", currency: "EUR", recipient: "Anna", urgent: false };
    const group = kind.group(canonicalAnswer(TRANSFER_FIELDS, object));
    expect(group).toBe(JSON.stringify(["send_money", "EUR"]));
    expect(kind.group(canonicalAnswer(TRANSFER_FIELDS, { ...object, amount: "7", recipient: "Bo" }))).toBe(group);
    expect(kind.group(canonicalAnswer(TRANSFER_FIELDS, { ...object, urgent: true }))).toBe(group);
    expect(kind.group(canonicalAnswer(TRANSFER_FIELDS, { ...object, currency: "USD" }))).not.toBe(group);
  });

  it("takes a person's object as the answer, and refuses one that is not in canonical form", () => {
    const cascade = new Cascade({ task, kind: structuredKind(TRANSFER_FIELDS), teacher: new ScriptedTeacher(() => null) });
    const object = { intent: "send_money", amount: "5", currency: "EUR", recipient: "Bob", urgent: false };
    cascade.addHumanLabel("send 5 euros to Bob", canonicalAnswer(TRANSFER_FIELDS, object));
    expect(cascade.store.get("send 5 euros to Bob")?.label).toBe(canonicalAnswer(TRANSFER_FIELDS, object));
    expect(() => cascade.addHumanLabel("x", JSON.stringify({ recipient: "Bob", intent: "send_money" }))).toThrow(RangeError);
    expect(() => cascade.addHumanLabel("x", "not json")).toThrow(RangeError);
  });

  it("sends everything to the teacher when a field is teacher-only", async () => {
    const fields: OutputField[] = [...TRANSFER_FIELDS, { name: "note", kind: "teacher_only" }];
    const stream = transferRequests(300, 31);
    const teacher = new ScriptedTeacher((text) => canonicalAnswer(fields, { ...stream.find((s) => s.text === text)!.object, note: "ok" }));
    const reports: string[] = [];
    const cascade = new Cascade({ task, kind: structuredKind(fields), teacher, onRetrain: (r) => reports.push(r.reason) });
    for (const s of stream) await cascade.handle(s.text);
    expect(cascade.stats().specialist_answers).toBe(0);
    expect(reports[0]).toMatch(/teacher-only fields \(note\)/);
  });
});
