import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { tokenize, tokenizeWithOffsets } from "../../src/engine/tokenizer.js";
import { tokenizeForSpans, TEMPLATE_COUNT } from "../../src/engine/span-features.js";

const slices = (text: string, punctuation: boolean) => {
  const t = tokenizeWithOffsets(text, punctuation);
  return Array.from(t.starts, (s, i) => text.slice(s, t.ends[i]));
};

// Characters that stress offsets: astral letters and emoji (two UTF-16 units), combining marks,
// a compatibility ligature NFKC expands, typographic apostrophes, spaces and punctuation.
const pieces = ["a", "B", "7", " ", "  ", ".", "'", "’", "-", "$", "𝒳", "😀", "e\u0301", "ﬁ", "é", "中文", "x"];
const texts = fc.array(fc.constantFrom(...pieces), { maxLength: 30 }).map((p) => p.join(""));

describe("tokenizeWithOffsets", () => {
  it("gives offsets whose slices are the raw tokens, astral characters and combining marks included", () => {
    expect(slices("Café 𝒳yz naïve", false)).toEqual(["Café", "𝒳yz", "naïve"]);
    expect(slices("cafe\u0301 😀!", true)).toEqual(["cafe\u0301", "😀", "!"]);
    // NFKC turns "ﬁ" into "fi": the token is normalised, the offsets still point at the original.
    const t = tokenizeWithOffsets("the ﬁle", false);
    expect(t.tokens).toEqual(["the", "file"]);
    expect("the ﬁle".slice(t.starts[1], t.ends[1])).toBe("ﬁle");
  });

  it("splits possessives and punctuation into their own tokens in punctuation mode", () => {
    expect(slices("Kasey Chambers's tune, $5.", true)).toEqual(["Kasey", "Chambers", "'", "s", "tune", ",", "$", "5", "."]);
  });

  it("agrees with the classifier's tokens without punctuation", () => {
    fc.assert(
      fc.property(texts, (text) => {
        // NFKC can merge or split characters, so compare on text it leaves alone.
        fc.pre(text.normalize("NFKC") === text);
        expect(tokenizeWithOffsets(text, false).tokens).toEqual(tokenize(text));
      }),
    );
  });

  it("always yields ordered, non-overlapping, non-blank slices that never cut a surrogate pair", () => {
    fc.assert(
      fc.property(texts, fc.boolean(), (text, punctuation) => {
        const t = tokenizeWithOffsets(text, punctuation);
        let last = 0;
        for (let i = 0; i < t.tokens.length; i++) {
          expect(t.starts[i]).toBeGreaterThanOrEqual(last);
          expect(t.ends[i]).toBeGreaterThan(t.starts[i]);
          const piece = text.slice(t.starts[i], t.ends[i]);
          expect(piece.trim()).toBe(piece);
          // No lone surrogate at either end: a cut astral character would leave one.
          expect(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/.test(piece)).toBe(false);
          last = t.ends[i];
        }
      }),
    );
  });

  it("writes a fixed number of feature values per token, the same for the same text", () => {
    const a = tokenizeForSpans("Book a table in São Paulo");
    expect(a.features.length).toBe(a.tokens.length * TEMPLATE_COUNT);
    expect(Array.from(tokenizeForSpans("Book a table in São Paulo").features)).toEqual(Array.from(a.features));
    expect(Array.from(a.features).every((v) => v >= 0)).toBe(true);
  });
});
