// Random linear-chain CRFs for the engine's CRF tests (crf.test.ts, crf-decode.test.ts).
import { tagCount, transitionGraph, type CrfWeights } from "../../src/engine/crf.js";
import { mulberry32 } from "../../src/engine/random.js";

export interface RandomCrfOptions {
  /** Weights are uniform in ±spread (default 2). */
  spread?: number;
  /** Chance of each optional transition into a B- tag (default 0.5). */
  extraRate?: number;
  /** Float32 feature weights, as model files store them (default float64). */
  float32?: boolean;
}

/** A random CRF over K labels and F feature rows, each row with weights for a random subset of tags. */
export function randomCrf(K: number, F: number, seed: number, options: RandomCrfOptions = {}): CrfWeights {
  const { spread = 2, extraRate = 0.5, float32 = false } = options;
  const L = tagCount(K);
  const r = mulberry32(seed);
  const rowStart = [0];
  const pairTag: number[] = [];
  for (let f = 0; f < F; f++) {
    for (let y = 0; y < L; y++) if (r() < 0.6) pairTag.push(y);
    rowStart.push(pairTag.length);
  }
  const extra: number[] = [];
  for (let p = 1; p < L; p++) for (let y = 1; y <= K; y++) if (r() < extraRate) extra.push(p * L + y);
  const w = (n: number) => Float64Array.from({ length: n }, () => (r() - 0.5) * 2 * spread);
  const pairWeight = w(pairTag.length);
  return {
    labelCount: K,
    rowStart: Int32Array.from(rowStart),
    pairTag: Int32Array.from(pairTag),
    pairWeight: float32 ? Float32Array.from(pairWeight) : pairWeight,
    transition: w(L * L),
    start: w(L),
    graph: transitionGraph(K, extra),
  };
}
