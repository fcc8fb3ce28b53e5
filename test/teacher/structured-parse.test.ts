import { describe, expect, it } from "vitest";
import { outputFields } from "../../src/task/structured.js";
import { parseStructuredAnswer } from "../../src/teacher/structured-parse.js";
import { invoiceTask } from "./helpers.js";

const fields = outputFields(invoiceTask());
const TEXT = "Please refund  EUR 40 to Anna Berg and Tom by card.";
const valid = { intent: "refund", urgent: false, topics: ["card"], amount: "eur 40", people: ["anna   berg", "Tom"], note: null };
const parse = (object: unknown, text = TEXT) => parseStructuredAnswer(typeof object === "string" ? object : JSON.stringify(object), text, fields);

describe("parseStructuredAnswer", () => {
  it("returns the canonical JSON, with each extracted value replaced by the input's own characters", () => {
    const result = parse(valid);
    expect(result).toEqual({
      label: '{"intent":"refund","urgent":false,"topics":["card"],"amount":"EUR 40","people":["Anna Berg","Tom"],"note":null}',
      object: { intent: "refund", urgent: false, topics: ["card"], amount: "EUR 40", people: ["Anna Berg", "Tom"], note: null },
    });
  });

  it("finds the object inside a fence or prose, and takes a repeated identical object", () => {
    const expected = parse(valid);
    expect(parse("```json\n" + JSON.stringify(valid, null, 2) + "\n```")).toEqual(expected);
    expect(parse(`Here is the answer: ${JSON.stringify(valid)} Hope that helps!`)).toEqual(expected);
    expect(parse(`${JSON.stringify(valid)}\n${JSON.stringify(valid)}`)).toEqual(expected);
  });

  it("refuses a value that is not in the input, naming the field and the value", () => {
    expect(parse({ ...valid, amount: "40 euros" })).toEqual({ invalid: 'field amount: "40 euros" does not occur in the input' });
    expect(parse({ ...valid, people: ["Anna Berg", "Bob"] })).toEqual({ invalid: 'field people: "Bob" does not occur in the input' });
    expect(parse({ ...valid, amount: " " })).toMatchObject({ invalid: expect.stringContaining("field amount: an empty string") });
  });

  it("refuses values outside a field's kind, naming the field", () => {
    expect(parse({ ...valid, intent: "Refund" })).toEqual({ invalid: 'field intent: "Refund" is not one of its values' });
    expect(parse({ ...valid, urgent: "yes" })).toEqual({ invalid: 'field urgent: "yes" is not true or false' });
    expect(parse({ ...valid, topics: ["card", "cash"] })).toEqual({ invalid: 'field topics: "cash" is not one of its values' });
    expect(parse({ ...valid, topics: "card" })).toEqual({ invalid: 'field topics: "card" is not a list' });
    expect(parse({ ...valid, note: 3 })).toEqual({ invalid: "field note: 3 is not a string" });
    expect(parse({ ...valid, intent: null })).toEqual({ invalid: "field intent: is null, but it may not be absent" });
  });

  it("refuses missing fields and fields the task does not have, listing every problem", () => {
    const { intent: _intent, urgent: _urgent, ...rest } = valid;
    expect(parse(rest)).toEqual({ invalid: "field intent: missing; field urgent: missing" });
    expect(parse({ ...valid, intnet: "pay" })).toEqual({ invalid: '"intnet" is not a field of the task' });
  });

  it("accepts null for absent values and for empty lists", () => {
    const result = parse({ ...valid, amount: null, people: null, topics: [] });
    expect("label" in result && JSON.parse(result.label)).toMatchObject({ amount: null, people: [], topics: [] });
  });

  it("refuses content that is not one JSON object", () => {
    expect(parse("refund")).toEqual({ invalid: "answer holds no JSON object" });
    expect(parse('{"intent": "refund"')).toEqual({ invalid: "answer holds no JSON object" });
    expect(parse(" ")).toEqual({ invalid: "empty answer" });
    expect(parse(`${JSON.stringify(valid)} ${JSON.stringify({ ...valid, intent: "pay" })}`)).toEqual({ invalid: "answer holds several different JSON objects" });
  });
});
