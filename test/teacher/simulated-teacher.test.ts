import { describe, expect, it } from "vitest";
import { createTeacher } from "../../src/teacher/index.js";
import { SimulatedTeacher } from "../../src/teacher/simulated-teacher.js";
import { simulatedAnswerKey } from "../../src/teacher/sim-answer-key.js";
import { canonicalAnswer } from "../../src/engine/structured-answer.js";
import { outputFields } from "../../src/task/structured.js";
import { invoiceTask, supportTask } from "./helpers.js";
import { simDataset, SIM_LABELS } from "./sim-dataset.js";

const data = simDataset();
const gold = data.map(({ text, label }) => ({ text, label }));

function wrongOnes(accuracy: number, seed = 0) {
  const key = simulatedAnswerKey({ labels: SIM_LABELS, gold, accuracy, seed });
  return data.filter((d) => key.answers.get(d.text) !== d.label).map((d) => ({ ...d, answer: key.answers.get(d.text)! }));
}

describe("SimulatedTeacher", () => {
  it("gives the same answer to the same text, across calls and instances", async () => {
    const a = new SimulatedTeacher({ labels: SIM_LABELS, gold, accuracy: 0.8, seed: 3 });
    const b = new SimulatedTeacher({ labels: SIM_LABELS, gold: [...gold].reverse(), accuracy: 0.8, seed: 3 });
    for (const { text } of data) {
      const first = await a.classify(text);
      expect((await a.classify(text)).label).toBe(first.label);
      expect((await b.classify(text)).label).toBe(first.label);
    }
  });

  it.each([1, 0.95, 0.9, 0.8, 0.73, 0.5, 0])("realises accuracy %s exactly on the gold set", async (accuracy) => {
    const t = new SimulatedTeacher({ labels: SIM_LABELS, gold, accuracy, seed: 11 });
    let correct = 0;
    for (const { text, label } of gold) if ((await t.classify(text)).label === label) correct++;
    const mistakes = Math.round((1 - accuracy) * gold.length);
    expect(t.key.mistakes).toBe(mistakes);
    expect(correct).toBe(gold.length - mistakes);
  });

  it("counts a repeated gold text once", () => {
    const key = simulatedAnswerKey({ labels: SIM_LABELS, gold: [...gold, ...gold.slice(0, 50)], accuracy: 0.9 });
    expect(key.answers.size).toBe(gold.length);
    expect(key.mistakes).toBe(Math.round(0.1 * gold.length));
  });

  it("sends mistakes to the confusable label", () => {
    const wrong = wrongOnes(0.85);
    const deliveryWrong = wrong.filter((w) => w.label === "delivery");
    expect(deliveryWrong.length).toBeGreaterThan(10);
    const toEta = deliveryWrong.filter((w) => w.answer === "delivery_eta").length;
    expect(toEta / deliveryWrong.length).toBeGreaterThan(0.6);
    // Far fewer mistakes on the label nothing resembles.
    expect(wrong.filter((w) => w.label === "weather").length).toBeLessThan(wrong.length / 10);
  });

  it("makes its mistakes on the ambiguous texts first", () => {
    const wrong = wrongOnes(0.9); // 30 mistakes, 40 ambiguous texts
    const ambiguousShare = wrong.filter((w) => w.ambiguous).length / wrong.length;
    const baseRate = data.filter((d) => d.ambiguous).length / data.length;
    expect(ambiguousShare).toBeGreaterThan(0.8);
    expect(ambiguousShare).toBeGreaterThan(3 * baseRate);
  });

  it("sends some mistakes to the second-nearest label, not all to one pair", () => {
    const wrong = wrongOnes(0.6);
    const deliveryWrong = wrong.filter((w) => w.label !== "weather");
    const second = deliveryWrong.filter((w) => w.answer === "weather").length / deliveryWrong.length;
    expect(second).toBeGreaterThan(0.05);
    expect(second).toBeLessThan(0.4);
  });

  it("lets the seed choose among near-ties without changing the accuracy", () => {
    const a = wrongOnes(0.9, 1).map((w) => w.text);
    const b = wrongOnes(0.9, 2).map((w) => w.text);
    expect(a).toHaveLength(b.length);
    expect(new Set([...a, ...b]).size).toBeGreaterThan(a.length); // some differ…
    expect(a.filter((t) => b.includes(t)).length).toBeGreaterThan(a.length / 2); // …most agree
  });

  it("reports usage, price and latency without waiting", async () => {
    const t = new SimulatedTeacher({ labels: SIM_LABELS, gold, accuracy: 1 });
    const text = gold[0].text;
    const a = await t.classify(text);
    expect(a).toMatchObject({ status: "ok", label: gold[0].label, cost: 0.0005, latency_ms: 800, attempts: 1 });
    expect(a.usage.input_tokens).toBe(Math.ceil(text.length / 4) + 200);
    expect(a.usage.output_tokens).toBeGreaterThan(0);
    const custom = new SimulatedTeacher({ labels: SIM_LABELS, gold, accuracy: 1, pricePerCall: 0.01, latencyMs: 5 });
    expect(await custom.classify(text)).toMatchObject({ cost: 0.01, latency_ms: 5 });
  });

  it("answers an unknown text with an error", async () => {
    const t = new SimulatedTeacher({ labels: SIM_LABELS, gold, accuracy: 0.9 });
    expect(await t.classify("never seen")).toMatchObject({ label: null, status: "error", reason: "simulated teacher has no answer for this text" });
  });

  it("answers an unknown text from its fallback, and a gold text from the key", async () => {
    const t = new SimulatedTeacher({ labels: SIM_LABELS, gold, accuracy: 1, otherwise: () => SIM_LABELS[1] });
    expect(await t.classify("never seen")).toMatchObject({ label: SIM_LABELS[1], status: "ok" });
    expect((await t.classify(gold[0].text)).label).toBe(gold[0].label);
  });

  it("stops a real delay when the caller aborts", async () => {
    const t = new SimulatedTeacher({ labels: SIM_LABELS, gold, accuracy: 1, latencyMs: 60_000, realDelay: true });
    const controller = new AbortController();
    const pending = t.classify(gold[0].text, { signal: controller.signal });
    controller.abort();
    expect(await pending).toMatchObject({ status: "error", reason: "aborted by caller" });
  });

  it("rejects a gold label outside the set and an accuracy outside 0–1", () => {
    expect(() => new SimulatedTeacher({ labels: SIM_LABELS, gold: [{ text: "x", label: "nope" }], accuracy: 1 })).toThrow(/nope/);
    expect(() => new SimulatedTeacher({ labels: SIM_LABELS, gold, accuracy: 1.2 })).toThrow(RangeError);
  });
});

describe("createTeacher", () => {
  it("builds a simulated teacher with the task's labels", async () => {
    const task = supportTask();
    const t = createTeacher(task, { kind: "sim", sim: { gold: [{ text: "refund", label: "billing" }], accuracy: 1 } });
    expect(t.name).toBe("sim");
    expect(await t.classify("refund")).toMatchObject({ label: "billing", status: "ok" });
  });

  it("builds an OpenAI teacher, and asks for the gold set for a simulated one", () => {
    const task = supportTask();
    expect(createTeacher(task, { kind: "openai", openai: { apiKey: "k", baseURL: "http://127.0.0.1:9/v1" } }).name).toBe("openai:fake-model");
    expect(() => createTeacher(task, { kind: "sim" })).toThrow(/options.sim/);
  });

  it("builds a simulated teacher answering a structured task's gold objects, canonically", async () => {
    const task = invoiceTask();
    const object = { people: ["Anna"], amount: "40 euros", intent: "pay", urgent: true, topics: ["card"], note: null };
    const t = createTeacher(task, { kind: "sim", sim: { gold: [{ text: "pay Anna 40 euros now", object }], accuracy: 1 } });
    expect(await t.classify("pay Anna 40 euros now")).toMatchObject({ status: "ok", label: canonicalAnswer(outputFields(task), object) });
  });
});

describe("SimulatedTeacher offered none of these", () => {
  // Half the labels' texts play out-of-scope messages: their gold labels are not the teacher's labels.
  const inLabels = SIM_LABELS.slice(0, Math.ceil(SIM_LABELS.length / 2));
  const known = new Set(inLabels);
  const outside = gold.filter((g) => !known.has(g.label));
  const inside = gold.filter((g) => known.has(g.label));

  it("answers none for about `rate` of out-of-scope texts and the nearest label otherwise; in-scope accuracy is exact", async () => {
    const t = new SimulatedTeacher({ labels: inLabels, gold, accuracy: 0.9, seed: 5, outOfScope: { label: "none", rate: 0.8 } });
    let none = 0;
    for (const { text } of outside) {
      const a = await t.classify(text);
      expect(a.status).toBe("ok");
      if (a.label === "none") none++;
      else expect(inLabels).toContain(a.label);
      expect(t.key.gold.get(text)).toBe("none");
    }
    expect(none / outside.length).toBeGreaterThan(0.7);
    expect(none / outside.length).toBeLessThan(0.9);
    let correct = 0;
    for (const { text, label } of inside) if ((await t.classify(text)).label === label) correct++;
    expect(correct).toBe(inside.length - Math.round(0.1 * inside.length));
  });

  it("answers every out-of-scope text with none at rate 1, none of them at rate 0", () => {
    const all = simulatedAnswerKey({ labels: inLabels, gold, accuracy: 1, outOfScope: { label: "none", rate: 1 } });
    const never = simulatedAnswerKey({ labels: inLabels, gold, accuracy: 1, outOfScope: { label: "none", rate: 0 } });
    for (const { text } of outside) {
      expect(all.answers.get(text)).toBe("none");
      expect(inLabels).toContain(never.answers.get(text));
    }
  });

  it("refuses labels outside the set without outOfScope, and a none label that is one of the labels", () => {
    expect(() => simulatedAnswerKey({ labels: inLabels, gold, accuracy: 1 })).toThrow(/not one of the labels/);
    expect(() => simulatedAnswerKey({ labels: inLabels, gold, accuracy: 1, outOfScope: { label: inLabels[0], rate: 1 } })).toThrow(/must not be one of the labels/);
  });
});
