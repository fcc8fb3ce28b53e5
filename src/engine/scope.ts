// The scope score: how much an input looks like the task's training texts, so the router can
// send what fits no label to the teacher. A softmax must spread all its mass over the task's
// labels, so an out-of-scope message ("what's the weather?") still gets a label, often
// confidently: max-probability alone cannot see that nothing fits. What can is the input's
// distance to what the model was trained on, in the same hashed feature space it classifies in.
//
// Candidates measured (bench/oos.ts, Banking77 with a quarter of its intents held out and SNIPS
// as out-of-domain text; see bench/README.md): calibrated max-probability, max-logit, energy
// (log Σ exp logits), cosine to the predicted label's centroid, cosine to the nearest centroid,
// mean cosine to the k nearest training texts, and products with max-probability. The chosen
// score, `score`, is the one that won on the choosing splits (see scopeScore below).
//
// Pure TypeScript, no Node APIs: it runs wherever the classifier runs. It is built from the
// classifier and its training texts (it is not stored in the model file: whoever has the model's
// training set can rebuild it in one featurising pass).
import type { TextClassifier } from "./classifier.js";
import type { SparseVector } from "./featurizer.js";
import { LabelCentroids } from "./label-centroids.js";
import { softmaxInPlace } from "./linear-model.js";

export interface ScopeReading {
  /** The classifier's label, its index and calibrated probability (as TextClassifier.predict). */
  label: string;
  index: number;
  confidence: number;
  unknownShare: number;
  /** The largest raw logit. */
  maxLogit: number;
  /** log Σ exp(logits): high when some label fits well (Liu et al., 2020, with the sign flipped). */
  energy: number;
  /** Cosine to the predicted label's centroid of training texts. */
  centroidCos: number;
  /** Cosine to the nearest centroid, whatever its label. */
  nearestCentroidCos: number;
  /** Mean cosine to the k most similar training texts (k = KNN_K). */
  knnCos: number;
  /** The scope score the router uses, in [0, 1]: higher is more in scope. */
  score: number;
}

/** Neighbours averaged by knnCos: a few, so one near-duplicate does not vouch alone. */
export const KNN_K = 5;

/** Training texts' vectors by feature (CSR), for k-nearest-neighbour cosines in one pass over a text's features. */
class NeighbourIndex {
  private readonly rowStart: Int32Array;
  private readonly postDoc: Int32Array;
  private readonly postValue: Float32Array;
  private readonly dots: Float64Array;
  private readonly touched: Int32Array;

  constructor(vectors: readonly SparseVector[], featureCount: number) {
    const perRow = new Int32Array(featureCount + 1);
    for (const v of vectors) for (const r of v.indices) perRow[r + 1]++;
    for (let r = 0; r < featureCount; r++) perRow[r + 1] += perRow[r];
    this.rowStart = perRow.slice();
    const fill = perRow.slice(0, featureCount);
    this.postDoc = new Int32Array(perRow[featureCount]);
    this.postValue = new Float32Array(perRow[featureCount]);
    vectors.forEach((v, d) => {
      for (let k = 0; k < v.indices.length; k++) {
        const p = fill[v.indices[k]]++;
        this.postDoc[p] = d;
        this.postValue[p] = v.values[k];
      }
    });
    this.dots = new Float64Array(vectors.length);
    this.touched = new Int32Array(vectors.length);
  }

  /** Mean of the k largest cosines between v (unit length) and the training texts (unit length). */
  meanTopCos(v: SparseVector, k: number): number {
    const dots = this.dots;
    const touched = this.touched;
    let m = 0;
    for (let j = 0; j < v.indices.length; j++) {
      const r = v.indices[j];
      const x = v.values[j];
      for (let p = this.rowStart[r]; p < this.rowStart[r + 1]; p++) {
        const d = this.postDoc[p];
        if (dots[d] === 0) touched[m++] = d;
        dots[d] += x * this.postValue[p];
      }
    }
    // The k largest by insertion into a small sorted list (k is tiny), then reset what was touched.
    const top = new Float64Array(k);
    for (let i = 0; i < m; i++) {
      const s = dots[touched[i]];
      dots[touched[i]] = 0;
      if (s <= top[k - 1]) continue;
      let j = k - 1;
      while (j > 0 && top[j - 1] < s) {
        top[j] = top[j - 1];
        j--;
      }
      top[j] = s;
    }
    let sum = 0;
    for (let i = 0; i < k; i++) sum += top[i];
    return Math.max(0, Math.min(1, sum / k));
  }
}

export class ScopeScorer {
  private readonly logits: Float64Array;
  private readonly cos: Float64Array;

  private constructor(
    readonly classifier: TextClassifier,
    private readonly centroids: LabelCentroids,
    private readonly neighbours: NeighbourIndex,
  ) {
    this.logits = new Float64Array(classifier.labels.length);
    this.cos = new Float64Array(classifier.labels.length);
  }

  /**
   * Builds the scorer from the classifier and the texts it was trained on (labels outside the
   * classifier's are skipped: they have no centroid to be near).
   */
  static fit(classifier: TextClassifier, examples: readonly { text: string; label: string }[]): ScopeScorer {
    const index = new Map(classifier.labels.map((l, i) => [l, i]));
    const vectors: SparseVector[] = [];
    const labelOf: number[] = [];
    for (const e of examples) {
      const l = index.get(e.label);
      if (l === undefined) continue;
      vectors.push(classifier.featurizer.transform(e.text));
      labelOf.push(l);
    }
    const F = classifier.featurizer.featureCount;
    return new ScopeScorer(classifier, new LabelCentroids(vectors, Int32Array.from(labelOf), classifier.labels.length, F), new NeighbourIndex(vectors, F));
  }

  /** Every candidate reading of one text, from one featurising pass. */
  read(text: string): ScopeReading {
    const { featurizer, linear, header } = this.classifier;
    const n = featurizer.encode(text);
    const v: SparseVector = { indices: featurizer.lastIndices.subarray(0, n), values: featurizer.lastValues.subarray(0, n) };
    const unknownShare = featurizer.lastUnknownShare;
    const z = this.logits;
    linear.logits(v.indices, v.values, n, z);
    let maxLogit = -Infinity;
    for (const x of z) maxLogit = Math.max(maxLogit, x);
    let sum = 0;
    for (const x of z) sum += Math.exp(x - maxLogit);
    const energy = maxLogit + Math.log(sum);
    const index = softmaxInPlace(z, header.temperature);
    const confidence = z[index];
    this.centroids.cosines(v, -1, this.cos);
    let nearestCentroidCos = 0;
    for (const c of this.cos) if (c > nearestCentroidCos) nearestCentroidCos = c;
    const centroidCos = Number.isNaN(this.cos[index]) ? 0 : Math.max(0, this.cos[index]);
    const knnCos = this.neighbours.meanTopCos(v, KNN_K);
    const reading = { label: header.labels[index], index, confidence, unknownShare, maxLogit, energy, centroidCos, nearestCentroidCos, knnCos, score: 0 };
    reading.score = chosenScore(reading);
    return reading;
  }
}

/**
 * The chosen scope score: calibrated max-probability times the share of the text's n-grams the
 * model learned. It had the best mean AUROC over the choosing splits (seeds 1–2: held-out intents
 * and SNIPS together; bench/README.md has every candidate): max-probability alone misses foreign
 * text the model half reads ("what's the weather in Paris" → a confident card intent), the seen
 * share alone cannot tell a held-out banking intent from a known one (same vocabulary), and their
 * product keeps the first's ranking inside the domain while pushing foreign text down.
 * Centroid and neighbour cosines, energy and max-logit lost on held-out intents.
 * Needs nothing but one prediction, so the router pays no extra cost for it.
 */
export function scopeScore(confidence: number, unknownShare: number): number {
  return confidence * (1 - unknownShare);
}

function chosenScore(r: Omit<ScopeReading, "score">): number {
  return scopeScore(r.confidence, r.unknownShare);
}

/**
 * Area under the ROC curve: the probability that a random positive scores above a random negative
 * (ties count half). For measuring scope scores (positives: in-scope inputs). O(n log n).
 */
export function auroc(positives: readonly number[], negatives: readonly number[]): number {
  if (positives.length === 0 || negatives.length === 0) return NaN;
  const all = [...positives.map((s) => ({ s, p: 1 })), ...negatives.map((s) => ({ s, p: 0 }))].sort((a, b) => a.s - b.s);
  // Rank-sum (Mann–Whitney U) with average ranks for ties.
  let rankSum = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && all[j].s === all[i].s) j++;
    const avg = (i + 1 + j) / 2;
    for (let t = i; t < j; t++) if (all[t].p === 1) rankSum += avg;
    i = j;
  }
  const P = positives.length;
  return (rankSum - (P * (P + 1)) / 2) / (P * negatives.length);
}
