import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ChainScratch, expScaled, forwardBackward, isValidTagSequence, sequenceScore, spanMarginal, tagCount, transitionGraph, viterbi, type CrfWeights } from "../../src/engine/crf.js";
import { sentenceLoss } from "../../src/engine/crf-loss.js";
import { mulberry32 } from "../../src/engine/random.js";
import { randomCrf } from "./random-crf.js";

function randomRows(tokens: number, perToken: number, F: number, seed: number): Int32Array {
  const r = mulberry32(seed);
  return Int32Array.from({ length: tokens * perToken }, () => (r() < 0.1 ? -1 : Math.floor(r() * F)));
}

/** Every tag sequence the graph allows (brute force, for tiny chains). */
function allPaths(w: CrfWeights, n: number): number[][] {
  const L = tagCount(w.labelCount);
  const edges = new Set(w.graph.edges);
  let paths: number[][] = [];
  for (let y = 0; y <= w.labelCount; y++) paths.push([y]);
  for (let t = 1; t < n; t++) paths = paths.flatMap((p) => Array.from({ length: L }, (_, y) => y).filter((y) => edges.has(p[t - 1] * L + y)).map((y) => [...p, y]));
  return paths;
}

function emissions(w: CrfWeights, rows: Int32Array, n: number, perToken: number, s: ChainScratch) {
  const L = tagCount(w.labelCount);
  s.ensure(n, L);
  s.emit.fill(0);
  for (let t = 0; t < n; t++) {
    for (let k = 0; k < perToken; k++) {
      const row = rows[t * perToken + k];
      if (row < 0) continue;
      for (let p = w.rowStart[row]; p < w.rowStart[row + 1]; p++) s.emit[t * L + w.pairTag[p]] += w.pairWeight[p];
    }
  }
}

describe("linear-chain CRF", () => {
  it("never decodes an invalid BIO sequence, whatever the weights", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 12 }), fc.integer(), fc.double({ min: 0.1, max: 50, noNaN: true }), (K, n, seed, spread) => {
        const w = randomCrf(K, 6, seed, { spread });
        const s = new ChainScratch();
        emissions(w, randomRows(n, 3, 6, seed ^ 1), n, 3, s);
        const out = new Int32Array(n);
        viterbi(w, n, s, out);
        expect(isValidTagSequence(out, K)).toBe(true);
      }),
    );
  });

  it("decodes the best path and computes log Z and span marginals exactly (checked by enumeration)", () => {
    const K = 2;
    const n = 4;
    const w = randomCrf(K, 5, 11);
    const s = new ChainScratch();
    const rows = randomRows(n, 2, 5, 3);
    emissions(w, rows, n, 2, s);
    const paths = allPaths(w, n);
    const scores = paths.map((p) => sequenceScore(w, n, s, p));
    const best = scores.indexOf(Math.max(...scores));
    const out = new Int32Array(n);
    expect(viterbi(w, n, s, out)).toBeCloseTo(scores[best], 10);
    expect(Array.from(out)).toEqual(paths[best]);
    for (const T of [1, 0.5, 3]) {
      emissions(w, rows, n, 2, s);
      const expT = expScaled(w.transition, T);
      const logZ = forwardBackward(w, n, s, expT, expScaled(w.start, T), T);
      expect(logZ).toBeCloseTo(Math.log(scores.reduce((a, x) => a + Math.exp(x / T), 0)), 9);
      // P(label 0 exactly on tokens 1..2) by enumeration: B-0 at 1, I-0 at 2, no I-0 at 3.
      const B = 1;
      const I = 1 + K;
      const want = paths.reduce((a, p, i) => (p[1] === B && p[2] === I && p[3] !== I ? a + Math.exp(scores[i] / T - logZ) : a), 0);
      expect(spanMarginal(w, n, s, expT, 0, 1, 2)).toBeCloseTo(want, 10);
    }
  });

  it("keeps log Z and span marginals exact when a token's best tag is one no path can reach", () => {
    // Token 0's best tag is I-0 (no path starts inside a span), token 1's is I-1, whose only way
    // in, B-1 at token 0, has start weight e^-1000: every reachable tag is far below the best one,
    // the fast forward step drops them all, and without its rescue log Z was -∞ and the marginals NaN.
    const K = 2;
    const n = 4;
    const w = randomCrf(K, 5, 23);
    w.start[1 + 1] = -1000;
    const s = new ChainScratch();
    const rows = randomRows(n, 2, 5, 5);
    const L = tagCount(K);
    const I0 = 1 + K;
    const I1 = 2 + K;
    const paths = allPaths(w, n);
    for (const T of [1, 0.5, 3]) {
      emissions(w, rows, n, 2, s);
      s.emit[0 * L + I0] += 300;
      s.emit[1 * L + I1] += 300;
      const scores = paths.map((p) => sequenceScore(w, n, s, p) / T);
      const top = Math.max(...scores);
      const exactLogZ = top + Math.log(scores.reduce((a, x) => a + Math.exp(x - top), 0));
      const expT = expScaled(w.transition, T);
      const logZ = forwardBackward(w, n, s, expT, expScaled(w.start, T), T);
      expect(logZ).toBeCloseTo(exactLogZ, 9);
      for (const [label, first, last] of [[0, 1, 2], [1, 2, 3], [0, 3, 3]] as const) {
        const B = 1 + label;
        const I = 1 + K + label;
        const want = paths.reduce((a, p, i) => (p[first] === B && p.slice(first + 1, last + 1).every((y) => y === I) && p[last + 1] !== I ? a + Math.exp(scores[i] - exactLogZ) : a), 0);
        expect(spanMarginal(w, n, s, expT, label, first, last)).toBeCloseTo(want, 10);
      }
    }
  });

  it("has the analytic gradient of its loss (numerical check)", () => {
    const K = 2;
    const L = tagCount(K);
    const n = 5;
    const perToken = 3;
    const w = randomCrf(K, 4, 5, { spread: 1 });
    const rows = randomRows(n, perToken, 4, 9);
    const gold = Int32Array.from([0, 1, 1 + K, 0, 2]);
    const x = { rows, rowOffset: 0, tokens: n, gold, goldOffset: 0 };
    const s = new ChainScratch();
    const loss = () => sentenceLoss(w, x, perToken, 1, s, expScaled(w.transition, 1), expScaled(w.start, 1), new Float64Array(L * L), new Float64Array(L));
    const gT = new Float64Array(L * L);
    const gS = new Float64Array(L);
    sentenceLoss(w, x, perToken, 1, s, expScaled(w.transition, 1), expScaled(w.start, 1), gT, gS);
    // The emission gradient of a pair is the sum over the tokens where its row fires of the residual.
    const gPair = new Float64Array(w.pairTag.length);
    for (let t = 0; t < n; t++) {
      for (let k = 0; k < perToken; k++) {
        const r = rows[t * perToken + k];
        if (r < 0) continue;
        for (let p = w.rowStart[r]; p < w.rowStart[r + 1]; p++) gPair[p] += s.residual[t * L + w.pairTag[p]];
      }
    }
    const h = 1e-5;
    const numeric = (arr: Float64Array | Float32Array, i: number) => {
      const v = arr[i];
      arr[i] = v + h;
      const up = loss();
      arr[i] = v - h;
      const down = loss();
      arr[i] = v;
      return (up - down) / (2 * h);
    };
    for (let p = 0; p < gPair.length; p++) expect(gPair[p]).toBeCloseTo(numeric(w.pairWeight, p), 6);
    for (const e of w.graph.edges) expect(gT[e]).toBeCloseTo(numeric(w.transition, e), 6);
    for (let y = 0; y <= K; y++) expect(gS[y]).toBeCloseTo(numeric(w.start, y), 6);
  });

  it("refuses a transition graph that would let I- follow another label", () => {
    const L = tagCount(2);
    expect(() => transitionGraph(2, [0 * L + 3])).toThrow(/I- tag without its B-/);
  });
});
