import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { combine, fmix32, hashRange } from "../../src/engine/hash.js";
import { DEFAULT_FEATURIZER_CONFIG, Featurizer, FeaturizerError, NgramHasher } from "../../src/engine/featurizer.js";

// Golden values: a change here changes every model's features, so it must be deliberate (and
// bump the model format). They are computed with integer arithmetic only, identical in browsers.
describe("hashing golden vectors", () => {
  it("hashes strings and combinations to fixed values", () => {
    expect(hashRange("card", 0, 4, 0) >>> 0).toBe(1264347829);
    expect(hashRange("карта", 0, 5, 0) >>> 0).toBe(2294080984);
    expect(hashRange("😡", 0, 2, 7) >>> 0).toBe(137050497);
    expect(combine(1, 2, 3) >>> 0).toBe(2242368537);
    expect(fmix32(12345) >>> 0).toBe(1011272156);
  });

  it("maps a text to fixed word and character n-gram buckets", () => {
    const h = new NgramHasher({ ...DEFAULT_FEATURIZER_CONFIG, dimensions: 1 << 16 });
    h.hash("My card!");
    // my, card, "my card"
    expect([...h.words.data.subarray(0, h.words.length)]).toEqual([49055, 8018, 48640]);
    // " my ": 3 bigrams + 2 trigrams + 1 four-gram; " card ": 5 + 4 + 3 + 2.
    expect([...h.chars.data.subarray(0, h.chars.length)]).toEqual([
      8583, 52255, 60656, 21659, 43105, 4903, 50186, 59951, 55601, 44126, 28371, 54114, 40494, 47788, 9980, 16625, 29023, 8972, 37525,
      61205,
    ]);
  });
});

const CORPUS = ["my card is lost", "my card has not arrived", "change my pin", "what is the exchange rate"];

describe("Featurizer", () => {
  const f = Featurizer.fit(CORPUS, { dimensions: 1 << 16, minDfChar: 1 });

  it("produces a fixed vector for a fixed vocabulary (golden)", () => {
    const v = f.transform("my card is late");
    expect([...v.indices]).toEqual([
      2, 11, 21, 23, 25, 27, 41, 49, 51, 58, 65, 67, 68, 69, 72, 78, 89, 100, 107, 113, 122, 123, 129, 131, 132, 136, 138, 139, 140, 142, 149,
      157, 158, 165, 166, 167, 170, 172,
    ]);
    expect(v.values[0]).toBeCloseTo(0.12145359, 6);
    expect(v.values[2]).toBeCloseTo(0.30819017, 6);
    expect(v.values[21]).toBeCloseTo(0.39090016, 6);
  });

  it("returns sorted unique rows with unit L2 norm", () => {
    for (const text of [...CORPUS, "card card card lost lost", "MY CARD!!"]) {
      const v = f.transform(text);
      for (let i = 1; i < v.indices.length; i++) expect(v.indices[i]).toBeGreaterThan(v.indices[i - 1]);
      const norm = Math.hypot(...v.values);
      expect(norm).toBeCloseTo(1, 5);
    }
  });

  it("gives an empty vector and unknown share 1 for text made of nothing it learned", () => {
    const v = f.transform("zzzz qqqq");
    expect(v.indices.length).toBe(0);
    expect(f.unknownShare("zzzz qqqq")).toBe(1);
    expect(f.unknownShare("my card is lost")).toBe(0);
  });

  it("is case- and width-insensitive", () => {
    expect(f.transform("MY CARD")).toEqual(f.transform("my card"));
    expect(f.transform("ｍｙ ｃａｒｄ")).toEqual(f.transform("my card"));
  });

  it("weighs repeated n-grams sublinearly", () => {
    const once = f.transform("lost");
    const many = f.transform("lost lost lost lost");
    // Same features; repetition changes nothing after sublinear TF and normalisation of a single word.
    expect([...many.indices]).toEqual([...once.indices]);
  });

  it("drops character n-grams seen in fewer than minDfChar texts", () => {
    const strict = Featurizer.fit(CORPUS, { dimensions: 1 << 16, minDfChar: 2, minDfWord: 99 });
    const loose = Featurizer.fit(CORPUS, { dimensions: 1 << 16, minDfChar: 1, minDfWord: 99 });
    expect(strict.featureCount).toBeLessThan(loose.featureCount);
    expect(strict.featureCount).toBeGreaterThan(0);
  });

  it("rejects invalid settings with a message naming the setting", () => {
    expect(() => Featurizer.fit(CORPUS, { dimensions: 3 })).toThrow(/dimensions/);
    expect(() => Featurizer.fit(CORPUS, { dimensions: 1000 })).toThrow(/power of two/);
    expect(() => Featurizer.fit(CORPUS, { charMinN: 4, charMaxN: 2 })).toThrow(FeaturizerError);
  });

  it("is deterministic and never throws on arbitrary Unicode", () => {
    const g = Featurizer.fit(CORPUS, { dimensions: 1 << 12, minDfChar: 1 });
    const twin = Featurizer.fit(CORPUS, { dimensions: 1 << 12, minDfChar: 1 });
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), (s) => {
        const a = g.transform(s);
        const b = twin.transform(s);
        expect(a).toEqual(b);
        for (const v of a.values) expect(Number.isFinite(v)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("copes with very long texts", () => {
    const long = "my card is lost ".repeat(50_000);
    const v = f.transform(long);
    expect(v.indices.length).toBeGreaterThan(0);
    expect(Math.hypot(...v.values)).toBeCloseTo(1, 5);
  });
});
