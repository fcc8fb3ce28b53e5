// The simulated teacher's error model: which texts it gets wrong, and what it says instead.
//
// A real LLM teacher at temperature 0 is not a noisy oracle. Its mistakes are
//   - deterministic: the same text always gets the same answer;
//   - concentrated on hard texts: ambiguous wording, texts that read like another label;
//   - directed: a wrong answer is a confusable label (e.g. "card_arrival" for a
//     "card_delivery_estimate" text), rarely an unrelated one.
// Uniform label noise would flatter the specialist and the router (random errors are easy to
// average away and never correlate with the specialist's own doubts), so this model
// reproduces the three properties instead:
//
//   1. Featurize every gold text with the engine's featurizer and form each label's centroid.
//   2. Difficulty of a text = cos(text, nearest other label's centroid)
//                            − cos(text, own label's centroid without this text).
//      High when the text sits closer to another label than to its own.
//   3. Rank texts by difficulty plus a small deterministic jitter (a hash of text and seed,
//      ±10% of the difficulties' standard deviation): it reorders near-ties, so the seed
//      picks among equally hard texts, but cannot promote an easy text over a hard one.
//   4. The round((1 − accuracy) · N) hardest texts are the mistakes, so the realised accuracy
//      on the gold set is the target exactly (N = distinct texts).
//   5. A mistake answers the nearest other label (the most confusable one); for a
//      hash-chosen ~20% of mistakes, the second-nearest, so errors are not all one pair.
//
// Out-of-scope texts (gold labels outside `labels`, allowed only with `outOfScope`): an LLM
// offered "none of these" mostly takes it for a message that fits nothing, and otherwise, like
// one forced to choose, names the label the text reads most like. So a hash-chosen share
// `outOfScope.rate` of them is answered `outOfScope.label`, the rest the label with the nearest
// centroid. Their gold is the none label. `accuracy` counts the in-scope texts only.
//
// Everything depends only on the gold set, the seed and the featurizer config: two teachers
// built from the same inputs answer identically.
import { DEFAULT_FEATURIZER_CONFIG, Featurizer, type FeaturizerConfig } from "../engine/featurizer.js";
import { fmix32, hashRange } from "../engine/hash.js";
import { LabelCentroids, twoNearestOthers } from "../engine/label-centroids.js";

export interface AnswerKeyOptions {
  labels: string[];
  /** Every text the teacher may be asked about, with its true label. */
  gold: readonly { text: string; label: string }[];
  /** Share of distinct gold texts answered correctly, 0–1. */
  accuracy: number;
  seed?: number;
  featurizer?: Partial<FeaturizerConfig>;
  /** Gold labels outside `labels` are out of scope: `rate` of them get `label` ("none of these"), the rest the nearest label. */
  outOfScope?: { label: string; rate: number };
}

export interface SimulatedAnswerKey {
  /** Text → the label the teacher answers. */
  answers: Map<string, string>;
  /** Text → its gold label (the first one given, if a text repeats; the none label for out-of-scope texts). */
  gold: Map<string, string>;
  /** Texts answered wrongly: exactly round((1 − accuracy) · distinct texts). */
  mistakes: number;
}

/** Relative size of the ranking jitter, as a fraction of the difficulties' standard deviation (±). */
const JITTER_SPREAD = 0.1;
/** Share of mistakes that go to the second-nearest label instead of the nearest. */
const SECOND_CHOICE_SHARE = 0.2;
const SALT_JITTER = 0x3c6ef372;
const SALT_CHOICE = 0xa54ff53a;
const SALT_NONE = 0x510e527f;

export function simulatedAnswerKey(options: AnswerKeyOptions): SimulatedAnswerKey {
  const { labels, accuracy } = options;
  const seed = options.seed ?? 0;
  if (!(accuracy >= 0 && accuracy <= 1)) throw new RangeError(`accuracy must be between 0 and 1, got ${accuracy}`);
  const labelIndex = new Map(labels.map((l, i) => [l, i]));
  if (labelIndex.size !== labels.length) throw new RangeError("labels must be unique");

  const oos = options.outOfScope;
  if (oos !== undefined && !(oos.rate >= 0 && oos.rate <= 1)) throw new RangeError(`outOfScope.rate must be between 0 and 1, got ${oos.rate}`);
  if (oos !== undefined && labelIndex.has(oos.label)) throw new RangeError(`outOfScope.label "${oos.label}" must not be one of the labels`);
  const gold = new Map<string, string>();
  const outside: string[] = [];
  for (const g of options.gold) {
    if (gold.has(g.text)) continue;
    if (labelIndex.has(g.label)) gold.set(g.text, g.label);
    else if (oos !== undefined) outside.push(g.text);
    else throw new RangeError(`gold label "${g.label}" is not one of the labels`);
  }
  const texts = [...gold.keys()];
  const n = texts.length;
  const mistakes = Math.round((1 - accuracy) * n);
  const answers = new Map(gold);
  for (const t of outside) gold.set(t, oos!.label);
  if (mistakes === 0 && outside.length === 0) return { answers, gold, mistakes };
  if (labels.length < 2) throw new RangeError("a teacher that makes mistakes needs at least two labels");

  const featurizer = Featurizer.fit(texts, { ...DEFAULT_FEATURIZER_CONFIG, ...options.featurizer });
  const vectors = texts.map((t) => featurizer.transform(t));
  const labelOf = Int32Array.from(texts, (t) => labelIndex.get(gold.get(t)!)!);
  const centroids = new LabelCentroids(vectors, labelOf, labels.length, featurizer.featureCount);
  const cos = new Float64Array(labels.length);

  for (const t of outside) {
    if (unitHash(t, seed, SALT_NONE) < oos!.rate) {
      answers.set(t, oos!.label);
      continue;
    }
    centroids.cosines(featurizer.transform(t), -1, cos);
    const [nearestLabel] = twoNearestOthers(cos, -1);
    answers.set(t, labels[Math.max(0, nearestLabel)]);
  }
  if (mistakes === 0) return { answers, gold, mistakes };

  // Difficulty, and the two most confusable other labels, per text.
  const difficulty = new Float64Array(n);
  const nearest = new Int32Array(n);
  const second = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    centroids.cosines(vectors[i], labelOf[i], cos);
    const [first, next] = twoNearestOthers(cos, labelOf[i]);
    nearest[i] = first;
    second[i] = next;
    const own = Number.isNaN(cos[labelOf[i]]) ? 0 : cos[labelOf[i]];
    const other = first >= 0 && !Number.isNaN(cos[first]) ? cos[first] : 0;
    difficulty[i] = other - own;
  }

  const spread = JITTER_SPREAD * standardDeviation(difficulty);
  const jitter = Float64Array.from(texts, (t) => unitHash(t, seed, SALT_JITTER));
  const score = Float64Array.from(difficulty, (d, i) => d + (2 * jitter[i] - 1) * spread);
  const order = Array.from({ length: n }, (_, i) => i);
  // Hardest first; exact ties (e.g. no spread at all) fall back to the hash, then the text.
  order.sort((a, b) => score[b] - score[a] || jitter[b] - jitter[a] || (texts[a] < texts[b] ? -1 : texts[a] > texts[b] ? 1 : 0));

  for (let r = 0; r < mistakes; r++) {
    const i = order[r];
    const useSecond = second[i] >= 0 && unitHash(texts[i], seed, SALT_CHOICE) < SECOND_CHOICE_SHARE;
    let wrong = useSecond ? second[i] : nearest[i];
    // No other label has texts to be confused with: any other label, chosen by hash.
    if (wrong < 0) wrong = (labelOf[i] + 1 + Math.floor(unitHash(texts[i], seed, SALT_CHOICE) * (labels.length - 1))) % labels.length;
    answers.set(texts[i], labels[wrong]);
  }
  return { answers, gold, mistakes };
}

function standardDeviation(xs: Float64Array): number {
  if (xs.length === 0) return 0;
  let mean = 0;
  for (const x of xs) mean += x;
  mean /= xs.length;
  let sq = 0;
  for (const x of xs) sq += (x - mean) ** 2;
  return Math.sqrt(sq / xs.length);
}

/** A uniform-looking number in [0, 1) from a text and seed, the same on every machine. */
function unitHash(text: string, seed: number, salt: number): number {
  return fmix32(hashRange(text, 0, text.length, salt) ^ fmix32(seed >>> 0)) / 4294967296;
}
