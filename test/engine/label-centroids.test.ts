import { describe, expect, it } from "vitest";
import type { SparseVector } from "../../src/engine/featurizer.js";
import { mulberry32 } from "../../src/engine/random.js";
import { LabelCentroids } from "../../src/engine/label-centroids.js";

function randomVectors(n: number, dims: number, seed: number): SparseVector[] {
  const random = mulberry32(seed);
  return Array.from({ length: n }, () => {
    const rows = [...new Set(Array.from({ length: 1 + Math.floor(random() * 6) }, () => Math.floor(random() * dims)))].sort((a, b) => a - b);
    const values = rows.map(() => random());
    const norm = Math.hypot(...values);
    return { indices: Int32Array.from(rows), values: Float32Array.from(values.map((v) => v / norm)) };
  });
}

function dense(v: SparseVector, dims: number): Float64Array {
  const out = new Float64Array(dims);
  v.indices.forEach((r, k) => (out[r] = v.values[k]));
  return out;
}

function cosine(a: Float64Array, b: Float64Array): number {
  let dot = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return aa > 0 && bb > 1e-12 ? dot / Math.sqrt(aa * bb) : 0;
}

describe("LabelCentroids", () => {
  it("matches a dense computation, own label left out", () => {
    const dims = 30;
    const labelCount = 4;
    const vectors = randomVectors(40, dims, 5);
    const labelOf = Int32Array.from(vectors, (_, i) => (i < 39 ? i % 3 : 3)); // label 3 has a single text
    const centroids = new LabelCentroids(vectors, labelOf, labelCount, dims);
    const out = new Float64Array(labelCount);
    for (let i = 0; i < vectors.length; i++) {
      centroids.cosines(vectors[i], labelOf[i], out);
      for (let l = 0; l < labelCount; l++) {
        const sum = new Float64Array(dims);
        let members = 0;
        vectors.forEach((v, j) => {
          if (labelOf[j] !== l || j === i) return;
          members++;
          dense(v, dims).forEach((x, r) => (sum[r] += x));
        });
        if (members === 0) expect(out[l]).toBeNaN();
        else expect(out[l]).toBeCloseTo(cosine(dense(vectors[i], dims), sum), 5);
      }
    }
  });
});
