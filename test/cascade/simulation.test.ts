import { describe, expect, it } from "vitest";
import { Cascade } from "../../src/cascade/cascade.js";
import { simulate } from "../../src/cascade/simulation.js";
import { SimulatedTeacher } from "../../src/teacher/simulated-teacher.js";
import { LABELS, topicTask, topicTexts } from "./fixtures.js";

describe("simulate", () => {
  it("reaches nonzero coverage from a cold start with accuracy close to the teacher's", async () => {
    const stream = topicTexts(600, 1);
    const holdout = topicTexts(200, 2, 50_000);
    const teacher = new SimulatedTeacher({ labels: LABELS, gold: [...stream, ...holdout], accuracy: 0.9, seed: 1 });
    const cascade = new Cascade({ task: topicTask({ routing: { audit_rate: 0.05 } }), teacher });
    const seen: number[] = [];
    const r = await simulate(cascade, { stream, holdout, onCheckpoint: (c) => seen.push(c.requests) });

    expect(r.requests).toBe(600);
    expect(r.coverage).toBeGreaterThan(0.2);
    expect(r.teacher_calls).toBeLessThan(600);
    expect(r.teacher_only_accuracy!).toBeCloseTo(0.9, 1);
    expect(r.accuracy).toBeGreaterThanOrEqual(r.teacher_only_accuracy! - 0.02);
    expect(r.cost).toBeLessThan(r.teacher_only_cost!);
    // The live error the target bounds (max_error 10%), measured against the teacher's answers.
    expect(r.specialist_error_vs_teacher!).toBeLessThanOrEqual(0.1);
    expect(r.specialist_accuracy!).toBeGreaterThan(0.9);
    expect(r.teacher_only_cost).toBeCloseTo(600 * 0.0005, 10);

    // Ten checkpoints, the last one at the end, consistent with the summary.
    expect(seen).toEqual([60, 120, 180, 240, 300, 360, 420, 480, 540, 600]);
    const last = r.checkpoints[r.checkpoints.length - 1];
    expect(last).toMatchObject({ requests: 600, teacher_calls: r.teacher_calls, accuracy: r.accuracy, coverage: r.coverage, version: r.final_version });
    expect(r.checkpoints[0].window_coverage).toBe(0);
    expect(r.trace.teacherCalled.reduce((a, b) => a + b, 0)).toBe(r.teacher_calls);
    expect(r.trace.correct.reduce((a, b) => a + b, 0)).toBe(Math.round(r.accuracy * 600));

    const h = r.holdout!;
    expect(h.holdout_requests).toBe(200);
    expect(h.holdout_coverage).toBeGreaterThan(0.3);
    expect(h.holdout_coverage + h.holdout_teacher_share).toBeCloseTo(1, 12);
    expect(h.holdout_accuracy).toBeGreaterThanOrEqual(h.holdout_teacher_only_accuracy! - 0.03);
  });

  it("can skip the teacher-only baseline", async () => {
    const stream = topicTexts(100);
    const teacher = new SimulatedTeacher({ labels: LABELS, gold: stream, accuracy: 1 });
    const before = { calls: 0 };
    const counting = { name: "counting", classify: (text: string) => (before.calls++, teacher.classify(text)) };
    const r = await simulate(new Cascade({ task: topicTask(), teacher: counting }), { stream, teacherOnly: false, checkpoints: 4 });
    expect(r.teacher_only_accuracy).toBeNull();
    expect(r.teacher_only_cost).toBeNull();
    expect(r.specialist_error_vs_teacher).toBeNull();
    expect(r.trace.teacherOnlyCorrect).toBeNull();
    expect(r.checkpoints.map((c) => c.requests)).toEqual([25, 50, 75, 100]);
    // Only the cascade's own calls were made.
    expect(before.calls).toBe(r.teacher_calls);
  });
});
