// Texts as compressed sparse rows of features, the form both trainers feed to SGD.
import type { Featurizer } from "./featurizer.js";
import type { SparseRows } from "./linear-model.js";

/** Featurises every text into one block of rows; `onEach` is called after each text (progress). */
export function encodeRows(featurizer: Featurizer, texts: readonly string[], onEach: () => void = () => {}): SparseRows {
  const ptr = new Int32Array(texts.length + 1);
  let idx = new Int32Array(texts.length * 64);
  let val = new Float32Array(texts.length * 64);
  let nnz = 0;
  for (let i = 0; i < texts.length; i++) {
    const n = featurizer.encode(texts[i]);
    if (nnz + n > idx.length) {
      const cap = Math.max(idx.length * 2, nnz + n);
      const ni = new Int32Array(cap);
      ni.set(idx.subarray(0, nnz));
      idx = ni;
      const nv = new Float32Array(cap);
      nv.set(val.subarray(0, nnz));
      val = nv;
    }
    idx.set(featurizer.lastIndices.subarray(0, n), nnz);
    val.set(featurizer.lastValues.subarray(0, n), nnz);
    nnz += n;
    ptr[i + 1] = nnz;
    onEach();
  }
  return { ptr, idx: idx.slice(0, nnz), val: val.slice(0, nnz) };
}

/** The rows at `indices`, in that order, as a block of their own. */
export function selectRows(rows: SparseRows, indices: readonly number[]): SparseRows {
  const { ptr, idx, val } = rows;
  let nnz = 0;
  for (const i of indices) nnz += ptr[i + 1] - ptr[i];
  const out: SparseRows = { ptr: new Int32Array(indices.length + 1), idx: new Int32Array(nnz), val: new Float32Array(nnz) };
  let o = 0;
  indices.forEach((i, r) => {
    out.idx.set(idx.subarray(ptr[i], ptr[i + 1]), o);
    out.val.set(val.subarray(ptr[i], ptr[i + 1]), o);
    o += ptr[i + 1] - ptr[i];
    out.ptr[r + 1] = o;
  });
  return out;
}
