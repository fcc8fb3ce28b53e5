import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { JsonObjectError, JsonObjectStream } from "../../src/data/json-object-stream.js";

/** Parses `text` pushed in pieces cut at `cuts` (positions, any order). */
function parseInPieces(text: string, cuts: number[]): Record<string, unknown> {
  const stream = new JsonObjectStream();
  let last = 0;
  for (const cut of [...new Set(cuts.map((c) => Math.min(c, text.length)))].sort((a, b) => a - b)) {
    stream.push(text.slice(last, cut));
    last = cut;
  }
  stream.push(text.slice(last));
  return stream.end();
}

function errorOf(text: string, cuts: number[] = []): JsonObjectError {
  try {
    parseInPieces(text, cuts);
  } catch (err) {
    if (err instanceof JsonObjectError) return err;
    throw err;
  }
  throw new Error(`no error for ${text}`);
}

// Keys other than the refused ones; strings with quotes, backslashes and astral characters.
const key = fc.string({ unit: "grapheme" }).filter((k) => k !== "__proto__" && k !== "constructor");
const jsonObject = fc.dictionary(key, fc.oneof(fc.jsonValue(), fc.array(fc.jsonValue()), fc.array(fc.string({ unit: "binary" }))));

describe("JsonObjectStream", () => {
  it("gives what JSON.parse gives, however the text is cut and spaced", () => {
    fc.assert(
      fc.property(jsonObject, fc.array(fc.nat()), fc.boolean(), (object, cuts, pretty) => {
        const text = JSON.stringify(object, null, pretty ? 2 : undefined);
        // fc.jsonValue() nests objects whose keys may be the refused ones (tested below).
        fc.pre(!/"(__proto__|constructor)"\s*:/.test(text));
        expect(parseInPieces(text, cuts)).toEqual(JSON.parse(text));
      }),
      { numRuns: 300 },
    );
  });

  it("reads escaped quotes and backslashes cut between chunks", () => {
    const text = JSON.stringify({ inputs: ['a\\"b', "c\\\\", '"', "x\\"], route: "auto" });
    for (let cut = 0; cut <= text.length; cut++) expect(parseInPieces(text, [cut])).toEqual(JSON.parse(text));
  });

  it("names the position of a syntax error", () => {
    expect(errorOf('{"inputs": ["a", "b" "c"]}').message).toBe('invalid JSON at character 21: expected "," or "]" after an array item, found "\\""');
    expect(errorOf('{"a": tru}').position).toBe(6);
    expect(errorOf('{"a": 1,}').message).toMatch(/character 8: expected a member name/);
    expect(errorOf('{"a": 1} x').message).toMatch(/character 9: unexpected "x" after the object's end/);
  });

  it("refuses what is not one whole object", () => {
    expect(errorOf("").message).toMatch(/the body is empty/);
    expect(errorOf("  \n").message).toMatch(/the body is empty/);
    expect(errorOf('["a"]').message).toMatch(/must be a JSON object, it starts with "\["/);
    expect(errorOf('{"inputs": ["a", "b"').message).toMatch(/never closed/);
    expect(errorOf('{"input": "abc', [5, 12]).message).toMatch(/inside a string/);
    expect(errorOf('{"a": {"b": [1, 2}').message).toMatch(/inside a value|never closed|character/);
  });

  it("refuses prototype-poisoning keys at any depth", () => {
    expect(errorOf('{"__proto__": {"x": 1}}').message).toMatch(/"__proto__" is not allowed/);
    expect(errorOf('{"inputs": [{"__proto__": {"x": 1}}]}').message).toMatch(/"__proto__" is not allowed/);
    expect(errorOf('{"constructor": {"prototype": {"x": 1}}}').message).toMatch(/"constructor" is not allowed/);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    // A string that merely says "__proto__" is data.
    expect(parseInPieces('{"inputs": ["__proto__"]}', [3])).toEqual({ inputs: ["__proto__"] });
  });

  it("counts positions from the body's start after parsed text is dropped", () => {
    const stream = new JsonObjectStream();
    stream.push('{"inputs": [');
    for (let i = 0; i < 1000; i++) stream.push(`${i === 0 ? "" : ","}"${"x".repeat(1000)}"`);
    stream.push("]}");
    expect((stream.end().inputs as string[]).length).toBe(1000);
    const bad = new JsonObjectStream();
    bad.push(`{"a": "${"y".repeat(5000)}", `);
    // 7 characters before the string, 5,000 in it, then '", ': the "}" is at 5,010.
    expect(() => bad.push("}")).toThrow(/character 5010: expected a member name/);
  });
});
