import { describe, expect, it } from "vitest";
import { normalizeText, tokenize } from "../../src/engine/tokenizer.js";

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
