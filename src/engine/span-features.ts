// Token features for span extraction: a text becomes tokens with offsets (the engine's tokenizer,
// punctuation kept as tokens) and, per token, a fixed number of hashed feature values — one per
// template: the word, its shape, prefixes and suffixes, the neighbouring words and word pairs.
// Values are 31-bit hashes (hash.ts), so the same text gives the same features on every machine;
// only those seen in training become model rows (see RowTable).
import { combine, hashRange, mix32 } from "./hash.js";
import { tokenizeWithOffsets, type TokenOffsets } from "./tokenizer.js";

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

function affix(token: string, n: number, fromEnd: boolean): number {
  const len = token.length;
  if (len < n) return mix32(SEED_AFFIX ^ n ^ (fromEnd ? 0x100 : 0));
  return fromEnd ? hashRange(token, len - n, len, SEED_AFFIX ^ 0x100) : hashRange(token, 0, n, SEED_AFFIX);
}

/** Tokenises `text` and writes every token's template values. */
export function tokenizeForSpans(text: string): TokenizedText {
  const offsets = tokenizeWithOffsets(text, true);
  const n = offsets.tokens.length;
  const word = new Int32Array(n);
  const shape = new Int32Array(n);
  for (let t = 0; t < n; t++) {
    const w = offsets.tokens[t];
    word[t] = hashRange(w, 0, w.length, SEED_WORD);
    shape[t] = shapeHash(text, offsets.starts[t], offsets.ends[t]);
  }
  const features = new Int32Array(n * TEMPLATE_COUNT);
  const at = (a: Int32Array, t: number) => (t < 0 ? BEFORE : t >= n ? AFTER : a[t]);
  const put = (o: number, k: number, value: number) => {
    // The template number is mixed in, so "paris" as the word and as the next word are two features.
    features[o + k] = combine(value, k, SEED_TEMPLATE) & POSITIVE;
  };
  for (let t = 0; t < n; t++) {
    const w = offsets.tokens[t];
    const o = t * TEMPLATE_COUNT;
    // In SPAN_TEMPLATES order.
    put(o, 0, 0);
    put(o, 1, word[t]);
    put(o, 2, shape[t]);
    put(o, 3, affix(w, 2, false));
    put(o, 4, affix(w, 3, false));
    put(o, 5, affix(w, 2, true));
    put(o, 6, affix(w, 3, true));
    put(o, 7, affix(w, 4, true));
    put(o, 8, at(word, t - 2));
    put(o, 9, at(word, t - 1));
    put(o, 10, at(word, t + 1));
    put(o, 11, at(word, t + 2));
    put(o, 12, combine(at(word, t - 1), word[t], SEED_PAIR));
    put(o, 13, combine(word[t], at(word, t + 1), SEED_PAIR));
    put(o, 14, combine(at(shape, t - 1), shape[t], SEED_PAIR));
    put(o, 15, combine(shape[t], at(shape, t + 1), SEED_PAIR));
    put(o, 16, combine(at(word, t - 2), at(word, t - 1), SEED_PAIR));
    put(o, 17, combine(at(word, t + 1), at(word, t + 2), SEED_PAIR));
  }
  return { ...offsets, features };
}

/**
 * Feature value → model row, an open-addressing table (at most half full) over the values seen
 * in training. Values are non-negative, so -1 marks an empty slot.
 */
export class RowTable {
  private readonly keys: Int32Array;
  private readonly rows: Int32Array;
  private readonly mask: number;

  constructor(readonly values: Int32Array) {
    let size = 16;
    while (size < 2 * values.length) size *= 2;
    this.mask = size - 1;
    this.keys = new Int32Array(size).fill(-1);
    this.rows = new Int32Array(size);
    for (let r = 0; r < values.length; r++) {
      const v = values[r];
      if (!(v >= 0)) throw new RangeError(`feature value ${r} is negative`);
      let i = mix32(v) & this.mask;
      while (this.keys[i] !== -1) {
        if (this.keys[i] === v) throw new RangeError(`feature value ${v} is listed twice`);
        i = (i + 1) & this.mask;
      }
      this.keys[i] = v;
      this.rows[i] = r;
    }
  }

  /** The row of a feature value, or -1 for one the model never learned. */
  find(value: number): number {
    const keys = this.keys;
    let i = mix32(value) & this.mask;
    for (;;) {
      const k = keys[i];
      if (k === value) return this.rows[i];
      if (k === -1) return -1;
      i = (i + 1) & this.mask;
    }
  }

  /** Replaces every feature value in place by its row (-1 when unknown). */
  mapInPlace(features: Int32Array): void {
    for (let i = 0; i < features.length; i++) features[i] = this.find(features[i]);
  }
}
