import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { IntBuffer } from "../../src/engine/int-buffer.js";
import { normalizeText, scanTokens, scanTokensWithPattern, tokenize } from "../../src/engine/tokenizer.js";

describe("tokenize", () => {
  it("lower-cases and splits on punctuation", () => {
    expect(tokenize("Where is MY card?! (ordered 2 weeks ago)")).toEqual(["where", "is", "my", "card", "ordered", "2", "weeks", "ago"]);
  });

  it("keeps inner apostrophes, including typographic ones", () => {
    expect(tokenize("I haven't got it, it’s late")).toEqual(["i", "haven't", "got", "it", "it's", "late"]);
    expect(tokenize("'quoted' words")).toEqual(["quoted", "words"]);
  });

  it("keeps digits and mixed alphanumerics together", () => {
    expect(tokenize("Top-up of £20.50 failed, ref AB12")).toEqual(["top", "up", "of", "20", "50", "failed", "ref", "ab12"]);
  });

  it("makes each emoji a token", () => {
    expect(tokenize("card lost😡😡 help")).toEqual(["card", "lost", "😡", "😡", "help"]);
  });

  it("handles non-Latin scripts", () => {
    expect(tokenize("Где моя карта?")).toEqual(["где", "моя", "карта"]);
    expect(tokenize("我的卡在哪里")).toEqual(["我的卡在哪里"]);
    expect(tokenize("مرحبا بك")).toEqual(["مرحبا", "بك"]);
  });

  it("applies NFKC so compatibility forms match their plain forms", () => {
    expect(normalizeText("ｃａｒｄ ①")).toBe("card 1");
    expect(tokenize("ﬁnance")).toEqual(["finance"]);
    // Composed and decomposed accents give the same token.
    expect(tokenize("cafe\u0301")).toEqual(tokenize("caf\u00e9"));
  });

  it("returns nothing for text without letters or digits", () => {
    expect(tokenize("?!... ---")).toEqual([]);
    expect(tokenize("")).toEqual([]);
  });
});

describe("ASCII fast path", () => {
  it("finds exactly the tokens the general pattern finds", () => {
    const fast = new IntBuffer();
    const slow = new IntBuffer();
    const ascii = fc.string({ unit: fc.constantFrom(..."ab'Z09 -'.?!`_\t\n".split("")), maxLength: 60 });
    fc.assert(
      fc.property(fc.oneof(ascii, fc.string({ unit: "grapheme-ascii", maxLength: 60 })), (s) => {
        const t = normalizeText(s);
        scanTokens(t, fast);
        scanTokensWithPattern(t, slow);
        expect([...fast.data.subarray(0, fast.length)]).toEqual([...slow.data.subarray(0, slow.length)]);
      }),
      { numRuns: 2000 },
    );
  });
});
