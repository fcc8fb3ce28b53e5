// A trained span extractor: token features → CRF → labelled spans with calibrated probabilities.
// Everything prediction needs and nothing that needs Node, like the classifier.
import type { CrfWeights } from "./crf.js";
import { CrfDecoder } from "./crf-decode.js";
import { hashRange } from "./hash.js";
import { BIAS_FEATURE, RowTable, SpanFeaturizer, TEMPLATE_COUNT, TOKEN_TEMPLATES } from "./span-features.js";

export interface Span {
  /** UTF-16 offsets into the text, end exclusive. */
  start: number;
  end: number;
  label: string;
}

export interface PredictedSpan extends Span {
  text: string;
  /** Calibrated probability that exactly this span (boundaries and label) is in the answer. */
  probability: number;
}

export interface SpanPrediction {
  spans: PredictedSpan[];
  /** Calibrated probability that the whole answer is exactly right: every span, nothing missing or extra. */
  probability: number;
}

export interface SpanTrainingSummary {
  examples: number;
  trainExamples: number;
  validationExamples: number;
  features: number;
  pairs: number;
  epochs: number;
  bestEpoch: number;
  validationSpanF1: number | null;
  validationExactMatch: number | null;
  validationEce: number | null;
  seconds: number;
  seed: number;
  dataFingerprint: string;
  options: Record<string, unknown>;
}

export interface SpanModelHeader {
  kind: "spans";
  labels: string[];
  /** Divides every score before probabilities are computed; fitted on held-out whole-answer correctness. */
  temperature: number;
  /** Names of the feature templates, so a model never runs with features it was not trained on. */
  templates: string[];
  training: SpanTrainingSummary;
  createdAt: string;
}

/** Token span (inclusive) and label index of each span in a tag sequence. */
export interface TokenSpan {
  first: number;
  last: number;
  label: number;
}

export function tagsToTokenSpans(tags: ArrayLike<number>, tokens: number, labelCount: number): TokenSpan[] {
  const out: TokenSpan[] = [];
  for (let t = 0; t < tokens; t++) {
    const y = tags[t];
    if (y === 0 || y > labelCount) continue;
    let last = t;
    const inside = y + labelCount;
    while (last + 1 < tokens && tags[last + 1] === inside) last++;
    out.push({ first: t, last, label: y - 1 });
  }
  return out;
}

/**
 * Raw token text → row of the decoder's cache of partial emission sums (the token-only templates),
 * direct-mapped: a token takes the row its hash picks, evicting whichever token had it. Vocabulary
 * repeats across requests ("play", "the", "in", "tomorrow"), and a hit skips the token's seven
 * token-only lookups and about half its (feature, tag) sums. Bounded, so memory stays fixed
 * however many distinct tokens pass through: TOKEN_ROWS × tags × 8 bytes (2.6 MB at 79 tags).
 */
const TOKEN_ROWS = 4096;

class TokenRows {
  private readonly keys: string[] = new Array<string>(TOKEN_ROWS).fill("");
  slots = new Int32Array(64);

  /**
   * Fills `slots` for the tokens of `text` at `bounds` (start, end pairs): the row when it holds
   * that token already, else its complement (the decoder then fills the row, in token order, which
   * is also the order the keys are claimed in here).
   */
  assign(text: string, bounds: Int32Array, tokens: number): Int32Array {
    if (this.slots.length < tokens) this.slots = new Int32Array(2 * tokens);
    const { keys, slots } = this;
    for (let t = 0; t < tokens; t++) {
      const start = bounds[2 * t];
      const end = bounds[2 * t + 1];
      const row = hashRange(text, start, end, 0x5bd1e995) & (TOKEN_ROWS - 1);
      const key = keys[row];
      let same = key.length === end - start;
      for (let i = 0; same && i < key.length; i++) same = key.charCodeAt(i) === text.charCodeAt(start + i);
      if (same) {
        slots[t] = row;
      } else {
        keys[row] = text.slice(start, end);
        slots[t] = ~row;
      }
    }
    return slots;
  }
}

export class SpanExtractor {
  private readonly featurizer = new SpanFeaturizer();
  private readonly decoder: CrfDecoder;
  private readonly tokenRows = new TokenRows();
  private path = new Int32Array(64);

  constructor(
    readonly header: SpanModelHeader,
    readonly table: RowTable,
    readonly weights: CrfWeights,
  ) {
    if (header.labels.length !== weights.labelCount) throw new Error("label count does not match the model's tags");
    if (weights.rowStart.length !== table.values.length + 1) throw new Error("feature count does not match the model's weights");
    if (header.templates.length !== TEMPLATE_COUNT) throw new Error(`the model uses ${header.templates.length} feature templates, this engine ${TEMPLATE_COUNT}`);
    if (!(header.temperature > 0)) throw new Error("temperature must be positive");
    this.decoder = new CrfDecoder(weights, header.temperature, table.values, BIAS_FEATURE, { rows: TOKEN_ROWS, prefix: TOKEN_TEMPLATES });
  }

  get labels(): readonly string[] {
    return this.header.labels;
  }

  predict(text: string): SpanPrediction {
    const x = this.featurizer;
    const n = x.run(text);
    if (n === 0) return { spans: [], probability: 1 };
    const K = this.weights.labelCount;
    const d = this.decoder;
    d.emissions(x.features, n, TEMPLATE_COUNT, this.tokenRows.assign(text, x.bounds.data, n));
    if (this.path.length < n) this.path = new Int32Array(2 * n);
    const score = d.decode(n, this.path);
    const probability = Math.min(1, Math.exp(score / this.header.temperature - d.logZ));
    const found = tagsToTokenSpans(this.path, n, K);
    if (found.length === 0) return { spans: [], probability };
    // Span marginals read the backward pass only from the first span's last token on.
    d.backward(found[0].last);
    const bounds = x.bounds.data;
    const spans = found.map((sp): PredictedSpan => {
      const start = bounds[2 * sp.first];
      const end = bounds[2 * sp.last + 1];
      return {
        start,
        end,
        label: this.header.labels[sp.label],
        text: text.slice(start, end),
        probability: d.spanProbability(sp.label, sp.first, sp.last),
      };
    });
    return { spans, probability };
  }

  /** The decoded tags of the last predicted text (for tests: e.g. that they are a valid sequence). */
  lastTags(tokens: number): Int32Array {
    return this.path.slice(0, tokens);
  }
}
