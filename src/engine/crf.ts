// Linear-chain CRF over BIO tags: emission scores from sparse token features, transition scores
// between tags, constrained Viterbi decoding and scaled forward–backward.
//
// Tag layout for K labels: 0 = O, 1..K = B-label, K+1..2K = I-label. The transitions a model may
// use form a sparse graph (TransitionGraph): anything → O, O → B-k, B-k → I-k, I-k → I-k, and the
// span-to-span moves (B/I-j → B-k) seen in training, as CRFsuite generates transition features
// only for pairs it saw. I-k can only follow B-k or I-k and never starts a text, so no invalid
// sequence can come out whatever the weights; and decoding costs O(tokens × edges) rather than
// O(tokens × tags²), about ten times less for SNIPS's 79 tags.
//
// Emission weights exist only for the (feature, tag) pairs seen in training (CSR: rowStart,
// pairTag, pairWeight), as CRFsuite does by default: a fraction of the size of a dense table.

/** Below this log-ratio to the best tag, a tag's weight is taken as zero (e^-30 ≈ 1e-13). */
const NEGLIGIBLE = -30;

export interface CrfWeights {
  /** Number of labels K; tags L = 2K + 1. */
  labelCount: number;
  /** CSR over feature rows: pairs of row r are rowStart[r] .. rowStart[r + 1]. */
  rowStart: Int32Array;
  pairTag: Int32Array;
  pairWeight: Float32Array | Float64Array;
  /** L × L, from-tag major; only the graph's edges are ever read. */
  transition: Float64Array;
  graph: TransitionGraph;
  /** Score of each tag as the first one. */
  start: Float64Array;
}

export const tagCount = (labelCount: number) => 2 * labelCount + 1;
export const beginTag = (label: number) => 1 + label;
export const insideTag = (label: number, labelCount: number) => 1 + labelCount + label;
/** Label of a B or I tag; -1 for O. */
export const labelOfTag = (tag: number, labelCount: number) => (tag === 0 ? -1 : tag <= labelCount ? tag - 1 : tag - 1 - labelCount);

/** The allowed transitions, as incoming and outgoing adjacency lists (CSR) of edge ids p·L + y. */
export interface TransitionGraph {
  /** Every allowed edge p·L + y, ascending. */
  edges: Int32Array;
  inStart: Int32Array;
  inFrom: Int32Array;
  outStart: Int32Array;
  outTo: Int32Array;
}

/** The structural edges plus `extra` (edge ids p·L + y); edges into I-k other than from B-k or I-k are refused. */
export function transitionGraph(labelCount: number, extra: Iterable<number>): TransitionGraph {
  const K = labelCount;
  const L = tagCount(K);
  const set = new Set<number>();
  for (let p = 0; p < L; p++) set.add(p * L);
  for (let k = 0; k < K; k++) {
    set.add(1 + k);
    set.add((1 + k) * L + 1 + K + k);
    set.add((1 + K + k) * L + 1 + K + k);
  }
  for (const e of extra) {
    const p = Math.floor(e / L);
    const y = e - p * L;
    if (!(Number.isInteger(e) && p >= 0 && p < L && y >= 0)) throw new RangeError(`transition ${e} is out of range`);
    if (y > K && p !== y && p !== y - K) throw new RangeError(`transition ${p} → ${y} would allow an I- tag without its B-`);
    set.add(e);
  }
  const edges = Int32Array.from(set).sort();
  const inStart = new Int32Array(L + 1);
  const outStart = new Int32Array(L + 1);
  for (const e of edges) {
    inStart[(e % L) + 1]++;
    outStart[Math.floor(e / L) + 1]++;
  }
  for (let y = 0; y < L; y++) {
    inStart[y + 1] += inStart[y];
    outStart[y + 1] += outStart[y];
  }
  const inFrom = new Int32Array(edges.length);
  const outTo = new Int32Array(edges.length);
  const inFill = inStart.slice(0, L);
  const outFill = outStart.slice(0, L);
  for (const e of edges) {
    const p = Math.floor(e / L);
    const y = e - p * L;
    inFrom[inFill[y]++] = p;
    outTo[outFill[p]++] = y;
  }
  return { edges, inStart, inFrom, outStart, outTo };
}

/** True when no I-k follows anything but B-k or I-k, and the first tag is not I-k. */
export function isValidTagSequence(tags: ArrayLike<number>, labelCount: number): boolean {
  for (let t = 0; t < tags.length; t++) {
    const y = tags[t];
    if (y <= labelCount) continue;
    if (t === 0) return false;
    const p = tags[t - 1];
    if (p !== y && p !== y - labelCount) return false;
  }
  return true;
}

/** Growable scratch buffers, so decoding allocates nothing once warmed up. */
export class ChainScratch {
  emit = new Float64Array(0);
  alpha = new Float64Array(0);
  beta = new Float64Array(0);
  psi = new Float64Array(0);
  /** Training: tag marginal minus gold indicator, per token and tag. */
  residual = new Float64Array(0);
  scale = new Float64Array(0);
  backPointer = new Int32Array(0);
  best = new Float64Array(0);

  ensure(tokens: number, tags: number): void {
    const size = tokens * tags;
    if (this.emit.length < size) {
      const cap = Math.max(size, this.emit.length * 2);
      this.emit = new Float64Array(cap);
      this.alpha = new Float64Array(cap);
      this.beta = new Float64Array(cap);
      this.psi = new Float64Array(cap);
      this.residual = new Float64Array(cap);
      this.backPointer = new Int32Array(cap);
    }
    if (this.scale.length < tokens) {
      const cap = Math.max(tokens, this.scale.length * 2);
      this.scale = new Float64Array(cap);
    }
    if (this.best.length < tags) this.best = new Float64Array(tags);
  }
}

/**
 * emit[t·L + y] = Σ over token t's feature rows of the row's weight for tag y, times `weightScale`
 * (SGD keeps weights as scale · v). `rows` holds `perToken` rows per token, -1 for unknown features.
 */
export function computeEmissions(w: CrfWeights, rows: Int32Array, rowOffset: number, tokens: number, perToken: number, weightScale: number, emit: Float64Array): void {
  const L = tagCount(w.labelCount);
  const { rowStart, pairTag, pairWeight } = w;
  emit.fill(0, 0, tokens * L);
  for (let t = 0; t < tokens; t++) {
    const o = t * L;
    const base = rowOffset + t * perToken;
    for (let k = 0; k < perToken; k++) {
      const r = rows[base + k];
      if (r < 0) continue;
      const end = rowStart[r + 1];
      for (let p = rowStart[r]; p < end; p++) emit[o + pairTag[p]] += pairWeight[p];
    }
    if (weightScale !== 1) for (let y = 0; y < L; y++) emit[o + y] *= weightScale;
  }
}

/** Best valid tag sequence for the emissions in `s.emit`; writes it to `out`, returns its score. */
export function viterbi(w: CrfWeights, tokens: number, s: ChainScratch, out: Int32Array): number {
  const K = w.labelCount;
  const L = tagCount(K);
  const { transition, start } = w;
  const emit = s.emit;
  const delta = s.alpha;
  const bp = s.backPointer;
  if (tokens === 0) return 0;
  for (let y = 0; y <= K; y++) delta[y] = start[y] + emit[y];
  for (let y = K + 1; y < L; y++) delta[y] = -Infinity;
  const { inStart, inFrom } = w.graph;
  for (let t = 1; t < tokens; t++) {
    const prev = (t - 1) * L;
    const cur = t * L;
    for (let y = 0; y < L; y++) {
      let top = -Infinity;
      let arg = 0;
      for (let j = inStart[y]; j < inStart[y + 1]; j++) {
        const p = inFrom[j];
        const v = delta[prev + p] + transition[p * L + y];
        if (v > top) {
          top = v;
          arg = p;
        }
      }
      delta[cur + y] = top + emit[cur + y];
      bp[cur + y] = arg;
    }
  }
  const last = (tokens - 1) * L;
  let arg = 0;
  for (let y = 1; y < L; y++) if (delta[last + y] > delta[last + arg]) arg = y;
  const score = delta[last + arg];
  out[tokens - 1] = arg;
  for (let t = tokens - 1; t > 0; t--) {
    arg = bp[t * L + arg];
    out[t - 1] = arg;
  }
  return score;
}

/** Score of one tag sequence under the emissions in `s.emit` (the sequence must be valid). */
export function sequenceScore(w: CrfWeights, tokens: number, s: ChainScratch, tags: ArrayLike<number>): number {
  if (tokens === 0) return 0;
  const L = tagCount(w.labelCount);
  let score = w.start[tags[0]] + s.emit[tags[0]];
  for (let t = 1; t < tokens; t++) score += w.transition[tags[t - 1] * L + tags[t]] + s.emit[t * L + tags[t]];
  return score;
}

/**
 * Scaled forward–backward at temperature T (scores divided by T). `expTransition` and `expStart`
 * are exp(transition / T) and exp(start / T). Fills s.psi (exp of the shifted emissions), s.alpha
 * and s.beta (scaled so that alpha·beta is the tag marginal) and s.scale; returns log Z at T.
 */
export function forwardBackward(w: CrfWeights, tokens: number, s: ChainScratch, expTransition: Float64Array, expStart: Float64Array, temperature: number): number {
  if (tokens === 0) return 0;
  const K = w.labelCount;
  const L = tagCount(K);
  const { emit, psi, alpha, beta, scale } = s;
  const invT = 1 / temperature;
  let logZ = 0;
  for (let t = 0; t < tokens; t++) {
    const o = t * L;
    let max = -Infinity;
    for (let y = 0; y < L; y++) if (emit[o + y] > max) max = emit[o + y];
    for (let y = 0; y < L; y++) {
      // Math.exp is the costliest step of decoding; a tag e^-30 below the best one adds nothing.
      const d = (emit[o + y] - max) * invT;
      psi[o + y] = d < NEGLIGIBLE ? 0 : Math.exp(d);
    }
    logZ += max * invT;
  }
  // Forward.
  let c = 0;
  for (let y = 0; y <= K; y++) {
    alpha[y] = expStart[y] * psi[y];
    c += alpha[y];
  }
  for (let y = K + 1; y < L; y++) alpha[y] = 0;
  let incoming = 0;
  for (let y = 0; y <= K; y++) incoming += expStart[y];
  if (!(c > incoming * RESCUE_BELOW)) {
    const rescued = rescueForwardStep(w.graph, L, K, 0, emit, psi, alpha, expTransition, expStart, invT);
    c = rescued.mass;
    logZ += rescued.shift;
  }
  scale[0] = c;
  for (let y = 0; y < L; y++) alpha[y] /= c;
  const { inStart, inFrom, outStart, outTo } = w.graph;
  for (let t = 1; t < tokens; t++) {
    const prev = (t - 1) * L;
    const cur = t * L;
    incoming = 0;
    for (let y = 0; y < L; y++) {
      let sum = 0;
      for (let j = inStart[y]; j < inStart[y + 1]; j++) {
        const p = inFrom[j];
        sum += alpha[prev + p] * expTransition[p * L + y];
      }
      alpha[cur + y] = sum;
      incoming += sum;
    }
    c = 0;
    for (let y = 0; y < L; y++) {
      alpha[cur + y] *= psi[cur + y];
      c += alpha[cur + y];
    }
    if (!(c > incoming * RESCUE_BELOW)) {
      const rescued = rescueForwardStep(w.graph, L, K, t, emit, psi, alpha, expTransition, expStart, invT);
      c = rescued.mass;
      logZ += rescued.shift;
    }
    scale[t] = c;
    const inv = 1 / c;
    for (let y = 0; y < L; y++) alpha[cur + y] *= inv;
  }
  for (let t = 0; t < tokens; t++) logZ += Math.log(scale[t]);
  // Backward: beta[t][p] = Σ_y E[p, y] · psi[t+1][y] · beta[t+1][y] / c[t+1].
  const last = (tokens - 1) * L;
  for (let y = 0; y < L; y++) beta[last + y] = 1;
  const u = s.best;
  for (let t = tokens - 2; t >= 0; t--) {
    const cur = t * L;
    const next = (t + 1) * L;
    const inv = 1 / scale[t + 1];
    for (let y = 0; y < L; y++) u[y] = psi[next + y] * beta[next + y] * inv;
    for (let p = 0; p < L; p++) {
      const row = p * L;
      let sum = 0;
      for (let j = outStart[p]; j < outStart[p + 1]; j++) {
        const y = outTo[j];
        sum += expTransition[row + y] * u[y];
      }
      beta[cur + p] = sum;
    }
  }
  return logZ;
}

/**
 * A forward step's kept mass below this share of its incoming mass is done again (rescueForwardStep).
 * The fast step drops tags more than e^-30 below the token's best tag, so what it drops is below
 * e^-30 of the incoming mass; above this share that is within e^-15 (3e-7) of what it keeps.
 */
export const RESCUE_BELOW = Math.exp(-15);
/** Largest log weight a rescued step gives a tag (see rescueForwardStep). */
const MAX_RESCUED_LOG_WEIGHT = 700;

/**
 * A forward step done again, exactly. The fast step weighs each tag by its emission against the
 * token's best tag and drops tags more than e^-30 below it. That is safe while the best tag is
 * one the paths reach; when it is an I- tag whose B- had (almost) no mass at the token before,
 * the step drops the tags that carry the mass: log Z came out -∞ (every probability NaN; a
 * transfer message did it to a specialist trained on 250 examples) or hundreds of nats off.
 * Here each tag is weighed by its incoming mass times its emission, against the best such
 * product, with nothing dropped; tags with no incoming mass get weight 0, which changes nothing a
 * marginal reads (only paths through tags with forward mass count). A weight is capped at e^700,
 * reached only by a tag with incoming mass below e^-700, so nothing overflows. Fills `psi` and
 * the unnormalised `alpha` of token t; returns the step's mass and what log Z gains from its new
 * shift (the caller had added the token's largest emission / T). Rare, so plain Math.exp and
 * Math.log; crf-decode.ts calls this same function.
 */
export function rescueForwardStep(graph: TransitionGraph, L: number, K: number, t: number, emit: Float64Array, psi: Float64Array, alpha: Float64Array, expTransition: Float64Array, expStart: Float64Array, invT: number): { mass: number; shift: number } {
  const cur = t * L;
  const prev = cur - L;
  let oldMax = -Infinity;
  for (let y = 0; y < L; y++) if (emit[cur + y] > oldMax) oldMax = emit[cur + y];
  // Incoming mass of each tag, before its emission: alpha holds it until weighed.
  let top = -Infinity;
  for (let y = 0; y < L; y++) {
    let into = 0;
    if (t === 0) into = y <= K ? expStart[y] : 0;
    else for (let j = graph.inStart[y]; j < graph.inStart[y + 1]; j++) into += alpha[prev + graph.inFrom[j]] * expTransition[graph.inFrom[j] * L + y];
    alpha[cur + y] = into;
    if (into > 0) top = Math.max(top, Math.log(into) + emit[cur + y] * invT);
  }
  let mass = 0;
  for (let y = 0; y < L; y++) {
    psi[cur + y] = alpha[cur + y] > 0 ? Math.exp(Math.min(emit[cur + y] * invT - top, MAX_RESCUED_LOG_WEIGHT)) : 0;
    alpha[cur + y] *= psi[cur + y];
    mass += alpha[cur + y];
  }
  return { mass, shift: top - oldMax * invT };
}

/** exp(x / T) of every entry (transitions and start scores for forwardBackward). */
export function expScaled(values: Float64Array, temperature: number, out: Float64Array = new Float64Array(values.length)): Float64Array {
  for (let i = 0; i < values.length; i++) out[i] = Math.exp(values[i] / temperature);
  return out;
}

/**
 * Marginal probability that tokens first..last form exactly one span of `label` (B at first, I
 * after, and no I of the label right after last), from the state forwardBackward left in `s`.
 */
export function spanMarginal(w: Pick<CrfWeights, "labelCount">, tokens: number, s: Pick<ChainScratch, "alpha" | "beta" | "psi" | "scale">, expTransition: Float64Array, label: number, first: number, last: number): number {
  const K = w.labelCount;
  const L = tagCount(K);
  const b = 1 + label;
  const i = 1 + K + label;
  const { alpha, beta, psi, scale } = s;
  let p = alpha[first * L + b];
  let tag = b;
  for (let t = first + 1; t <= last; t++) {
    p *= (expTransition[tag * L + i] * psi[t * L + i]) / scale[t];
    tag = i;
  }
  let after = beta[last * L + tag];
  if (last + 1 < tokens) after -= (expTransition[tag * L + i] * psi[(last + 1) * L + i] * beta[(last + 1) * L + i]) / scale[last + 1];
  return Math.min(1, Math.max(0, p * after));
}
