// The prediction-time decoder (crf-decode.ts) and the buffer-reusing featuriser against the
// reference code they replace on the prediction path: crf.ts's functions, and the feature
// templates as they were first written (reproduced here, so a model trained before keeps its features).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ChainScratch, computeEmissions, expScaled, forwardBackward, spanMarginal, tagCount, viterbi, type CrfWeights } from "../../src/engine/crf.js";
import { CrfDecoder, expNonPositive } from "../../src/engine/crf-decode.js";
import { combine, hashRange, mix32 } from "../../src/engine/hash.js";
import { mulberry32 } from "../../src/engine/random.js";
import { BIAS_FEATURE, RowTable, SpanFeaturizer, TEMPLATE_COUNT, TOKEN_TEMPLATES, tokenizeForSpans } from "../../src/engine/span-features.js";
import { tokenizeWithOffsets } from "../../src/engine/tokenizer.js";
import { randomCrf } from "./random-crf.js";

/** A random CRF over K labels and F feature rows (float32 weights, as models ship), feature values 1000 + r. */
function randomModel(K: number, F: number, seed: number, spread: number): { w: CrfWeights; values: Int32Array } {
  return { w: randomCrf(K, F, seed, { spread, extraRate: 0.4, float32: true }), values: Int32Array.from({ length: F }, (_, i) => 1000 + i) };
}

/** Finite, and equal to 1e-12 relative. */
const close = (a: number, b: number) => {
  expect(Number.isFinite(a)).toBe(true);
  expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(b)));
};

describe("CrfDecoder", () => {
  it("decodes the same path and score as crf.ts, and the same log Z and span marginals", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 14 }), fc.integer(), fc.double({ min: 0.1, max: 20, noNaN: true }), fc.double({ min: 0.3, max: 3, noNaN: true }), fc.boolean(), (K, n, seed, spread, T, withBias) => {
        const F = 8;
        const per = 4;
        const { w, values } = randomModel(K, F, seed, spread);
        const r = mulberry32(seed ^ 7);
        // Row ids per token (-1 unknown); with a bias, row 0 leads every token, as in the span features.
        const rows = Int32Array.from({ length: n * per }, (_, i) => (withBias && i % per === 0 ? 0 : r() < 0.15 ? -1 : 1 + Math.floor(r() * (F - 1))));
        const L = tagCount(K);
        const s = new ChainScratch();
        s.ensure(n, L);
        computeEmissions(w, rows, 0, n, per, 1, s.emit);
        const path = new Int32Array(n);
        const score = viterbi(w, n, s, path);
        const logZ = forwardBackward(w, n, s, expScaled(w.transition, T), expScaled(w.start, T), T);

        const d = new CrfDecoder(w, T, values, withBias ? values[0] : -5);
        const features = Int32Array.from(rows, (row) => (row < 0 ? 999_999 : values[row]));
        d.emissions(features, n, per);
        for (let i = 0; i < n * L; i++) expect(d.emit[i]).toBe(s.emit[i]);
        const fastPath = new Int32Array(n);
        expect(d.decode(n, fastPath)).toBe(score);
        expect(Array.from(fastPath)).toEqual(Array.from(path));
        close(d.logZ, logZ);
        const downTo = Math.floor(r() * n);
        d.backward(downTo);
        const eT = expScaled(w.transition, T);
        for (let label = 0; label < K; label++)
          for (let first = 0; first < n; first++)
            for (let last = Math.max(first, downTo); last < n; last++) close(d.spanProbability(label, first, last), spanMarginal(w, n, s, eT, label, first, last));
      }),
      { numRuns: 300 },
    );
  });

  it("gives the same emission bits from kept partial rows as without them, across calls", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer(), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }), (K, seed, prefix, rowCount) => {
        const F = 12;
        const per = 6;
        const { w, values } = randomModel(K, F, seed, 5);
        const r = mulberry32(seed ^ 11);
        // A token's first `prefix` features depend on the token alone (here: its id), the rest vary.
        const own = Array.from({ length: 5 }, () => Array.from({ length: prefix }, (_, k) => (k === 0 ? values[0] : r() < 0.2 ? 999_999 : values[1 + Math.floor(r() * (F - 1))])));
        const plain = new CrfDecoder(w, 1, values, values[0]);
        const kept = new CrfDecoder(w, 1, values, values[0], { rows: rowCount, prefix });
        // Few rows for the ids, so tokens evict each other, also within one call.
        const holder = new Array<number>(rowCount).fill(-1);
        for (let call = 0; call < 8; call++) {
          const n = 1 + Math.floor(r() * 7);
          const ids = Array.from({ length: n }, () => Math.floor(r() * 5));
          const features = Int32Array.from({ length: n * per }, (_, i) => (i % per < prefix ? own[ids[Math.floor(i / per)]][i % per] : r() < 0.2 ? 999_999 : values[Math.floor(r() * F)]));
          const slots = Int32Array.from(ids, (id) => {
            const row = id % rowCount;
            if (holder[row] === id) return row;
            holder[row] = id;
            return ~row;
          });
          plain.emissions(features.slice(), n, per);
          kept.emissions(features.slice(), n, per, slots);
          for (let i = 0; i < n * tagCount(K); i++) expect(kept.emit[i]).toBe(plain.emit[i]);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("refuses a feature listed twice or negative", () => {
    const { w } = randomModel(2, 3, 1, 1);
    expect(() => new CrfDecoder(w, 1, Int32Array.from([1, 2, 1]), -1)).toThrow(/twice/);
    expect(() => new CrfDecoder(w, 1, Int32Array.from([1, -2, 3]), -1)).toThrow(/negative/);
  });
});

describe("expNonPositive", () => {
  it("is within 2e-15 of Math.exp on [-30, 0]", () => {
    fc.assert(
      fc.property(fc.double({ min: -30, max: 0, noNaN: true }), (x) => {
        expect(Math.abs(expNonPositive(x) / Math.exp(x) - 1)).toBeLessThan(2e-15);
      }),
      { numRuns: 20_000 },
    );
    for (const x of [0, -0, -30, -1e-300, -Math.LN2, -15.5]) expect(Math.abs(expNonPositive(x) / Math.exp(x) - 1)).toBeLessThan(2e-15);
  });
});

// The span features as first written (string tokens, closures): the reference the featuriser must match.
const SEED_WORD = 0x3c6ef372;
const SEED_SHAPE = 0x1b873593;
const SEED_AFFIX = 0x68e31da4;
const SEED_TEMPLATE = 0x2545f491;
const SEED_PAIR = 0x4cf5ad43;
const BEFORE = mix32(0x0b5e55ed);
const AFTER = mix32(0x0e0d0e0d);

function referenceShape(text: string, start: number, end: number): number {
  let h = SEED_SHAPE;
  let last = -1;
  let run = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    let k: number;
    if (c >= 65 && c <= 90) k = 88;
    else if (c >= 97 && c <= 122) k = 120;
    else if (c >= 48 && c <= 57) k = 100;
    else if (c < 128) k = c;
    else {
      const ch = text[i];
      k = ch.toLowerCase() !== ch ? 88 : ch.toUpperCase() !== ch ? 120 : c;
    }
    run = k === last ? run + 1 : 1;
    last = k;
    if (run <= 2) h = Math.imul(h ^ k, 0x01000193);
  }
  return mix32(h);
}

function referenceFeatures(text: string): number[] {
  const x = tokenizeWithOffsets(text, true);
  const n = x.tokens.length;
  const word = x.tokens.map((w) => hashRange(w, 0, w.length, SEED_WORD));
  const shape = x.tokens.map((_, t) => referenceShape(text, x.starts[t], x.ends[t]));
  const affix = (w: string, k: number, fromEnd: boolean) => (w.length < k ? mix32(SEED_AFFIX ^ k ^ (fromEnd ? 0x100 : 0)) : fromEnd ? hashRange(w, w.length - k, w.length, SEED_AFFIX ^ 0x100) : hashRange(w, 0, k, SEED_AFFIX));
  const at = (a: number[], t: number) => (t < 0 ? BEFORE : t >= n ? AFTER : a[t]);
  const out: number[] = [];
  for (let t = 0; t < n; t++) {
    const w = x.tokens[t];
    const v = [0, word[t], shape[t], affix(w, 2, false), affix(w, 3, false), affix(w, 2, true), affix(w, 3, true), affix(w, 4, true), at(word, t - 2), at(word, t - 1), at(word, t + 1), at(word, t + 2), combine(at(word, t - 1), word[t], SEED_PAIR), combine(word[t], at(word, t + 1), SEED_PAIR), combine(at(shape, t - 1), shape[t], SEED_PAIR), combine(shape[t], at(shape, t + 1), SEED_PAIR), combine(at(word, t - 2), at(word, t - 1), SEED_PAIR), combine(at(word, t + 1), at(word, t + 2), SEED_PAIR)];
    v.forEach((value, k) => out.push(combine(value, k, SEED_TEMPLATE) & 0x7fffffff));
  }
  return out;
}

describe("SpanFeaturizer", () => {
  const texts = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: "grapheme", maxLength: 30 }), fc.constantFrom("Book a table in São Paulo", "the ﬁle’s Ünïcode 😀 x", "İstanbul ǅ e\u0301", "Kasey Chambers's tune at 5pm #1"));

  it("writes the reference features and offsets, reusing its buffers across texts", () => {
    const f = new SpanFeaturizer();
    fc.assert(
      fc.property(fc.array(texts, { minLength: 1, maxLength: 4 }), (batch) => {
        for (const text of batch) {
          const n = f.run(text);
          const ref = tokenizeWithOffsets(text, true);
          expect(n).toBe(ref.tokens.length);
          expect(Array.from(f.features.subarray(0, n * TEMPLATE_COUNT))).toEqual(referenceFeatures(text));
          expect(Array.from(f.bounds.data.subarray(0, 2 * n))).toEqual(Array.from(ref.starts).flatMap((s, t) => [s, ref.ends[t]]));
          const x = tokenizeForSpans(text);
          expect(x.tokens).toEqual(ref.tokens);
          expect(Array.from(x.features)).toEqual(referenceFeatures(text));
        }
      }),
      { numRuns: 300 },
    );
  });

  it("gives a token the same first TOKEN_TEMPLATES values wherever it occurs (what the decoder's kept rows rely on)", () => {
    const f = new SpanFeaturizer();
    const words = fc.constantFrom("Paris", "paris", "PARIS", "to", "São", "ﬁle", "'s", "5pm", "#", "😀", "Ünïcode");
    fc.assert(
      fc.property(fc.array(words, { minLength: 1, maxLength: 12 }), fc.constantFrom(" ", "  ", ", "), (tokens, gap) => {
        const text = tokens.join(gap);
        const n = f.run(text);
        const b = f.bounds.data;
        const seen = new Map<string, number[]>();
        for (let t = 0; t < n; t++) {
          const own = Array.from(f.features.subarray(t * TEMPLATE_COUNT, t * TEMPLATE_COUNT + TOKEN_TEMPLATES));
          const raw = text.slice(b[2 * t], b[2 * t + 1]);
          if (!seen.has(raw)) seen.set(raw, own);
          expect(own).toEqual(seen.get(raw));
        }
      }),
      { numRuns: 200 },
    );
  });

  it("gives every token the bias feature first", () => {
    const f = new SpanFeaturizer();
    const n = f.run("play the song Yesterday");
    for (let t = 0; t < n; t++) expect(f.features[t * TEMPLATE_COUNT]).toBe(BIAS_FEATURE);
    expect(new RowTable(Int32Array.from([BIAS_FEATURE, 5])).find(BIAS_FEATURE)).toBe(0);
  });
});
