import { describe, expect, it } from "vitest";
import { canonicalAnswer, fieldDifferences, locateValue, parseCanonical } from "../../src/engine/structured-answer.js";
import { NONE_LABEL } from "../../src/task/definition.js";
import { offeringNone } from "../../src/task/output-fields.js";
import { structuredAnswerKey } from "../../src/teacher/sim-structured-key.js";
import { SimulatedTeacher } from "../../src/teacher/simulated-teacher.js";
import { topicTexts } from "../cascade/fixtures.js";
import { TRANSFER_FIELDS, transferRequests } from "../helpers/transfer-requests.js";

const gold = transferRequests(1000, 3);
const distinct = new Set(gold.map((g) => g.text)).size;

describe("structuredAnswerKey", () => {
  const key = structuredAnswerKey({ fields: TRANSFER_FIELDS, gold, accuracy: 0.8, seed: 5 });

  it("gets exactly the set share of distinct texts wrong, each in one field", () => {
    expect(key.mistakes).toBe(Math.round(0.2 * distinct));
    let wrong = 0;
    for (const [text, answer] of key.answers) {
      const diff = fieldDifferences(TRANSFER_FIELDS, parseCanonical(answer), parseCanonical(key.gold.get(text)!));
      if (diff.length > 0) wrong++;
      expect(diff.length).toBeLessThanOrEqual(1);
    }
    expect(wrong).toBe(key.mistakes);
  });

  it("makes every kind of mistake an LLM makes, and a shifted boundary stays in the text", () => {
    expect(new Set(key.kinds.values())).toEqual(new Set(["missed_value", "boundary", "confused_choice"]));
    for (const [text, kind] of key.kinds) {
      if (kind !== "boundary") continue;
      const a = parseCanonical(key.answers.get(text)!);
      for (const f of ["amount", "recipient"]) if (typeof a[f] === "string") expect(locateValue(text, a[f] as string)).not.toBeNull();
    }
  });

  it("puts the mistakes on the harder texts: those with values to copy, not the plain balance questions", () => {
    const wrongBalance = [...key.kinds.keys()].filter((t) => parseCanonical(key.gold.get(t)!).intent === "check_balance").length;
    const balanceShare = gold.filter((g) => g.object.intent === "check_balance").length / gold.length;
    expect(wrongBalance / key.mistakes).toBeLessThan(balanceShare / 2);
  });

  it("answers the same whatever the order of the gold set, and differently for another seed", () => {
    const reversed = structuredAnswerKey({ fields: TRANSFER_FIELDS, gold: [...gold].reverse(), accuracy: 0.8, seed: 5 });
    expect([...reversed.answers].sort()).toEqual([...key.answers].sort());
    const other = structuredAnswerKey({ fields: TRANSFER_FIELDS, gold, accuracy: 0.8, seed: 6 });
    expect([...other.answers].sort()).not.toEqual([...key.answers].sort());
  });

  it("is the answer of a simulated teacher given the key", async () => {
    const teacher = new SimulatedTeacher({ key });
    const t = gold[0];
    const a = await teacher.classify(t.text);
    expect(a.status).toBe("ok");
    expect(a.label).toBe(key.answers.get(t.text));
    expect(JSON.parse(a.label!)).toHaveProperty("intent");
    expect(canonicalAnswer(TRANSFER_FIELDS, JSON.parse(a.label!))).toBe(a.label);
    expect((await teacher.classify("a text it never saw")).status).toBe("error");
  });

  it("refuses an accuracy outside [0, 1]", () => {
    expect(() => structuredAnswerKey({ fields: TRANSFER_FIELDS, gold, accuracy: 1.5 })).toThrow(/accuracy/);
  });
});

describe("structuredAnswerKey with out-of-scope texts", () => {
  const FIELDS = offeringNone(TRANSFER_FIELDS);
  const inScope = transferRequests(600, 9);
  const nothing = { amount: null, currency: null, recipient: null, urgent: false };
  // Messages about something else entirely (their intent is no value of the field), and transfers of a kind the task lacks.
  const weather = topicTexts(300, 10).map((e) => ({ text: e.text, object: { intent: "weather_question", ...nothing } }));
  const postcards = ["Anna", "Bob", "Greta", "Hugo", "Ines"].flatMap((name, i) => [
    { text: `send a postcard to ${name} ${i}`, object: { intent: "send_postcard", ...nothing } },
    { text: `ask ${name} for the postcard ${i}`, object: { intent: "request_postcard", ...nothing } },
  ]);
  const intentOf = (key: { answers: Map<string, string> }, text: string) => parseCanonical(key.answers.get(text)!).intent;

  it("answers none of these in the field for a set share of them, the gold being none", () => {
    const key = structuredAnswerKey({ fields: FIELDS, gold: [...inScope, ...weather], accuracy: 1, outOfScope: { rate: 0.6 } });
    const nones = weather.filter((w) => intentOf(key, w.text) === NONE_LABEL).length;
    expect(nones / weather.length).toBeGreaterThan(0.5);
    expect(nones / weather.length).toBeLessThan(0.7);
    for (const w of weather) {
      expect(parseCanonical(key.gold.get(w.text)!).intent).toBe(NONE_LABEL);
      expect([NONE_LABEL, ...TRANSFER_FIELDS[0].values!]).toContain(intentOf(key, w.text));
    }
    // The same texts, the same answers whatever the order.
    const again = structuredAnswerKey({ fields: FIELDS, gold: [...weather, ...inScope].reverse(), accuracy: 1, outOfScope: { rate: 0.6 } });
    expect([...again.answers].sort()).toEqual([...key.answers].sort());
    expect(structuredAnswerKey({ fields: FIELDS, gold: weather, accuracy: 1, outOfScope: { rate: 1 } }).answers.get(weather[0].text)).toBe(key.gold.get(weather[0].text));
  });

  it("otherwise answers the value whose texts the message reads most like, as a model forced to choose", () => {
    const key = structuredAnswerKey({ fields: FIELDS, gold: [...inScope, ...postcards], accuracy: 1, outOfScope: { rate: 0 } });
    const sent = postcards.filter((p) => p.object.intent === "send_postcard");
    const asked = postcards.filter((p) => p.object.intent === "request_postcard");
    expect(sent.filter((p) => intentOf(key, p.text) === "send_money").length).toBeGreaterThanOrEqual(4);
    expect(asked.filter((p) => intentOf(key, p.text) === "request_money").length).toBeGreaterThanOrEqual(4);
    // A field that does not offer none (a captured task's) always gets the nearest value.
    const forced = structuredAnswerKey({ fields: TRANSFER_FIELDS, gold: [...inScope, ...weather], accuracy: 1, outOfScope: { rate: 1 } });
    expect(weather.every((w) => TRANSFER_FIELDS[0].values!.includes(intentOf(forced, w.text) as string))).toBe(true);
  });

  it("takes a gold none_of_these as out of scope too, and counts accuracy on in-scope texts only", () => {
    const saidNone = weather.map((w) => ({ text: w.text, object: { ...w.object, intent: NONE_LABEL } }));
    const key = structuredAnswerKey({ fields: FIELDS, gold: [...inScope, ...saidNone], accuracy: 0.8, seed: 5, outOfScope: { rate: 0.6 } });
    const distinctInScope = new Set(inScope.map((g) => g.text)).size;
    expect(key.mistakes).toBe(Math.round(0.2 * distinctInScope));
    expect(weather.some((w) => key.kinds.has(w.text))).toBe(false);
    // The in-scope texts get exactly the answers a key without out-of-scope texts gives them.
    const plain = structuredAnswerKey({ fields: FIELDS, gold: inScope, accuracy: 0.8, seed: 5 });
    for (const g of inScope) expect(key.answers.get(g.text)).toBe(plain.answers.get(g.text));
    expect(() => structuredAnswerKey({ fields: FIELDS, gold: inScope, accuracy: 1, outOfScope: { rate: 2 } })).toThrow(/outOfScope\.rate/);
  });
});
