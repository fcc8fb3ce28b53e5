// Token features for span extraction: a text becomes tokens with offsets (the engine's tokenizer,
// punctuation kept as tokens) and, per token, a fixed number of hashed feature values — one per
// template: the word, its shape, prefixes and suffixes, the neighbouring words and word pairs.
// Values are 31-bit hashes (hash.ts), so the same text gives the same features on every machine;
// only those seen in training become model rows (see RowTable).
import { combine, hashRange, mix32 } from "./hash.js";
import { IntBuffer } from "./int-buffer.js";
import { normalizeText, scanTokenOffsets, type TokenOffsets } from "./tokenizer.js";

/** The feature templates, in the order their values are written per token. */
export const SPAN_TEMPLATES = [
  "bias",
  "word",
  "shape",
  "prefix2",
  "prefix3",
  "suffix2",
  "suffix3",
  "suffix4",
  "word-2",
  "word-1",
  "word+1",
  "word+2",
  "word-1|word",
  "word|word+1",
  "shape-1|shape",
  "shape|shape+1",
  "word-2|word-1",
  "word+1|word+2",
] as const;
export const TEMPLATE_COUNT = SPAN_TEMPLATES.length;
/**
 * The first templates (bias to suffix4) depend on the token's own characters only, so a token's
 * values for them are the same wherever it occurs; the rest look at its neighbours.
 */
export const TOKEN_TEMPLATES = 8;

const SEED_WORD = 0x3c6ef372;
const SEED_SHAPE = 0x1b873593;
const SEED_AFFIX = 0x68e31da4;
const SEED_TEMPLATE = 0x2545f491;
const SEED_PAIR = 0x4cf5ad43;
/** Stand-ins for the words before the first token and after the last. */
const BEFORE = mix32(0x0b5e55ed);
const AFTER = mix32(0x0e0d0e0d);
const POSITIVE = 0x7fffffff;

export interface TokenizedText extends TokenOffsets {
  /** TEMPLATE_COUNT feature values per token, token-major. */
  features: Int32Array;
}

/** Shape of a raw token: X upper, x lower, d digit, other characters as themselves, runs cut at two. */
function shapeHash(text: string, start: number, end: number): number {
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

/** The bias template's value: the same on every token. */
export const BIAS_FEATURE = combine(0, 0, SEED_TEMPLATE) & POSITIVE;

/** Hash of the first or last `n` characters of the normalised token `norm[start, end)`. */
function affix(norm: string, start: number, end: number, n: number, fromEnd: boolean): number {
  if (end - start < n) return mix32(SEED_AFFIX ^ n ^ (fromEnd ? 0x100 : 0));
  return fromEnd ? hashRange(norm, end - n, end, SEED_AFFIX ^ 0x100) : hashRange(norm, start, start + n, SEED_AFFIX);
}

/**
 * Tokenises texts and writes their template values into buffers it reuses, so featurising a text
 * allocates almost nothing once warmed up (prediction's path; `tokenizeForSpans` wraps it).
 * After `run(text)`: `tokens` tokens, raw offsets `bounds.data[2t]`, `bounds.data[2t + 1]`, and
 * TEMPLATE_COUNT values per token in `features`.
 */
export class SpanFeaturizer {
  readonly bounds = new IntBuffer(64);
  tokens = 0;
  features = new Int32Array(32 * TEMPLATE_COUNT);
  /** The normalised tokens, one after the other (for ASCII, the lower-cased text). */
  norm = "";
  /** Token t is norm[normBounds[2t], normBounds[2t + 1]). */
  normBounds = new Int32Array(64);
  private word = new Int32Array(32);
  private shape = new Int32Array(32);

  run(text: string): number {
    const bounds = this.bounds;
    const ascii = scanTokenOffsets(text, true, bounds);
    const n = bounds.length >> 1;
    const b = bounds.data;
    this.tokens = n;
    if (this.word.length < n) {
      const cap = Math.max(n, 2 * this.word.length);
      this.word = new Int32Array(cap);
      this.shape = new Int32Array(cap);
      this.normBounds = new Int32Array(2 * cap);
      this.features = new Int32Array(cap * TEMPLATE_COUNT);
    }
    let norm: string;
    const nb = this.normBounds;
    if (ascii) {
      norm = text.toLowerCase();
      nb.set(b.subarray(0, 2 * n));
    } else {
      // NFKC can change a token's length: hash the normalised tokens, laid end to end.
      let joined = "";
      for (let t = 0; t < n; t++) {
        const token = normalizeText(text.slice(b[2 * t], b[2 * t + 1]));
        nb[2 * t] = joined.length;
        joined += token;
        nb[2 * t + 1] = joined.length;
      }
      norm = joined;
    }
    this.norm = norm;
    const { word, shape, features } = this;
    for (let t = 0; t < n; t++) {
      word[t] = hashRange(norm, nb[2 * t], nb[2 * t + 1], SEED_WORD);
      shape[t] = shapeHash(text, b[2 * t], b[2 * t + 1]);
    }
    // The template number is mixed in, so "paris" as the word and as the next word are two features.
    const T = TEMPLATE_COUNT;
    for (let t = 0; t < n; t++) {
      const s = nb[2 * t];
      const e = nb[2 * t + 1];
      const o = t * T;
      const w = word[t];
      const sh = shape[t];
      const wm2 = t >= 2 ? word[t - 2] : BEFORE;
      const wm1 = t >= 1 ? word[t - 1] : BEFORE;
      const wp1 = t + 1 < n ? word[t + 1] : AFTER;
      const wp2 = t + 2 < n ? word[t + 2] : AFTER;
      const shm1 = t >= 1 ? shape[t - 1] : BEFORE;
      const shp1 = t + 1 < n ? shape[t + 1] : AFTER;
      // In SPAN_TEMPLATES order.
      features[o] = BIAS_FEATURE;
      features[o + 1] = combine(w, 1, SEED_TEMPLATE) & POSITIVE;
      features[o + 2] = combine(sh, 2, SEED_TEMPLATE) & POSITIVE;
      features[o + 3] = combine(affix(norm, s, e, 2, false), 3, SEED_TEMPLATE) & POSITIVE;
      features[o + 4] = combine(affix(norm, s, e, 3, false), 4, SEED_TEMPLATE) & POSITIVE;
      features[o + 5] = combine(affix(norm, s, e, 2, true), 5, SEED_TEMPLATE) & POSITIVE;
      features[o + 6] = combine(affix(norm, s, e, 3, true), 6, SEED_TEMPLATE) & POSITIVE;
      features[o + 7] = combine(affix(norm, s, e, 4, true), 7, SEED_TEMPLATE) & POSITIVE;
      features[o + 8] = combine(wm2, 8, SEED_TEMPLATE) & POSITIVE;
      features[o + 9] = combine(wm1, 9, SEED_TEMPLATE) & POSITIVE;
      features[o + 10] = combine(wp1, 10, SEED_TEMPLATE) & POSITIVE;
      features[o + 11] = combine(wp2, 11, SEED_TEMPLATE) & POSITIVE;
      features[o + 12] = combine(combine(wm1, w, SEED_PAIR), 12, SEED_TEMPLATE) & POSITIVE;
      features[o + 13] = combine(combine(w, wp1, SEED_PAIR), 13, SEED_TEMPLATE) & POSITIVE;
      features[o + 14] = combine(combine(shm1, sh, SEED_PAIR), 14, SEED_TEMPLATE) & POSITIVE;
      features[o + 15] = combine(combine(sh, shp1, SEED_PAIR), 15, SEED_TEMPLATE) & POSITIVE;
      features[o + 16] = combine(combine(wm2, wm1, SEED_PAIR), 16, SEED_TEMPLATE) & POSITIVE;
      features[o + 17] = combine(combine(wp1, wp2, SEED_PAIR), 17, SEED_TEMPLATE) & POSITIVE;
    }
    return n;
  }
}

/** Tokenises `text` and writes every token's template values. */
export function tokenizeForSpans(text: string): TokenizedText {
  const f = new SpanFeaturizer();
  const n = f.run(text);
  const b = f.bounds.data;
  const starts = new Int32Array(n);
  const ends = new Int32Array(n);
  const tokens: string[] = [];
  for (let t = 0; t < n; t++) {
    starts[t] = b[2 * t];
    ends[t] = b[2 * t + 1];
    tokens.push(f.norm.slice(f.normBounds[2 * t], f.normBounds[2 * t + 1]));
  }
  return { starts, ends, tokens, features: f.features.slice(0, n * TEMPLATE_COUNT) };
}

/**
 * Feature value → model row, an open-addressing table (at most half full) over the values seen
 * in training. Values are non-negative, so -1 marks an empty slot. A slot is a (value, row) pair
 * side by side in one array, so a lookup touches one cache line rather than two. `targets`, when
 * given, is what each value maps to instead of its row (the CRF decoder maps to weight blocks).
 */
export class RowTable {
  private readonly slots: Int32Array;
  private readonly mask: number;

  constructor(
    readonly values: Int32Array,
    targets?: Int32Array,
  ) {
    let size = 16;
    while (size < 2 * values.length) size *= 2;
    this.mask = size - 1;
    this.slots = new Int32Array(2 * size).fill(-1);
    for (let r = 0; r < values.length; r++) {
      const v = values[r];
      if (!(v >= 0)) throw new RangeError(`feature value ${r} is negative`);
      let i = mix32(v) & this.mask;
      while (this.slots[2 * i] !== -1) {
        if (this.slots[2 * i] === v) throw new RangeError(`feature value ${v} is listed twice`);
        i = (i + 1) & this.mask;
      }
      this.slots[2 * i] = v;
      this.slots[2 * i + 1] = targets === undefined ? r : targets[r];
    }
  }

  /** The row (or target) of a feature value, or -1 for one the model never learned. */
  find(value: number): number {
    const slots = this.slots;
    const mask = this.mask;
    let i = mix32(value) & mask;
    for (;;) {
      const k = slots[2 * i];
      if (k === value) return slots[2 * i + 1];
      if (k === -1) return -1;
      i = (i + 1) & mask;
    }
  }

  /** Replaces every feature value in place by its row (-1 when unknown). */
  mapInPlace(features: Int32Array): void {
    for (let i = 0; i < features.length; i++) features[i] = this.find(features[i]);
  }
}
