// Prediction-time decoding for a trained CRF: the same arithmetic as crf.ts's viterbi and
// forwardBackward (same operations in the same order, so the same bits; span marginals call its
// spanMarginal on this decoder's state), laid out for one model at a fixed temperature. Everything that depends only on the model is computed
// once here, at load, instead of on every call:
// - each edge's transition score and exp(score / T), stored in the order the loops read them
//   (incoming edges per tag for Viterbi and the forward pass, outgoing for the backward pass),
//   so the inner loops read three arrays sequentially instead of gathering from an L × L table;
// - the bias feature's weights (the same row on every token, added first), as the starting
//   emission row, which is exactly what adding it to zeros gives;
// - feature value → weights in one step: a RowTable (span-features.ts) whose slots hold the value and
//   the offset of its block in one packed buffer (count, then tag and weight pairs side by side).
//   A rare feature then costs two cache misses (slot, block) instead of four (slot, row start,
//   tags, weights); the emission sum is bound by those misses, not by arithmetic.
// Weights are used at float32 precision, as model files store them.
// Viterbi and the forward pass share one loop over the incoming edges; the backward pass stops at
// the last token a span marginal needs. crf.ts stays the reference (and training's code); a test
// checks this against it on random models.
import { RESCUE_BELOW, rescueForwardStep, spanMarginal, tagCount, type CrfWeights, type TransitionGraph } from "./crf.js";
import { RowTable } from "./span-features.js";

/** Below this log-ratio to the best tag, a tag's weight is taken as zero (as in crf.ts). */
const NEGLIGIBLE = -30;

// exp(d) for NEGLIGIBLE ≤ d ≤ 0, about three times faster than Math.exp (which was 15% of a
// prediction) and within 2e-15 of it: d = n·ln2/64 + r with |r| ≤ ln2/128, exp(d) = 2^(n/64) ·
// exp(r), the first factor from a table, the second from its Taylor series to r⁵ (error below
// r⁶/720 ≈ 4e-17). Only integer-free double arithmetic, so the same on every engine.
const EXP_STEPS = 64;
const EXP_INV_STEP = EXP_STEPS / Math.LN2;
/** ln2/64 split in two: the high part has few enough bits that n · high is exact. */
const EXP_STEP_HI = Math.floor((Math.LN2 / EXP_STEPS) * 2 ** 40) / 2 ** 40;
const EXP_STEP_LO = Math.LN2 / EXP_STEPS - EXP_STEP_HI;
/** Adding and subtracting 1.5 · 2^52 rounds a double of magnitude below 2^51 to the nearest integer. */
const ROUND = 6755399441055744;
const EXP_TABLE = Float64Array.from({ length: Math.ceil(-NEGLIGIBLE * EXP_INV_STEP) + 2 }, (_, m) => Math.pow(2, -m / EXP_STEPS));

/** exp(d) for NEGLIGIBLE ≤ d ≤ 0 (outside that range, wrong). */
export function expNonPositive(d: number): number {
  const n = d * EXP_INV_STEP + ROUND - ROUND;
  const r = d - n * EXP_STEP_HI - n * EXP_STEP_LO;
  return EXP_TABLE[-n | 0] * (1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120))))));
}

export class CrfDecoder {
  readonly labelCount: number;
  readonly tags: number;
  /** Feature value → the offset of its block in `packedInt`/`packedFloat`. */
  private readonly table: RowTable;
  /** Blocks: packedInt[o] = pair count, then per pair packedInt[o + 1 + 2m] = tag, packedFloat[o + 2 + 2m] = weight. */
  private readonly packedInt: Int32Array;
  private readonly packedFloat: Float32Array;
  private readonly biasBlock: number;
  /** Emission row every token starts from: the bias row's weights, or zeros. */
  private readonly base: Float64Array;
  /** Transition score (and its exp at T) of every tag into O, by from-tag: every tag may precede O. */
  private readonly toO: Float64Array;
  private readonly expToO: Float64Array;
  /** Edges into B-k (from O, and the span-to-span moves seen in training), CSR by k, from-tags ascending. */
  private readonly bStart: Int32Array;
  private readonly bFrom: Int32Array;
  private readonly bScore: Float64Array;
  private readonly bExp: Float64Array;
  /** B-k → I-k and I-k → I-k, by k: I-k's only predecessors. */
  private readonly bToI: Float64Array;
  private readonly iToI: Float64Array;
  private readonly expBToI: Float64Array;
  private readonly expIToI: Float64Array;
  private readonly start: Float64Array;
  private readonly expStart: Float64Array;
  /** exp(transition / T), L × L, for span marginals (and, with the graph, a forward step redone: rescueForwardStep). */
  private readonly expTransition: Float64Array;
  private readonly graph: TransitionGraph;
  /** Σ exp(start / T) over the tags a path may start with: the first token's incoming mass. */
  private readonly startMass: number;
  private readonly invT: number;

  emit = new Float64Array(0);
  private psi = new Float64Array(0);
  private delta = new Float64Array(0);
  private alpha = new Float64Array(0);
  private beta = new Float64Array(0);
  private scale = new Float64Array(0);
  private u = new Float64Array(0);
  /** log Z at the model's temperature, from the last `decode`. */
  logZ = 0;
  private tokens = 0;
  /** Pairs summed by the last `emissions` (keeps the pass that loads the blocks from being dropped). */
  touched = 0;
  /** Partial emission rows kept across calls (see `emissions`): `rowCount` × tags, allocated on first use. */
  private rows = new Float64Array(0);
  private readonly rowCount: number;
  private readonly prefix: number;

  /**
   * `features[r]` is the feature value (non-negative) of row r; `bias` the value every token has
   * first. `rowCache`: how many partial emission rows `emissions` may keep, and after how many of
   * a token's features.
   */
  constructor(
    w: CrfWeights,
    readonly temperature: number,
    features: Int32Array,
    bias: number,
    rowCache: { rows: number; prefix: number } = { rows: 0, prefix: 0 },
  ) {
    const K = w.labelCount;
    const L = tagCount(K);
    this.labelCount = K;
    this.tags = L;
    this.rowCount = rowCache.rows;
    this.prefix = rowCache.prefix;
    const F = features.length;
    if (w.rowStart.length !== F + 1) throw new Error("feature count does not match the model's weights");
    const buffer = new ArrayBuffer(4 * (F + 2 * w.pairTag.length));
    this.packedInt = new Int32Array(buffer);
    this.packedFloat = new Float32Array(buffer);
    const blocks = new Int32Array(F);
    let o = 0;
    for (let r = 0; r < F; r++) {
      blocks[r] = o;
      this.packedInt[o] = w.rowStart[r + 1] - w.rowStart[r];
      for (let p = w.rowStart[r]; p < w.rowStart[r + 1]; p++) {
        this.packedInt[++o] = w.pairTag[p];
        this.packedFloat[++o] = w.pairWeight[p];
      }
      o++;
    }
    this.table = new RowTable(features, blocks);
    const biasRow = features.indexOf(bias);
    this.biasBlock = biasRow >= 0 ? blocks[biasRow] : -1;
    this.invT = 1 / temperature;
    this.base = new Float64Array(L);
    if (biasRow >= 0) for (let p = w.rowStart[biasRow]; p < w.rowStart[biasRow + 1]; p++) this.base[w.pairTag[p]] += Math.fround(w.pairWeight[p]);
    const g = w.graph;
    const fail = () => {
      throw new Error("the transition graph is not a BIO graph");
    };
    if (g.inStart[1] - g.inStart[0] !== L) fail();
    for (let k = 0; k < K; k++) {
      const i = 1 + K + k;
      if (g.inStart[i + 1] - g.inStart[i] !== 2 || g.inFrom[g.inStart[i]] !== 1 + k || g.inFrom[g.inStart[i] + 1] !== i) fail();
    }
    const ex = (v: number) => Math.exp(v / temperature);
    this.toO = new Float64Array(L);
    for (let p = 0; p < L; p++) this.toO[p] = w.transition[p * L];
    this.expToO = this.toO.map(ex);
    this.bStart = new Int32Array(K + 1);
    const first = g.inStart[1];
    for (let k = 0; k <= K; k++) this.bStart[k] = g.inStart[1 + k] - first;
    this.bFrom = g.inFrom.slice(first, g.inStart[1 + K]);
    this.bScore = new Float64Array(this.bFrom.length);
    for (let k = 0; k < K; k++) for (let j = this.bStart[k]; j < this.bStart[k + 1]; j++) this.bScore[j] = w.transition[this.bFrom[j] * L + 1 + k];
    this.bExp = this.bScore.map(ex);
    this.bToI = new Float64Array(K);
    this.iToI = new Float64Array(K);
    for (let k = 0; k < K; k++) {
      this.bToI[k] = w.transition[(1 + k) * L + 1 + K + k];
      this.iToI[k] = w.transition[(1 + K + k) * L + 1 + K + k];
    }
    this.expBToI = this.bToI.map(ex);
    this.expIToI = this.iToI.map(ex);
    this.start = w.start;
    this.expStart = Float64Array.from(w.start, (v) => Math.exp(v / temperature));
    this.expTransition = Float64Array.from(w.transition, (v) => Math.exp(v / temperature));
    this.graph = w.graph;
    let startMass = 0;
    for (let y = 0; y <= K; y++) startMass += this.expStart[y];
    this.startMass = startMass;
    this.u = new Float64Array(L);
  }

  private ensure(tokens: number): void {
    const size = tokens * this.tags;
    if (this.emit.length < size) {
      const cap = Math.max(size, this.emit.length * 2, 32 * this.tags);
      this.emit = new Float64Array(cap);
      this.psi = new Float64Array(cap);
      this.delta = new Float64Array(cap);
      this.alpha = new Float64Array(cap);
      this.beta = new Float64Array(cap);
      this.scale = new Float64Array(cap / this.tags);
    }
  }

  /**
   * Emission scores into `emit` of `tokens` tokens with `perToken` feature values each (raw
   * values, not rows; unknown ones are skipped), summed in the order given, as crf.ts does.
   * Overwrites `features` with block offsets (those a cached row stands for are left as they are).
   *
   * With `slots` (one per token): the running sum after a token's first `prefix` features (those
   * that depend on the token alone, the same wherever it occurs) is kept in row `slots[t]` when
   * that is ≥ 0 and already holds it, so the token starts from a copy of it; when `slots[t]` is
   * negative, the sum is computed and stored into row `~slots[t]` for later calls. Continuing from
   * the stored partial sum adds the same numbers in the same order, so the scores are the same bits.
   * The caller decides which token owns which row; rows are read and written in token order.
   */
  emissions(features: Int32Array, tokens: number, perToken: number, slots: Int32Array | null = null): void {
    this.ensure(tokens);
    const L = this.tags;
    const { emit, base, packedInt, biasBlock, prefix } = this;
    if (slots !== null && this.rows.length === 0) this.rows = new Float64Array(this.rowCount * L);
    const rows = this.rows;
    // Two passes, so that the cache misses of the first (slots, then blocks) are independent loads
    // the processor overlaps, instead of each waiting behind the previous feature's sums.
    let touched = 0;
    for (let t = 0; t < tokens; t++) {
      const first = t * perToken;
      for (let i = slots !== null && slots[t] >= 0 ? first + prefix : first; i < first + perToken; i++) {
        const b = this.table.find(features[i]);
        features[i] = b;
        if (b >= 0) touched += packedInt[b];
      }
    }
    this.touched = touched;
    for (let t = 0; t < tokens; t++) {
      const o = t * L;
      const first = t * perToken;
      const slot = slots === null ? -1 : slots[t];
      if (slot >= 0) {
        const r = slot * L;
        for (let y = 0; y < L; y++) emit[o + y] = rows[r + y];
        this.addFeatures(o, features, first + prefix, first + perToken);
        continue;
      }
      let k = first;
      // The bias, if any, is the first feature of every token and already in `base`.
      if (biasBlock >= 0 && features[first] === biasBlock) {
        emit.set(base, o);
        k++;
      } else {
        emit.fill(0, o, o + L);
      }
      if (slots === null) {
        this.addFeatures(o, features, k, first + perToken);
        continue;
      }
      this.addFeatures(o, features, k, first + prefix);
      const r = ~slot * L;
      for (let y = 0; y < L; y++) rows[r + y] = emit[o + y];
      this.addFeatures(o, features, first + prefix, first + perToken);
    }
  }

  /** Adds the weights of the blocks features[from, to) (block offsets, -1 skipped) to the emission row at `o`. */
  private addFeatures(o: number, features: Int32Array, from: number, to: number): void {
    const { emit, packedInt, packedFloat } = this;
    for (let k = from; k < to; k++) {
      const b = features[k];
      if (b < 0) continue;
      const end = b + 2 * packedInt[b];
      // Two pairs a step, their loads before either sum: V8 keeps loads and stores in program
      // order, so this lets the second pair's loads start early (7% faster emissions, same sums).
      let q = b + 1;
      for (; q + 2 < end; q += 4) {
        const y1 = o + packedInt[q];
        const y2 = o + packedInt[q + 2];
        const w1 = packedFloat[q + 1];
        const w2 = packedFloat[q + 3];
        emit[y1] += w1;
        emit[y2] += w2;
      }
      if (q < end) emit[o + packedInt[q]] += packedFloat[q + 1];
    }
  }

  /**
   * Viterbi (best valid path into `out`, returns its score) and the scaled forward pass (sets
   * `logZ`) over the emissions in `emit`. `backward` must follow before `spanProbability`.
   */
  decode(tokens: number, out: Int32Array): number {
    const K = this.labelCount;
    const L = this.tags;
    const { emit, psi, delta, alpha, scale, toO, expToO, bStart, bFrom, bScore, bExp, bToI, iToI, expBToI, expIToI, start, expStart, invT } = this;
    this.tokens = tokens;
    let logZ = 0;
    for (let t = 0; t < tokens; t++) {
      const o = t * L;
      let max = -Infinity;
      for (let y = 0; y < L; y++) if (emit[o + y] > max) max = emit[o + y];
      for (let y = 0; y < L; y++) {
        const d = (emit[o + y] - max) * invT;
        psi[o + y] = d < NEGLIGIBLE ? 0 : expNonPositive(d);
      }
      logZ += max * invT;
    }
    let c = 0;
    for (let y = 0; y <= K; y++) {
      delta[y] = start[y] + emit[y];
      alpha[y] = expStart[y] * psi[y];
      c += alpha[y];
    }
    for (let y = K + 1; y < L; y++) {
      delta[y] = -Infinity;
      alpha[y] = 0;
    }
    if (!(c > this.startMass * RESCUE_BELOW)) {
      const rescued = this.rescue(0);
      c = rescued.mass;
      logZ += rescued.shift;
    }
    scale[0] = c;
    for (let y = 0; y < L; y++) alpha[y] /= c;
    for (let t = 1; t < tokens; t++) {
      const prev = (t - 1) * L;
      const cur = t * L;
      // Viterbi keeps only the maxima here (Math.max, no unpredictable branch); the backtrack
      // below finds which predecessor gave each maximum on the best path only.
      // Into O, from every tag.
      let top = -Infinity;
      let sum = 0;
      for (let p = 0; p < L; p++) {
        top = Math.max(top, delta[prev + p] + toO[p]);
        sum += alpha[prev + p] * expToO[p];
      }
      delta[cur] = top + emit[cur];
      // Times the tag's weight, and into the scale, in tag order (as crf.ts, which does it in a loop of its own).
      let incoming = sum;
      c = sum * psi[cur];
      alpha[cur] = c;
      // Into B-k, from O and the span-to-span moves.
      let j = 0;
      for (let k = 0; k < K; k++) {
        const end = bStart[k + 1];
        top = -Infinity;
        sum = 0;
        // Two edges a step, loads first (as in addFeatures); the max and the sum still take them in order.
        for (; j + 1 < end; j += 2) {
          const p1 = prev + bFrom[j];
          const p2 = prev + bFrom[j + 1];
          const v1 = delta[p1] + bScore[j];
          const v2 = delta[p2] + bScore[j + 1];
          const x1 = alpha[p1] * bExp[j];
          const x2 = alpha[p2] * bExp[j + 1];
          top = Math.max(Math.max(top, v1), v2);
          sum = sum + x1 + x2;
        }
        if (j < end) {
          const p = prev + bFrom[j];
          top = Math.max(top, delta[p] + bScore[j]);
          sum += alpha[p] * bExp[j];
          j++;
        }
        delta[cur + 1 + k] = top + emit[cur + 1 + k];
        incoming += sum;
        const a = sum * psi[cur + 1 + k];
        alpha[cur + 1 + k] = a;
        c += a;
      }
      // Into I-k, from B-k and I-k.
      for (let k = 0; k < K; k++) {
        const b = prev + 1 + k;
        const i = prev + 1 + K + k;
        delta[cur + 1 + K + k] = Math.max(delta[b] + bToI[k], delta[i] + iToI[k]) + emit[cur + 1 + K + k];
        const into = alpha[b] * expBToI[k] + alpha[i] * expIToI[k];
        incoming += into;
        const a = into * psi[cur + 1 + K + k];
        alpha[cur + 1 + K + k] = a;
        c += a;
      }
      if (!(c > incoming * RESCUE_BELOW)) {
        const rescued = this.rescue(t);
        c = rescued.mass;
        logZ += rescued.shift;
      }
      scale[t] = c;
      const inv = 1 / c;
      for (let y = 0; y < L; y++) alpha[cur + y] *= inv;
    }
    for (let t = 0; t < tokens; t++) logZ += Math.log(scale[t]);
    this.logZ = logZ;
    const last = (tokens - 1) * L;
    let arg = 0;
    for (let y = 1; y < L; y++) if (delta[last + y] > delta[last + arg]) arg = y;
    const score = delta[last + arg];
    out[tokens - 1] = arg;
    for (let t = tokens - 1; t > 0; t--) {
      arg = this.bestPredecessor((t - 1) * L, arg);
      out[t - 1] = arg;
    }
    return score;
  }

  /**
   * The predecessor p of tag y that maximises delta[p] + transition[p, y] at the token whose
   * delta row starts at `prev`: the first such p in ascending order, as crf.ts's viterbi keeps.
   */
  private bestPredecessor(prev: number, y: number): number {
    const K = this.labelCount;
    const delta = this.delta;
    let top = -Infinity;
    let arg = 0;
    if (y === 0) {
      const toO = this.toO;
      for (let p = 0; p < this.tags; p++) {
        const v = delta[prev + p] + toO[p];
        if (v > top) {
          top = v;
          arg = p;
        }
      }
    } else if (y <= K) {
      const { bFrom, bScore } = this;
      for (let j = this.bStart[y - 1]; j < this.bStart[y]; j++) {
        const v = delta[prev + bFrom[j]] + bScore[j];
        if (v > top) {
          top = v;
          arg = bFrom[j];
        }
      }
    } else {
      const k = y - 1 - K;
      if (delta[prev + 1 + k] + this.bToI[k] > top) {
        top = delta[prev + 1 + k] + this.bToI[k];
        arg = 1 + k;
      }
      if (delta[prev + y] + this.iToI[k] > top) arg = y;
    }
    return arg;
  }

  /** Token t's forward step again, exactly, its kept mass being too small a share of its incoming mass (rescueForwardStep, as crf.ts). */
  private rescue(t: number): { mass: number; shift: number } {
    return rescueForwardStep(this.graph, this.tags, this.labelCount, t, this.emit, this.psi, this.alpha, this.expTransition, this.expStart, this.invT);
  }

  /** The backward pass of the last `decode`, from the last token down to token `downTo`. */
  backward(downTo: number): void {
    const L = this.tags;
    const tokens = this.tokens;
    const K = this.labelCount;
    const { psi, beta, scale, u, expToO, bStart, bFrom, bExp, expBToI, expIToI } = this;
    const last = (tokens - 1) * L;
    for (let y = 0; y < L; y++) beta[last + y] = 1;
    for (let t = tokens - 2; t >= downTo; t--) {
      const cur = t * L;
      const next = (t + 1) * L;
      const inv = 1 / scale[t + 1];
      for (let y = 0; y < L; y++) u[y] = psi[next + y] * beta[next + y] * inv;
      // beta[t][p] = Σ over p's successors y, ascending, of E[p, y] · u[y] (as crf.ts sums it),
      // written as a scatter over each tag's predecessors: O first, then B-k, then I-k.
      const u0 = u[0];
      for (let p = 0; p < L; p++) beta[cur + p] = expToO[p] * u0;
      let j = 0;
      for (let k = 0; k < K; k++) {
        const end = bStart[k + 1];
        const uy = u[1 + k];
        // Two edges a step, both products before either store (as in addFeatures), same sums.
        for (; j + 1 < end; j += 2) {
          const p1 = cur + bFrom[j];
          const p2 = cur + bFrom[j + 1];
          const x1 = bExp[j] * uy;
          const x2 = bExp[j + 1] * uy;
          beta[p1] += x1;
          beta[p2] += x2;
        }
        if (j < end) {
          beta[cur + bFrom[j]] += bExp[j] * uy;
          j++;
        }
      }
      for (let k = 0; k < K; k++) {
        const ui = u[1 + K + k];
        beta[cur + 1 + k] += expBToI[k] * ui;
        beta[cur + 1 + K + k] += expIToI[k] * ui;
      }
    }
  }

  /**
   * Marginal probability that tokens first..last form exactly one span of `label` (crf.ts's
   * spanMarginal over this decoder's state); needs `backward(downTo)` with downTo ≤ last.
   */
  spanProbability(label: number, first: number, last: number): number {
    const { alpha, beta, psi, scale } = this;
    return spanMarginal(this, this.tokens, { alpha, beta, psi, scale }, this.expTransition, label, first, last);
  }
}
