// Property tests of the tokenizer, featurizer and a trained classifier on hostile Unicode: lone
// surrogates, NUL and other control characters, combining marks, noncharacters, emoji sequences
// and very long texts. Nothing may throw, every number must be finite, and the same text must
// always give the same features and the same prediction, whatever was featurised in between
// (the featurizer reuses buffers across calls). Fixed seeds: a failure prints its seed and path.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Featurizer } from "../../src/engine/featurizer.js";
import { IntBuffer } from "../../src/engine/int-buffer.js";
import { normalizeText, scanTokens, tokenize } from "../../src/engine/tokenizer.js";
import { trainClassifier } from "../../src/engine/train.js";
import { syntheticIntents } from "../helpers/synthetic-intents.js";

/** Code units chosen to hit the tokenizer's and normaliser's edge cases. */
const NASTY = [
  0x0000, 0x0001, 0x0009, 0x000a, 0x000d, 0x001f, 0x007f, 0x0085, 0x00a0, 0x00ad, 0x00b4,
  0x0027, 0x2018, 0x2019, 0x02bc, 0xff07, // apostrophes and look-alikes
  0x0301, 0x0308, 0x20dd, 0x034f, // combining marks, combining grapheme joiner
  0x200b, 0x200c, 0x200d, 0x2028, 0x2029, 0xfe0f, 0xfeff, 0xfffd, 0xfffe, 0xffff, // zero-width, separators, BOM, noncharacters
  0xd800, 0xdbff, 0xdc00, 0xdfff, // surrogate halves, alone or (by chance) paired
  0xfb01, 0x2460, 0x00bd, 0x1e9e, 0x0130, 0x03a3, // NFKC and case-mapping expansions (ﬁ, ①, ½, ẞ, İ, Σ)
  0x0e01, 0x0e34, 0x4e2d, 0x3042, 0x0627, 0x05d0, // Thai (with a mark), CJK, kana, Arabic, Hebrew
];

const nastyUnit = fc.constantFrom(...NASTY.map((c) => String.fromCharCode(c)));
/** Any UTF-16 code unit, so lone and reversed surrogate pairs occur. */
const anyUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const wordy = fc.constantFrom("card", "lost", "pin", "don't", " ", "'", "-", "😀", "👍🏽", "🇫🇷", "e\u0301", "Ǆ");

/** Hostile text: a mix of every generator above, up to 300 code units. */
const hostileText = fc.oneof(
  fc.string({ unit: anyUnit, maxLength: 300 }),
  fc.string({ unit: fc.oneof(nastyUnit, wordy, anyUnit), maxLength: 120 }),
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.string({ unit: "grapheme", maxLength: 60 }),
  fc.array(wordy, { maxLength: 40 }).map((xs) => xs.join("")),
);

const SEED = 20240611;

const data = syntheticIntents({ labels: 4, perLabel: 40, seed: 11 });
const corpus = data.map((e) => e.text).concat(["Ünïcödé café naïve", "中文 日本語 ไทย", "😀 👍🏽 e\u0301"]);

function isSortedUnique(xs: Int32Array): boolean {
  for (let i = 1; i < xs.length; i++) if (xs[i] <= xs[i - 1]) return false;
  return true;
}

describe("tokenizer on hostile Unicode", () => {
  it("never throws, gives in-range token bounds, and is deterministic", () => {
    fc.assert(
      fc.property(hostileText, (s) => {
        const normalized = normalizeText(s);
        expect(normalizeText(s)).toBe(normalized);
        const bounds = new IntBuffer();
        scanTokens(normalized, bounds);
        expect(bounds.length % 2).toBe(0);
        let prevEnd = 0;
        for (let i = 0; i < bounds.length; i += 2) {
          const a = bounds.data[i];
          const b = bounds.data[i + 1];
          expect(a).toBeGreaterThanOrEqual(prevEnd);
          expect(b).toBeGreaterThan(a);
          expect(b).toBeLessThanOrEqual(normalized.length);
          prevEnd = b;
        }
        expect(tokenize(s)).toEqual(tokenize(s));
      }),
      { seed: SEED, numRuns: 500 },
    );
  });
});

describe("featurizer on hostile Unicode", () => {
  const f = Featurizer.fit(corpus, { dimensions: 1 << 14, minDfChar: 1 });
  const twin = Featurizer.fit(corpus, { dimensions: 1 << 14, minDfChar: 1 });

  it("fitting on hostile texts never throws and is deterministic", () => {
    fc.assert(
      fc.property(fc.array(hostileText, { maxLength: 8 }), (texts) => {
        const a = Featurizer.fit(texts, { dimensions: 1 << 10, minDfChar: 1 });
        const b = Featurizer.fit(texts, { dimensions: 1 << 10, minDfChar: 1 });
        expect(a.buckets).toEqual(b.buckets);
        expect(a.idf).toEqual(b.idf);
        for (const v of a.idf) expect(Number.isFinite(v) && v > 0).toBe(true);
      }),
      { seed: SEED, numRuns: 150 },
    );
  });

  it("gives the same sorted, unit-norm vector for the same text, whatever came before", () => {
    fc.assert(
      fc.property(hostileText, hostileText, (s, other) => {
        const first = f.transform(s);
        f.transform(other); // reuses the featurizer's buffers and stamps
        const again = f.transform(s);
        expect(again).toEqual(first);
        expect(twin.transform(s)).toEqual(first);
        expect(isSortedUnique(first.indices)).toBe(true);
        expect(first.indices.length).toBe(first.values.length);
        let sq = 0;
        for (let i = 0; i < first.values.length; i++) {
          const v = first.values[i];
          expect(Number.isFinite(v)).toBe(true);
          expect(first.indices[i]).toBeGreaterThanOrEqual(0);
          expect(first.indices[i]).toBeLessThan(f.featureCount);
          sq += v * v;
        }
        if (first.values.length > 0) expect(Math.sqrt(sq)).toBeCloseTo(1, 4);
        const share = f.unknownShare(s);
        expect(share >= 0 && share <= 1).toBe(true);
      }),
      { seed: SEED, numRuns: 400 },
    );
  });

  it("agrees between encode (the prediction path) and transform", () => {
    fc.assert(
      fc.property(hostileText, (s) => {
        const n = f.encode(s);
        const pairs = Array.from({ length: n }, (_, i) => [f.lastIndices[i], f.lastValues[i]] as const).sort((a, b) => a[0] - b[0]);
        const v = f.transform(s);
        expect(pairs.map((p) => p[0])).toEqual([...v.indices]);
        expect(pairs.map((p) => p[1])).toEqual([...v.values]);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it("copes with a 1 MB text of mixed, hostile content", () => {
    const unit = "my card\u0000 is lost \ud800 e\u0301 😀 中文 \u200d don't ";
    const text = unit.repeat(Math.ceil((1 << 20) / unit.length)).slice(0, 1 << 20);
    expect(text.length).toBe(1 << 20);
    const a = f.transform(text);
    const b = f.transform(text);
    expect(a).toEqual(b);
    expect(a.indices.length).toBeGreaterThan(0);
    for (const v of a.values) expect(Number.isFinite(v)).toBe(true);
  });
});

describe("trained classifier on hostile Unicode", () => {
  const train = data.concat([
    { text: "Ünïcödé café \u0000 naïve", label: data[0].label },
    { text: "中文 \ud800 ไทย", label: data[1].label },
  ]);
  const model = trainClassifier(train, { seed: 5 });
  const twin = trainClassifier(train, { seed: 5 });

  it("trains identically twice from the same seed", () => {
    expect(twin.linear.toCompact()).toEqual(model.linear.toCompact());
    expect(twin.featurizer.buckets).toEqual(model.featurizer.buckets);
  });

  it("predicts finite, normalised probabilities, the same every time", () => {
    fc.assert(
      fc.property(hostileText, hostileText, (s, other) => {
        const p = model.probabilities(s);
        const prediction = model.predict(s);
        model.predict(other);
        expect(model.probabilities(s)).toEqual(p);
        expect(model.predict(s)).toEqual(prediction);
        expect(twin.predict(s)).toEqual(prediction);
        let sum = 0;
        for (const x of p) {
          expect(Number.isFinite(x) && x >= 0 && x <= 1).toBe(true);
          sum += x;
        }
        expect(sum).toBeCloseTo(1, 6);
        expect(model.labels).toContain(prediction.label);
        expect(model.top(s, 2).map((t) => t.label)[0]).toBe(prediction.label);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it("predicts a 1 MB text deterministically", () => {
    const text = "lost card 😀\u0000\udfff ".repeat(Math.ceil((1 << 20) / 18)).slice(0, 1 << 20);
    const a = model.predict(text);
    expect(model.predict(text)).toEqual(a);
    expect(Number.isFinite(a.confidence)).toBe(true);
  });
});
