import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseLabel } from "../../src/teacher/parse.js";

const labels = ["billing", "bug", "card_arrival", "card arrival delay", "other"];

describe("parseLabel", () => {
  it.each([
    ['{"label": "bug"}', "bug"],
    ['  {"label":"billing"}\n', "billing"],
    ['```json\n{"label": "other"}\n```', "other"],
    ['```\n{"label": "other"}\n```', "other"],
    ['The answer is {"label": "card_arrival"} because it is about a card.', "card_arrival"],
    ['Thinking {not json}. Final: {"label": "bug"}', "bug"],
    ['{"label": "bug", "confidence": 0.9}', "bug"],
    ['{"label": "bug"} {"label": "bug"}', "bug"],
    ['{"label": " Bug "}', "bug"],
    ["bug", "bug"],
    ["  Bug.  ", "bug"],
    ['"billing"', "billing"],
    ["`billing`", "billing"],
    ["```billing```", "billing"],
    ["\u201cother\u201d", "other"],
    ["'card arrival delay'.", "card arrival delay"],
    ["CARD_ARRIVAL", "card_arrival"],
  ])("%j → %s", (content, label) => {
    expect(parseLabel(content, labels)).toEqual({ label });
  });

  it.each([
    ["", "empty answer"],
    ["   ", "empty answer"],
    ['{"label": "refund"}', 'label "refund" is not one of the 5 answers offered'],
    ['{"label": "bugs"}', 'label "bugs" is not one of the 5 answers offered'],
    ["card arrival", 'answer "card arrival" is not one of the 5 answers offered'],
    ["I think it is billing", 'answer "I think it is billing" is not one of the 5 answers offered'],
    ['{"label": 3}', '"label" is a number, not a string'],
    ['{"label": null}', '"label" is null, not a string'],
    ['{"category": "bug"}', 'JSON answer has no "label" field'],
    ['{"label": "bug"} or maybe {"label": "billing"}', 'answer names several labels: "bug", "billing"'],
  ])("%j is invalid", (content, reason) => {
    expect(parseLabel(content, labels)).toEqual({ invalid: reason });
  });

  it("never guesses between labels that differ only in case", () => {
    const cased = ["Bug", "bug", "other"];
    expect(parseLabel("Bug", cased)).toEqual({ label: "Bug" });
    expect(parseLabel("BUG", cased)).toEqual({ invalid: 'answer "BUG" matches several labels when case is ignored' });
  });

  it("keeps an exact label that itself ends with a period or looks like braces", () => {
    expect(parseLabel("Inc.", ["Inc.", "Ltd"])).toEqual({ label: "Inc." });
    expect(parseLabel("{x}", ["{x}", "y"])).toEqual({ label: "{x}" });
  });

  it("keeps reasons on one line and short", () => {
    const r = parseLabel(`line one\nline two ${"z".repeat(500)}`, labels);
    expect("invalid" in r && r.invalid).toMatch(/^[^\n]{1,160}$/);
  });

  it("only ever returns a label from the set, and finds every label in its usual wrappings", () => {
    const labelArb = fc.constantFrom(...labels);
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (content) => {
        const r = parseLabel(content, labels);
        if ("label" in r) expect(labels).toContain(r.label);
      }),
    );
    fc.assert(
      fc.property(labelArb, fc.constantFrom("json", "bare", "fence", "prose", "quoted"), (label, form) => {
        const content = {
          json: JSON.stringify({ label }),
          bare: label,
          fence: "```json\n" + JSON.stringify({ label }) + "\n```",
          prose: `Answer: ${JSON.stringify({ label })} — done.`,
          quoted: `"${label}".`,
        }[form];
        expect(parseLabel(content, labels)).toEqual({ label });
      }),
    );
  });
});
