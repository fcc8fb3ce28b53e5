// Training a span extractor: tokenise and tag every text (BIO), index the features and
// (feature, tag) pairs seen in training, run SGD on the CRF loss with L2 and early stopping on a
// held-out split's span F1, fit the probability temperature on that split, then refit on every
// example for the chosen number of epochs.
import { goldenSectionMinimum } from "./calibration.js";
import { ChainScratch, computeEmissions, expScaled, forwardBackward, tagCount, transitionGraph, viterbi, type CrfWeights } from "./crf.js";
import { sentenceLoss, type CrfSentence } from "./crf-loss.js";
import { Fingerprint } from "./fingerprint.js";
import { expectedCalibrationError } from "./metrics.js";
import { mulberry32, shuffleInPlace } from "./random.js";
import { RowTable, SPAN_TEMPLATES, TEMPLATE_COUNT, tokenizeForSpans } from "./span-features.js";
import { SpanExtractor, tagsToTokenSpans, type Span, type SpanModelHeader } from "./span-extractor.js";

export interface SpanExample {
  text: string;
  spans: readonly Span[];
}

export interface SpanTrainOptions {
  maxEpochs: number;
  learningRate: number;
  /** The rate at epoch e is learningRate / (1 + decay · (e − 1)). */
  learningRateDecay: number;
  /** L2 strength per example. */
  l2: number;
  /** Stop after this many epochs without a better validation span F1. */
  patience: number;
  /** Features seen in fewer training tokens than this are dropped. */
  minFeatureCount: number;
  validationFraction: number;
  refit: boolean;
  seed: number;
  onProgress?: (p: SpanTrainProgress) => void;
}

export type SpanTrainProgress = { phase: "epoch" | "refit"; epoch: number; maxEpochs: number; validationSpanF1: number | null };

/** Chosen by validation on a split of SNIPS's training data (never its test split); see bench/README.md. */
export const DEFAULT_SPAN_TRAIN_OPTIONS: Readonly<Omit<SpanTrainOptions, "onProgress">> = Object.freeze({
  maxEpochs: 10,
  learningRate: 0.2,
  learningRateDecay: 0.5,
  l2: 1e-5,
  patience: 3,
  minFeatureCount: 1,
  validationFraction: 0.1,
  // Off: the temperature is then fitted on the very model that ships, and training takes half
  // the time. A refit gained 1 to 3 pt span F1 on SNIPS's few-shot subsets, but nothing checks
  // the refitted model: on noisy labels (the tests' 30%-ambiguous synthetic task) its exact match
  // fell from 0.68–0.70 to 0.37–0.62 and its probabilities stopped matching (bench/README.md).
  refit: false,
  seed: 1,
});

export class SpanTrainingError extends Error {
  override name = "SpanTrainingError";
}

const MIN_EXAMPLES_FOR_VALIDATION = 20;
/** Transitions change after every this many texts: recomputing their exponentials after every text would dominate training time. */
const TRANSITION_BATCH = 8;

/** Every text tokenised: feature values (or rows, once mapped) and gold tags, concatenated. */
interface Corpus {
  values: Int32Array;
  gold: Int32Array;
  /** Token offset of text i; texts.length + 1 entries. */
  tokenStart: Int32Array;
}

/** BIO tags of a text's tokens: a token belongs to a span when it overlaps it. */
function goldTags(starts: Int32Array, ends: Int32Array, spans: readonly Span[], labelIndex: Map<string, number>, K: number, out: Int32Array, offset: number): void {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  for (const sp of sorted) {
    const label = labelIndex.get(sp.label)!;
    let first = true;
    for (let t = 0; t < starts.length; t++) {
      if (ends[t] <= sp.start || starts[t] >= sp.end) continue;
      if (out[offset + t] !== 0) throw new SpanTrainingError(`spans overlap at "${sp.label}" [${sp.start}, ${sp.end})`);
      out[offset + t] = first ? 1 + label : 1 + K + label;
      first = false;
    }
  }
}

function encodeCorpus(examples: readonly SpanExample[], labelIndex: Map<string, number>): Corpus {
  const K = labelIndex.size;
  const tokenized = examples.map((e) => tokenizeForSpans(e.text));
  const tokenStart = new Int32Array(examples.length + 1);
  for (let i = 0; i < examples.length; i++) tokenStart[i + 1] = tokenStart[i] + tokenized[i].tokens.length;
  const total = tokenStart[examples.length];
  const values = new Int32Array(total * TEMPLATE_COUNT);
  const gold = new Int32Array(total);
  tokenized.forEach((x, i) => {
    values.set(x.features, tokenStart[i] * TEMPLATE_COUNT);
    goldTags(x.starts, x.ends, examples[i].spans, labelIndex, K, gold, tokenStart[i]);
  });
  return { values, gold, tokenStart };
}

/** Feature rows (values seen at least minCount times in the given texts) and the (row, gold tag) pairs. */
function buildIndex(c: Corpus, texts: readonly number[], L: number, minCount: number) {
  const counts = new Map<number, number>();
  for (const i of texts) {
    for (let j = c.tokenStart[i] * TEMPLATE_COUNT; j < c.tokenStart[i + 1] * TEMPLATE_COUNT; j++) counts.set(c.values[j], (counts.get(c.values[j]) ?? 0) + 1);
  }
  const kept = [...counts].filter(([, n]) => n >= minCount).map(([v]) => v);
  kept.sort((a, b) => a - b);
  const table = new RowTable(Int32Array.from(kept));
  const pairs = new Set<number>();
  for (const i of texts) {
    for (let t = c.tokenStart[i]; t < c.tokenStart[i + 1]; t++) {
      for (let k = 0; k < TEMPLATE_COUNT; k++) {
        const r = table.find(c.values[t * TEMPLATE_COUNT + k]);
        if (r >= 0) pairs.add(r * L + c.gold[t]);
      }
    }
  }
  const sortedPairs = Float64Array.from(pairs).sort();
  const rowStart = new Int32Array(kept.length + 1);
  const pairTag = new Int32Array(sortedPairs.length);
  for (let p = 0; p < sortedPairs.length; p++) {
    const r = Math.floor(sortedPairs[p] / L);
    pairTag[p] = sortedPairs[p] - r * L;
    rowStart[r + 1]++;
  }
  for (let r = 0; r < kept.length; r++) rowStart[r + 1] += rowStart[r];
  const rows = c.values.slice();
  table.mapInPlace(rows);
  const observed = new Set<number>();
  for (const i of texts) for (let t = c.tokenStart[i] + 1; t < c.tokenStart[i + 1]; t++) observed.add(c.gold[t - 1] * L + c.gold[t]);
  return { table, rowStart, pairTag, rows, graph: transitionGraph((L - 1) / 2, observed) };
}

interface SpanScores {
  f1: number;
  exactMatch: number;
}

function scoreTexts(w: CrfWeights, weightScale: number, rows: Int32Array, c: Corpus, texts: readonly number[], s: ChainScratch): SpanScores {
  const K = w.labelCount;
  const L = tagCount(K);
  let tp = 0;
  let predicted = 0;
  let gold = 0;
  let exact = 0;
  let path = new Int32Array(64);
  for (const i of texts) {
    const off = c.tokenStart[i];
    const n = c.tokenStart[i + 1] - off;
    if (n === 0) {
      exact++;
      continue;
    }
    s.ensure(n, L);
    if (path.length < n) path = new Int32Array(2 * n);
    computeEmissions(w, rows, off * TEMPLATE_COUNT, n, TEMPLATE_COUNT, weightScale, s.emit);
    viterbi(w, n, s, path);
    const want = tagsToTokenSpans(c.gold.subarray(off, off + n), n, K);
    const got = tagsToTokenSpans(path, n, K);
    const key = (x: { first: number; last: number; label: number }) => `${x.first}:${x.last}:${x.label}`;
    const wanted = new Set(want.map(key));
    let hits = 0;
    for (const g of got) if (wanted.has(key(g))) hits++;
    tp += hits;
    predicted += got.length;
    gold += want.length;
    if (hits === want.length && got.length === want.length) exact++;
  }
  const p = predicted ? tp / predicted : 1;
  const r = gold ? tp / gold : 1;
  return { f1: p + r > 0 ? (2 * p * r) / (p + r) : 0, exactMatch: texts.length ? exact / texts.length : 1 };
}

interface SgdResult {
  weights: CrfWeights;
  bestEpoch: number;
  epochsRun: number;
  validation: SpanScores | null;
}

function runSgd(
  K: number,
  index: ReturnType<typeof buildIndex>,
  c: Corpus,
  train: readonly number[],
  validation: readonly number[],
  maxEpochs: number,
  opt: SpanTrainOptions,
  phase: SpanTrainProgress["phase"],
): SgdResult {
  const L = tagCount(K);
  const { rowStart, pairTag, rows, graph } = index;
  const v = new Float64Array(pairTag.length);
  const w: CrfWeights = { labelCount: K, rowStart, pairTag, pairWeight: v, transition: new Float64Array(L * L), start: new Float64Array(L), graph };
  const s = new ChainScratch();
  const transitionGradient = new Float64Array(L * L);
  const startGradient = new Float64Array(L);
  let expTransition = expScaled(w.transition, 1);
  let expStart = expScaled(w.start, 1);
  let scale = 1;
  const order = Int32Array.from(train);
  const random = mulberry32(opt.seed);
  const x: CrfSentence = { rows, rowOffset: 0, tokens: 0, gold: c.gold, goldOffset: 0 };
  let best: SgdResult | null = null;
  let sinceBest = 0;
  let epoch = 0;
  const snapshot = (): CrfWeights => ({ ...w, pairWeight: v.map((a) => a * scale), transition: w.transition.slice(), start: w.start.slice() });
  while (epoch < maxEpochs) {
    epoch++;
    const eta = opt.learningRate / (1 + opt.learningRateDecay * (epoch - 1));
    shuffleInPlace(order, random);
    let pending = 0;
    const applyTransitions = () => {
      for (let j = 0; j < L * L; j++) {
        w.transition[j] -= eta * (transitionGradient[j] + opt.l2 * pending * w.transition[j]);
        transitionGradient[j] = 0;
      }
      for (let y = 0; y < L; y++) {
        w.start[y] -= eta * (startGradient[y] + opt.l2 * pending * w.start[y]);
        startGradient[y] = 0;
      }
      expTransition = expScaled(w.transition, 1, expTransition);
      expStart = expScaled(w.start, 1, expStart);
      pending = 0;
    };
    for (let o = 0; o < order.length; o++) {
      const i = order[o];
      x.goldOffset = c.tokenStart[i];
      x.rowOffset = x.goldOffset * TEMPLATE_COUNT;
      x.tokens = c.tokenStart[i + 1] - x.goldOffset;
      if (x.tokens === 0) continue;
      sentenceLoss(w, x, TEMPLATE_COUNT, scale, s, expTransition, expStart, transitionGradient, startGradient);
      // Lazy L2: the weights are scale · v, so shrinking them all is one multiplication.
      scale *= 1 - eta * opt.l2;
      const step = eta / scale;
      const residual = s.residual;
      for (let t = 0; t < x.tokens; t++) {
        const ro = t * L;
        const base = x.rowOffset + t * TEMPLATE_COUNT;
        for (let k = 0; k < TEMPLATE_COUNT; k++) {
          const r = rows[base + k];
          if (r < 0) continue;
          const end = rowStart[r + 1];
          for (let p = rowStart[r]; p < end; p++) v[p] -= step * residual[ro + pairTag[p]];
        }
      }
      if (scale < 1e-6) {
        for (let p = 0; p < v.length; p++) v[p] *= scale;
        scale = 1;
      }
      if (++pending === TRANSITION_BATCH) applyTransitions();
    }
    if (pending) applyTransitions();
    const scores = validation.length ? scoreTexts(w, scale, rows, c, validation, s) : null;
    opt.onProgress?.({ phase, epoch, maxEpochs, validationSpanF1: scores?.f1 ?? null });
    if (!scores) continue;
    if (!best || scores.f1 > best.validation!.f1) {
      best = { weights: snapshot(), bestEpoch: epoch, epochsRun: epoch, validation: scores };
      sinceBest = 0;
    } else if (++sinceBest >= opt.patience) break;
  }
  if (best) return { ...best, epochsRun: epoch };
  return { weights: snapshot(), bestEpoch: epoch, epochsRun: epoch, validation: null };
}

interface Calibration {
  temperature: number;
  ece: number | null;
}

/**
 * The temperature that makes exp(score(best path) / T − log Z_T) match how often the best path is
 * exactly right on held-out texts (binary log-loss, golden-section search on log T): the
 * whole-answer probability is what the cascade routes on.
 */
function fitSpanTemperature(w: CrfWeights, rows: Int32Array, c: Corpus, texts: readonly number[]): Calibration {
  const K = w.labelCount;
  const L = tagCount(K);
  const s = new ChainScratch();
  const items: { emit: Float64Array; score: number; correct: boolean; n: number }[] = [];
  let path = new Int32Array(64);
  for (const i of texts) {
    const off = c.tokenStart[i];
    const n = c.tokenStart[i + 1] - off;
    if (n === 0) continue;
    s.ensure(n, L);
    if (path.length < n) path = new Int32Array(2 * n);
    computeEmissions(w, rows, off * TEMPLATE_COUNT, n, TEMPLATE_COUNT, 1, s.emit);
    const score = viterbi(w, n, s, path);
    let correct = true;
    for (let t = 0; t < n; t++) if (path[t] !== c.gold[off + t]) correct = false;
    items.push({ emit: s.emit.slice(0, n * L), score, correct, n });
  }
  if (items.length === 0) return { temperature: 1, ece: null };
  const probabilities = (T: number) => {
    const expTransition = expScaled(w.transition, T);
    const expStart = expScaled(w.start, T);
    return items.map((it) => {
      s.ensure(it.n, L);
      s.emit.set(it.emit);
      const logZ = forwardBackward(w, it.n, s, expTransition, expStart, T);
      return Math.min(1 - 1e-12, Math.max(1e-12, Math.exp(it.score / T - logZ)));
    });
  };
  const loss = (logT: number) => {
    const p = probabilities(Math.exp(logT));
    let total = 0;
    for (let j = 0; j < items.length; j++) total -= Math.log(items[j].correct ? p[j] : 1 - p[j]);
    return total;
  };
  const temperature = Math.exp(goldenSectionMinimum(loss, Math.log(0.1), Math.log(10), 30, 1e-3));
  const p = probabilities(temperature);
  return { temperature, ece: expectedCalibrationError(items.map((it, j) => ({ confidence: p[j], correct: it.correct }))) };
}

/** Splits text indices at random (seeded): validation first `fraction` of a shuffle, both ascending. */
function splitTexts(n: number, fraction: number, seed: number) {
  const order = shuffleInPlace(Int32Array.from({ length: n }, (_, i) => i), mulberry32(seed ^ 0x5eed));
  const cut = Math.round(n * fraction);
  const validation = [...order.subarray(0, cut)].sort((a, b) => a - b);
  const train = [...order.subarray(cut)].sort((a, b) => a - b);
  return { train, validation };
}

export function trainSpanExtractor(examples: readonly SpanExample[], options: Partial<SpanTrainOptions> = {}): SpanExtractor {
  const started = performance.now();
  const opt: SpanTrainOptions = { ...DEFAULT_SPAN_TRAIN_OPTIONS, ...options };
  if (examples.length === 0) throw new SpanTrainingError("no training examples");
  const labels = [...new Set(examples.flatMap((e) => e.spans.map((s) => s.label)))].sort();
  if (labels.length === 0) throw new SpanTrainingError("no spans in the training examples: nothing to learn");
  const labelIndex = new Map(labels.map((l, i) => [l, i]));
  const K = labels.length;
  const L = tagCount(K);
  const corpus = encodeCorpus(examples, labelIndex);

  const useValidation = examples.length >= MIN_EXAMPLES_FOR_VALIDATION && opt.validationFraction > 0;
  const split = useValidation ? splitTexts(examples.length, opt.validationFraction, opt.seed) : { train: examples.map((_, i) => i), validation: [] };
  const index = buildIndex(corpus, split.train, L, opt.minFeatureCount);
  const first = runSgd(K, index, corpus, split.train, split.validation, opt.maxEpochs, opt, "epoch");
  const calibration = split.validation.length ? fitSpanTemperature(first.weights, index.rows, corpus, split.validation) : { temperature: 1, ece: null };

  let final = first.weights;
  let finalIndex = index;
  if (opt.refit && split.validation.length) {
    // Every example, for the epoch count the held-out split chose; the temperature carries over.
    const everything = examples.map((_, i) => i);
    finalIndex = buildIndex(corpus, everything, L, opt.minFeatureCount);
    final = runSgd(K, finalIndex, corpus, everything, [], first.bestEpoch, opt, "refit").weights;
  }

  const fingerprint = new Fingerprint();
  for (const e of examples) {
    fingerprint.add(e.text);
    for (const s of e.spans) fingerprint.add(`${s.start}:${s.end}:${s.label}`);
  }
  const { onProgress: _p, ...settings } = opt;
  const header: SpanModelHeader = {
    kind: "spans",
    labels,
    temperature: calibration.temperature,
    templates: [...SPAN_TEMPLATES],
    training: {
      examples: examples.length,
      trainExamples: split.train.length,
      validationExamples: split.validation.length,
      features: finalIndex.table.values.length,
      pairs: finalIndex.pairTag.length,
      epochs: first.epochsRun,
      bestEpoch: first.bestEpoch,
      validationSpanF1: first.validation?.f1 ?? null,
      validationExactMatch: first.validation?.exactMatch ?? null,
      validationEce: calibration.ece,
      seconds: (performance.now() - started) / 1000,
      seed: opt.seed,
      dataFingerprint: fingerprint.hex(),
      options: settings,
    },
    createdAt: new Date().toISOString(),
  };
  const weights: CrfWeights = { ...final, pairWeight: Float32Array.from(final.pairWeight) };
  return new SpanExtractor(header, finalIndex.table, weights);
}
