// Text → sparse TF-IDF vector. Word 1–2-grams and character n-grams inside word boundaries are
// hashed into `dimensions` buckets; only the buckets seen often enough in training become
// features ("rows"), so the model stores weights for what it has actually learned, not for the
// whole hash space. Words and character n-grams are weighted and L2-normalised as two groups,
// then the whole vector is normalised: the many character n-grams would otherwise drown the words.
import { combine, hashRange, mix32, step } from "./hash.js";
import { IntBuffer } from "./int-buffer.js";
import { normalizeText, scanTokens } from "./tokenizer.js";

export interface FeaturizerConfig {
  /** Size of the hash space the n-grams are hashed into: a power of two. */
  dimensions: number;
  wordMinN: number;
  wordMaxN: number;
  charMinN: number;
  charMaxN: number;
  /** A bucket becomes a feature when this many training texts contain it as a word n-gram… */
  minDfWord: number;
  /** …or as a character n-gram. */
  minDfChar: number;
  /** tf → 1 + ln(tf). */
  sublinearTf: boolean;
  wordWeight: number;
  charWeight: number;
}

export const DEFAULT_FEATURIZER_CONFIG: Readonly<FeaturizerConfig> = Object.freeze({
  dimensions: 1 << 20,
  wordMinN: 1,
  wordMaxN: 2,
  charMinN: 2,
  charMaxN: 5,
  minDfWord: 1,
  minDfChar: 2,
  sublinearTf: true,
  wordWeight: 1,
  charWeight: 1,
});

/** Indices are feature rows, ascending and unique; values are L2-normalised. */
export interface SparseVector {
  indices: Int32Array;
  values: Float32Array;
}

const SEED_WORD = 0x2f6b1a3d;
const SEED_BIGRAM = 0x51ed270b;
const SEED_CHAR = 0x7a3c9e15;
const SPACE = 32;
const MAX_DIMENSIONS = 1 << 24;
/** 1 + ln(tf) for small counts, precomputed: the log is the costliest step of featurising. */
const SUBLINEAR_TF = Float64Array.from({ length: 64 }, (_, tf) => (tf === 0 ? 0 : 1 + Math.log(tf)));

export class FeaturizerError extends Error {
  override name = "FeaturizerError";
}

export function validateFeaturizerConfig(c: FeaturizerConfig): void {
  const int = (v: number, lo: number, hi: number, name: string) => {
    if (!Number.isInteger(v) || v < lo || v > hi) throw new FeaturizerError(`${name} must be an integer from ${lo} to ${hi}, got ${v}`);
  };
  int(c.dimensions, 16, MAX_DIMENSIONS, "dimensions");
  if ((c.dimensions & (c.dimensions - 1)) !== 0) throw new FeaturizerError(`dimensions must be a power of two, got ${c.dimensions}`);
  int(c.wordMinN, 0, 3, "wordMinN");
  int(c.wordMaxN, 0, 3, "wordMaxN");
  int(c.charMinN, 0, 8, "charMinN");
  int(c.charMaxN, 0, 8, "charMaxN");
  int(c.minDfWord, 1, 1e9, "minDfWord");
  int(c.minDfChar, 1, 1e9, "minDfChar");
  if (c.wordMinN > c.wordMaxN) throw new FeaturizerError("wordMinN must not exceed wordMaxN");
  if (c.charMinN > c.charMaxN) throw new FeaturizerError("charMinN must not exceed charMaxN");
  if (!(c.wordWeight >= 0) || !(c.charWeight >= 0)) throw new FeaturizerError("group weights must be ≥ 0");
}

/** Hashes a text's word and character n-grams into bucket lists. Pure function of the config. */
export class NgramHasher {
  readonly words = new IntBuffer();
  readonly chars = new IntBuffer();
  private readonly bounds = new IntBuffer();

  constructor(private readonly config: FeaturizerConfig) {}

  /** Fills `words` and `chars` with the text's buckets (unsorted, with repeats). */
  hash(text: string): void {
    const { wordMinN, wordMaxN, charMinN, charMaxN } = this.config;
    // Hashes are int32 and the hash space a power of two, so a mask is the bucket.
    const mask = this.config.dimensions - 1;
    const s = normalizeText(text);
    const bounds = this.bounds;
    scanTokens(s, bounds);
    const tokens = bounds.length >> 1;
    this.words.length = 0;
    this.chars.length = 0;
    // Upper bounds on how many n-grams this text can produce, so the loops below write unchecked.
    const wordsOut = this.words.reserve(2 * tokens);
    const charsOut = this.chars.reserve(charMaxN === 0 ? 0 : (s.length + 2 * tokens) * (charMaxN - charMinN + 1));
    const unigrams = wordMinN <= 1 && wordMaxN >= 1;
    const bigrams = wordMaxN >= 2;
    let w = 0;
    let c = 0;
    let prev = 0;
    for (let t = 0; t < tokens; t++) {
      const a = bounds.data[2 * t];
      const b = bounds.data[2 * t + 1];
      const h = hashRange(s, a, b, SEED_WORD);
      if (unigrams) wordsOut[w++] = h & mask;
      if (bigrams && t > 0) wordsOut[w++] = combine(prev, h, SEED_BIGRAM) & mask;
      prev = h;
      // Character n-grams of " token ", hashed incrementally from each start position.
      const padded = b - a + 2;
      for (let i = 0; i < padded; i++) {
        let g = SEED_CHAR;
        const maxN = Math.min(charMaxN, padded - i);
        for (let n = 1; n <= maxN; n++) {
          const p = i + n - 1;
          g = step(g, p === 0 || p === padded - 1 ? SPACE : s.charCodeAt(a + p - 1));
          if (n >= charMinN) charsOut[c++] = mix32(g ^ n) & mask;
        }
      }
    }
    this.words.length = w;
    this.chars.length = c;
  }
}

/** Counts, per bucket, how many texts contain it: the first pass of fitting. */
function documentFrequencies(texts: readonly string[], config: FeaturizerConfig) {
  const hasher = new NgramHasher(config);
  const wordDf = new Int32Array(config.dimensions);
  const charDf = new Int32Array(config.dimensions);
  // seen[b] holds the number of the last text that counted bucket b, so each text counts once.
  const seenWord = new Int32Array(config.dimensions).fill(-1);
  const seenChar = new Int32Array(config.dimensions).fill(-1);
  const count = (list: IntBuffer, df: Int32Array, seen: Int32Array, doc: number) => {
    for (let i = 0; i < list.length; i++) {
      const b = list.data[i];
      if (seen[b] !== doc) {
        seen[b] = doc;
        df[b]++;
      }
    }
  };
  for (let d = 0; d < texts.length; d++) {
    hasher.hash(texts[d]);
    count(hasher.words, wordDf, seenWord, d);
    count(hasher.chars, charDf, seenChar, d);
  }
  return { wordDf, charDf };
}

/**
 * Hash bucket → feature row, as an open-addressing table sized to the learned features (at most
 * half full) rather than an array over the whole hash space. The array was 4 MB for 2^20 buckets,
 * and looking a text's few hundred n-grams up in it missed the CPU cache on almost every one as
 * soon as other work ran between predictions, as it does in the gateway (measured on the
 * banking-demo model: encode + predict 9 µs in a hot loop, 35 µs with the caches flushed between
 * texts).
 *
 * A slot is four int32s, [bucket, row, word tf, char tf]: the lookup and the counting of an
 * n-gram touch one 16-byte slot, never split across cache lines. The counts used to live in
 * arrays indexed by row (with a stamp array telling this text's rows from stale ones), three more
 * scattered cache lines per n-gram, which the gateway pays whenever a request's other work has
 * evicted the model (on Banking77, run alternately: 54–61k predictions/s against 31–49k before).
 * encode() zeroes the counts of the slots it used before returning, so every text starts from
 * zero without a stamp.
 */
const SLOT_INTS = 4;
const SLOT_BUCKET = 0;
const SLOT_ROW = 1;
const SLOT_WORD_TF = 2;
const SLOT_CHAR_TF = 3;

class FeatureTable {
  readonly slots: Int32Array;
  private readonly mask: number;

  constructor(buckets: Int32Array) {
    let size = 16;
    while (size < 2 * buckets.length) size *= 2;
    this.mask = size - 1;
    this.slots = new Int32Array(SLOT_INTS * size);
    for (let i = 0; i < size; i++) this.slots[SLOT_INTS * i + SLOT_BUCKET] = -1;
    for (let r = 0; r < buckets.length; r++) {
      let i = buckets[r] & this.mask;
      // Buckets are hash values already: their low bits pick the slot.
      while (this.slots[SLOT_INTS * i + SLOT_BUCKET] !== -1) i = (i + 1) & this.mask;
      this.slots[SLOT_INTS * i + SLOT_BUCKET] = buckets[r];
      this.slots[SLOT_INTS * i + SLOT_ROW] = r;
    }
  }

  /** Offset of the bucket's slot in `slots`, or -1 for a bucket the model never learned. */
  find(bucket: number): number {
    const slots = this.slots;
    const mask = this.mask;
    let i = bucket & mask;
    for (;;) {
      const o = SLOT_INTS * i;
      const k = slots[o + SLOT_BUCKET];
      if (k === bucket) return o;
      if (k === -1) return -1;
      i = (i + 1) & mask;
    }
  }
}

export interface FeaturizerState {
  config: FeaturizerConfig;
  /** Hash bucket of each feature row, ascending. */
  buckets: Int32Array;
  idf: Float32Array;
}

export class Featurizer {
  readonly config: FeaturizerConfig;
  readonly buckets: Int32Array;
  readonly idf: Float32Array;
  private readonly table: FeatureTable;
  private readonly hasher: NgramHasher;
  /** N-gram occurrences of the last encoded text, and how many of them map to no feature. */
  private occurrences = 0;
  private misses = 0;
  /** Slot offsets of the last encoded text's features, first-seen order… */
  private readonly seen = new IntBuffer();
  /** …and their feature rows, what lastIndices returns. */
  private readonly rows = new IntBuffer();
  private values = new Float32Array(256);
  /** The text encoded last and its entry count: encoding it again returns them as they are. */
  private lastText: string | null = null;
  private lastCount = 0;

  constructor(state: FeaturizerState) {
    validateFeaturizerConfig(state.config);
    if (state.buckets.length !== state.idf.length) throw new FeaturizerError("buckets and idf differ in length");
    this.config = { ...state.config };
    this.buckets = state.buckets;
    this.idf = state.idf;
    for (let r = 0; r < this.buckets.length; r++) {
      const b = this.buckets[r];
      if (b < 0 || b >= this.config.dimensions || (r > 0 && b <= this.buckets[r - 1])) {
        throw new FeaturizerError(`feature bucket ${r} is out of order or out of range`);
      }
    }
    this.table = new FeatureTable(this.buckets);
    this.hasher = new NgramHasher(this.config);
  }

  /** Learns the feature rows and IDF weights from training texts. */
  static fit(texts: readonly string[], config: Partial<FeaturizerConfig> = {}): Featurizer {
    const full: FeaturizerConfig = { ...DEFAULT_FEATURIZER_CONFIG, ...config };
    validateFeaturizerConfig(full);
    const { wordDf, charDf } = documentFrequencies(texts, full);
    let count = 0;
    for (let b = 0; b < full.dimensions; b++) if (wordDf[b] >= full.minDfWord || charDf[b] >= full.minDfChar) count++;
    const buckets = new Int32Array(count);
    const idf = new Float32Array(count);
    const n = texts.length;
    let r = 0;
    for (let b = 0; b < full.dimensions; b++) {
      if (wordDf[b] >= full.minDfWord || charDf[b] >= full.minDfChar) {
        buckets[r] = b;
        // Smoothed IDF, as if one extra document held every feature: never zero, never infinite.
        idf[r] = Math.log((1 + n) / (1 + Math.max(wordDf[b], charDf[b]))) + 1;
        r++;
      }
    }
    return new Featurizer({ config: full, buckets, idf });
  }

  get featureCount(): number {
    return this.buckets.length;
  }

  /**
   * Featurises into reusable internal buffers and returns how many entries were written; read them
   * with `lastIndices`/`lastValues` before the next call. The allocation-free path for prediction;
   * rows come in first-seen order, unique.
   */
  encode(text: string): number {
    // Several classifiers may share this featurizer (a structured specialist's fields) and read the same text in turn.
    if (text === this.lastText) return this.lastCount;
    this.hasher.hash(text);
    const seen = this.seen;
    seen.length = 0;
    this.misses = 0;
    this.occurrences = this.hasher.words.length + this.hasher.chars.length;
    this.count(this.hasher.words, SLOT_WORD_TF);
    this.count(this.hasher.chars, SLOT_CHAR_TF);
    const n = seen.length;
    if (this.values.length < n) this.values = new Float32Array(Math.max(n, this.values.length * 2));
    const values = this.values;
    const idf = this.idf;
    const slots = this.table.slots;
    const seenData = seen.data;
    this.rows.length = 0;
    const rows = this.rows.reserve(n);
    this.rows.length = n;
    // Each group is normalised to its weight, then the sum to unit length.
    let wordSq = 0;
    let charSq = 0;
    for (let i = 0; i < n; i++) {
      const o = seenData[i];
      const r = slots[o + SLOT_ROW];
      rows[i] = r;
      const wv = this.tfWeight(slots[o + SLOT_WORD_TF]) * idf[r];
      const cv = this.tfWeight(slots[o + SLOT_CHAR_TF]) * idf[r];
      wordSq += wv * wv;
      charSq += cv * cv;
    }
    const ws = wordSq > 0 ? this.config.wordWeight / Math.sqrt(wordSq) : 0;
    const cs = charSq > 0 ? this.config.charWeight / Math.sqrt(charSq) : 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const o = seenData[i];
      const v = (this.tfWeight(slots[o + SLOT_WORD_TF]) * ws + this.tfWeight(slots[o + SLOT_CHAR_TF]) * cs) * idf[rows[i]];
      values[i] = v;
      sq += v * v;
      slots[o + SLOT_WORD_TF] = 0;
      slots[o + SLOT_CHAR_TF] = 0;
    }
    const inv = sq > 0 ? 1 / Math.sqrt(sq) : 0;
    for (let i = 0; i < n; i++) values[i] = Math.fround(values[i] * inv);
    this.lastText = text;
    this.lastCount = n;
    return n;
  }

  /** Whether `other` featurises every text exactly as this one does (same configuration, rows and weights). */
  sameAs(other: Featurizer): boolean {
    if (other === this) return true;
    if (other.buckets.length !== this.buckets.length || JSON.stringify(other.config) !== JSON.stringify(this.config)) return false;
    for (let r = 0; r < this.buckets.length; r++) if (other.buckets[r] !== this.buckets[r] || other.idf[r] !== this.idf[r]) return false;
    return true;
  }

  get lastIndices(): Int32Array {
    return this.rows.data;
  }

  get lastValues(): Float32Array {
    return this.values;
  }

  /** unknownShare() of the last encoded text, without hashing it again. */
  get lastUnknownShare(): number {
    return this.occurrences === 0 ? 1 : this.misses / this.occurrences;
  }

  /** The text's vector: rows ascending and unique, L2 norm 1 (or empty). */
  transform(text: string): SparseVector {
    const n = this.encode(text);
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => this.rows.data[a] - this.rows.data[b]);
    return { indices: Int32Array.from(order, (i) => this.rows.data[i]), values: Float32Array.from(order, (i) => this.values[i]) };
  }

  /** Share of the text's n-gram occurrences that map to no learned feature: 1 for text unlike anything seen. */
  unknownShare(text: string): number {
    this.encode(text);
    return this.lastUnknownShare;
  }

  private tfWeight(tf: number): number {
    if (!this.config.sublinearTf) return tf;
    return tf < SUBLINEAR_TF.length ? SUBLINEAR_TF[tf] : 1 + Math.log(tf);
  }

  /** Adds a bucket list's occurrences to the tf field at `field` of their slots, registering slots first seen in this text. */
  private count(list: IntBuffer, field: number): void {
    const table = this.table;
    const slots = table.slots;
    const seen = this.seen;
    const data = list.data;
    const out = seen.reserve(list.length);
    let m = seen.length;
    let misses = 0;
    for (let i = 0; i < list.length; i++) {
      const o = table.find(data[i]);
      if (o < 0) {
        misses++;
        continue;
      }
      if (slots[o + SLOT_WORD_TF] === 0 && slots[o + SLOT_CHAR_TF] === 0) out[m++] = o;
      slots[o + field]++;
    }
    seen.length = m;
    this.misses += misses;
  }
}
