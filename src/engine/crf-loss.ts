// The CRF's training loss for one text, −log P(gold tags | text) = log Z − score(gold), and its
// gradient: per token and tag, the tag's marginal minus the gold indicator (s.residual, which the
// caller spreads over the token's feature pairs), and the expected minus the observed transition
// and start counts (added into transitionGradient and startGradient).
import { computeEmissions, forwardBackward, sequenceScore, tagCount, type ChainScratch, type CrfWeights } from "./crf.js";

export interface CrfSentence {
  /** Feature rows, `perToken` per token, -1 for unknown. */
  rows: Int32Array;
  rowOffset: number;
  tokens: number;
  gold: Int32Array;
  goldOffset: number;
}

export function sentenceLoss(
  w: CrfWeights,
  x: CrfSentence,
  perToken: number,
  weightScale: number,
  s: ChainScratch,
  expTransition: Float64Array,
  expStart: Float64Array,
  transitionGradient: Float64Array,
  startGradient: Float64Array,
): number {
  const n = x.tokens;
  if (n === 0) return 0;
  const L = tagCount(w.labelCount);
  s.ensure(n, L);
  computeEmissions(w, x.rows, x.rowOffset, n, perToken, weightScale, s.emit);
  const gold = x.gold.subarray(x.goldOffset, x.goldOffset + n);
  const loss = forwardBackward(w, n, s, expTransition, expStart, 1) - sequenceScore(w, n, s, gold);
  const { alpha, beta, psi, scale, residual } = s;
  const { inStart, inFrom } = w.graph;
  for (let t = 0; t < n; t++) {
    const o = t * L;
    for (let y = 0; y < L; y++) residual[o + y] = alpha[o + y] * beta[o + y];
    residual[o + gold[t]] -= 1;
  }
  for (let y = 0; y < L; y++) startGradient[y] += alpha[y] * beta[y];
  startGradient[gold[0]] -= 1;
  for (let t = 1; t < n; t++) {
    const prev = (t - 1) * L;
    const cur = t * L;
    const inv = 1 / scale[t];
    for (let y = 0; y < L; y++) {
      const into = psi[cur + y] * beta[cur + y] * inv;
      for (let j = inStart[y]; j < inStart[y + 1]; j++) {
        const e = inFrom[j] * L + y;
        transitionGradient[e] += alpha[prev + inFrom[j]] * expTransition[e] * into;
      }
    }
    transitionGradient[gold[t - 1] * L + gold[t]] -= 1;
  }
  return loss;
}
