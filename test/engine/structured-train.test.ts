import { describe, expect, it } from "vitest";
import { canonicalAnswer, type OutputField } from "../../src/engine/structured-answer.js";
import { locateSpans, trainStructuredSpecialist } from "../../src/engine/structured-train.js";
import { decodeModel, encodeModel } from "../../src/engine/model-file.js";
import { TrainingError } from "../../src/engine/train.js";
import { TRANSFER_FIELDS, transferRequests } from "../helpers/transfer-requests.js";

describe("trainStructuredSpecialist", () => {
  const train = transferRequests(600, 1);
  const test = transferRequests(200, 2);
  const model = trainStructuredSpecialist(TRANSFER_FIELDS, train);

  it("predicts whole objects of unseen requests, values copied from the text with their spans", () => {
    let exact = 0;
    for (const t of test) if (model.predict(t.text).label === canonicalAnswer(TRANSFER_FIELDS, t.object)) exact++;
    expect(exact / test.length).toBeGreaterThan(0.9);
    const p = model.predict("please transfer 75 pounds to Greta asap");
    expect(p.object).toEqual({ intent: "send_money", amount: "75", currency: "GBP", recipient: "Greta", urgent: true });
    expect(p.fields.recipient.spans).toEqual([expect.objectContaining({ start: 29, end: 34, text: "Greta", label: "recipient" })]);
  });

  it("gives the object the product of its fields' probabilities, so confident objects are mostly right", () => {
    const p = model.predict("send 12 euros to Anna");
    const product = Object.values(p.fields).reduce((a, f) => a * f.confidence, 1);
    expect(p.confidence).toBeLessThanOrEqual(product + 1e-12);
    expect(p.confidence).toBeGreaterThan(0);
    // The most confident half of the test objects is more often exactly right than the rest.
    const scored = test.map((t) => {
      const q = model.predict(t.text);
      return { c: q.confidence, ok: q.label === canonicalAnswer(TRANSFER_FIELDS, t.object) };
    });
    scored.sort((a, b) => b.c - a.c);
    const acc = (xs: typeof scored) => xs.filter((x) => x.ok).length / xs.length;
    expect(acc(scored.slice(0, 100))).toBeGreaterThanOrEqual(acc(scored.slice(100)));
  });

  it("featurises a text once for all its field classifiers, which predict what each would alone", () => {
    const classifiers = [...model.parts.choices.values()].flatMap((m) => ("classifier" in m ? [m.classifier] : []));
    expect(classifiers.length).toBeGreaterThanOrEqual(2);
    for (const c of classifiers) expect(c.featurizer).toBe(classifiers[0].featurizer);
    // Each classifier on a featurizer of its own (decoded from its own file) gives the same predictions,
    // whichever order the fields read the texts in.
    const alone = classifiers.map((c) => decodeModel(encodeModel(c)));
    for (const t of test.slice(0, 40)) {
      const p = model.predict(t.text);
      for (const [i, f] of ["intent", "currency", "urgent"].entries()) expect(p.fields[f].confidence).toBe(alone[i].predict(t.text).confidence);
      expect(classifiers[1].predict(t.text)).toEqual(alone[1].predict(t.text));
      expect(classifiers[0].predict(t.text)).toEqual(alone[0].predict(t.text));
    }
  });

  it("knows the choices it was trained on and no others", () => {
    const known = canonicalAnswer(TRANSFER_FIELDS, { intent: "send_money", amount: "5", currency: "EUR", recipient: "Zed", urgent: false });
    expect(model.knows(known)).toBe(true);
    expect(model.knows(known.replace("send_money", "close_account"))).toBe(false);
  });

  it("predicts a field that never varied as a constant, short of certain", () => {
    const fields: OutputField[] = [...TRANSFER_FIELDS, { name: "channel", kind: "choice", values: ["app", "web"] }];
    const m = trainStructuredSpecialist(fields, train.slice(0, 200).map((t) => ({ text: t.text, object: { ...t.object, channel: "app" } })));
    const p = m.predict("send 3 dollars to Bob");
    expect(p.object.channel).toBe("app");
    expect(p.fields.channel.confidence).toBeCloseTo(201 / 202, 10);
  });

  it("learns tags with the multi-label classifier", () => {
    const fields: OutputField[] = [{ name: "flags", kind: "tags", values: ["big", "foreign"] }];
    const examples = train.map((t) => ({ text: t.text, object: { flags: [...(Number(t.object.amount) > 1000 ? ["big"] : []), ...(t.object.currency === "USD" ? ["foreign"] : [])] } }));
    const m = trainStructuredSpecialist(fields, examples);
    expect(m.predict("send 20 dollars to Ines").object.flags).toContain("foreign");
  });

  it("refuses too few examples with a TrainingError", () => {
    expect(() => trainStructuredSpecialist(TRANSFER_FIELDS, train.slice(0, 1))).toThrow(TrainingError);
  });
});

describe("locateSpans", () => {
  const fields: OutputField[] = [
    { name: "from", kind: "extract" },
    { name: "to", kind: "extract" },
  ];

  it("places a repeated value at its next occurrence, in text order", () => {
    expect(locateSpans({ text: "from Paris to Paris", object: { from: "Paris", to: "Paris" } }, fields)).toEqual([
      { start: 5, end: 10, label: "from" },
      { start: 14, end: 19, label: "to" },
    ]);
  });

  it("is null when a value is not in the text (never guessed)", () => {
    expect(locateSpans({ text: "from Paris to Rome", object: { from: "Paris", to: "Berlin" } }, fields)).toBeNull();
  });
});
