import { describe, expect, it } from "vitest";
import { canonicalAnswer, fieldDifferences, locateValue, parseCanonical } from "../../src/engine/structured-answer.js";
import { structuredAnswerKey } from "../../src/teacher/sim-structured-key.js";
import { SimulatedTeacher } from "../../src/teacher/simulated-teacher.js";
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
