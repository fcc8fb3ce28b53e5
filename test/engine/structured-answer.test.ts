import { describe, expect, it } from "vitest";
import { canonicalAnswer, fieldDifferences, learnableFields, locateValue, parseCanonical, type OutputField } from "../../src/engine/structured-answer.js";

const FIELDS: OutputField[] = [
  { name: "intent", kind: "choice", values: ["send", "ask"] },
  { name: "tags", kind: "tags", values: ["urgent", "abroad"] },
  { name: "recipient", kind: "extract" },
  { name: "amounts", kind: "extract_list" },
  { name: "urgent", kind: "boolean" },
  { name: "note", kind: "teacher_only" },
];

describe("canonicalAnswer", () => {
  it("orders keys as the fields, fills absent fields, sorts and dedups sets, drops unknown keys", () => {
    const a = canonicalAnswer(FIELDS, { urgent: true, extra: 1, tags: ["urgent", "abroad", "urgent"], intent: "send", amounts: ["50", "20"] });
    expect(a).toBe('{"intent":"send","tags":["abroad","urgent"],"recipient":null,"amounts":["20","50"],"urgent":true,"note":null}');
    expect(parseCanonical(a).tags).toEqual(["abroad", "urgent"]);
  });

  it("gives two answers one form exactly when they agree in every field", () => {
    const a = { intent: "send", recipient: "Anna", amounts: ["50"], tags: [] };
    expect(canonicalAnswer(FIELDS, a)).toBe(canonicalAnswer(FIELDS, { ...a, tags: undefined, urgent: null }));
    expect(canonicalAnswer(FIELDS, a)).not.toBe(canonicalAnswer(FIELDS, { ...a, recipient: "anna" }));
    expect(fieldDifferences(FIELDS, a, { ...a, recipient: "Bob", intent: "ask" })).toEqual(["intent", "recipient"]);
    expect(fieldDifferences(FIELDS, a, { ...a, amounts: ["50", "50"] })).toEqual([]);
  });

  it("leaves teacher-only fields out of what a specialist learns", () => {
    expect(learnableFields(FIELDS).map((f) => f.name)).toEqual(["intent", "tags", "recipient", "amounts", "urgent"]);
  });
});

describe("locateValue", () => {
  it("finds a value ignoring case and runs of whitespace, giving the text's own offsets", () => {
    const text = "Please send 50  EUR to Anna";
    const at = locateValue(text, "50 eur");
    expect(at).toEqual({ start: 12, end: 19 });
    expect(text.slice(at!.start, at!.end)).toBe("50  EUR");
  });

  it("prefers a whole-word occurrence over one inside a word", () => {
    const text = "book a table serving bakery in Woodsfield VI";
    const at = locateValue(text, "VI")!;
    expect(text.slice(at.start, at.end)).toBe("VI");
    expect(at.start).toBe(text.length - 2);
    // Inside a word only when there is nothing else.
    expect(locateValue("serving", "vi")).toEqual({ start: 3, end: 5 });
  });

  it("prefers the occurrence written exactly as the value over an earlier one in another case", () => {
    const text = "Include When I Paint My Masterpiece in my Acoustic Spring playlist.";
    expect(locateValue(text, "my")).toEqual({ start: text.indexOf(" my ") + 1, end: text.indexOf(" my ") + 3 });
    expect(locateValue(text, "My")).toEqual({ start: text.indexOf("My"), end: text.indexOf("My") + 2 });
    // No exact one: the first whole-word occurrence in any case, as before.
    expect(locateValue(text, "MY")).toEqual({ start: text.indexOf("My"), end: text.indexOf("My") + 2 });
  });

  it("searches from an offset, and returns null for a value not in the text or empty", () => {
    expect(locateValue("50 and 50", "50", 1)).toEqual({ start: 7, end: 9 });
    expect(locateValue("send money", "Anna")).toBeNull();
    expect(locateValue("send money", "   ")).toBeNull();
  });
});
