// One-vs-rest logistic regression as a loss for the shared SGD loop (sgd.ts): every label is its
// own binary problem on the same features, p_k = σ(z_k), and a text's loss is the sum of the
// labels' binary log-losses, whose gradient with respect to z_k is p_k − y_k.
import type { LinearModel, SparseRows } from "./linear-model.js";
import { sigmoid } from "./multilabel-calibration.js";
import type { HeldOutScore, LogitGradient } from "./sgd.js";

/** Each text's label indices, ascending, as compressed rows: text i owns idx[ptr[i]] .. idx[ptr[i+1]-1]. */
export interface LabelSets {
  ptr: Int32Array;
  idx: Int32Array;
}

export function labelSetsOf(sets: readonly (readonly number[])[]): LabelSets {
  const ptr = new Int32Array(sets.length + 1);
  const idx: number[] = [];
  sets.forEach((s, i) => {
    idx.push(...[...new Set(s)].sort((a, b) => a - b));
    ptr[i + 1] = idx.length;
  });
  return { ptr, idx: Int32Array.from(idx) };
}

/** The sets of the texts at `indices`, in that order. */
export function selectSets(sets: LabelSets, indices: readonly number[]): LabelSets {
  return labelSetsOf(indices.map((i) => [...sets.idx.subarray(sets.ptr[i], sets.ptr[i + 1])]));
}

/** 0/1 targets, texts × labels, row-major. */
export function denseTargets(sets: LabelSets, labelCount: number): Uint8Array {
  const n = sets.ptr.length - 1;
  const out = new Uint8Array(n * labelCount);
  for (let i = 0; i < n; i++) for (let j = sets.ptr[i]; j < sets.ptr[i + 1]; j++) out[i * labelCount + sets.idx[j]] = 1;
  return out;
}

/**
 * Gradient of text `row`'s one-vs-rest loss; labels whose |p_k − y_k| is at most `floor` (the
 * text is clearly not, or clearly is, one of them) are left out of the update.
 */
export function oneVsRestGradient(sets: LabelSets, labelCount: number, floor: number): LogitGradient {
  return (row, z, active, grad) => {
    let next = sets.ptr[row];
    const end = sets.ptr[row + 1];
    let m = 0;
    for (let k = 0; k < labelCount; k++) {
      const positive = next < end && sets.idx[next] === k;
      if (positive) next++;
      const g = sigmoid(z[k]) - (positive ? 1 : 0);
      if (g > floor || g < -floor) {
        active[m] = k;
        grad[m++] = g;
      }
    }
    return m;
  };
}

/** Logits of every row, texts × labels, row-major. */
export function logitsOf(model: LinearModel, rows: SparseRows): Float64Array {
  const K = model.classCount;
  const n = rows.ptr.length - 1;
  const out = new Float64Array(n * K);
  for (let i = 0; i < n; i++) {
    const a = rows.ptr[i];
    model.logits(rows.idx.subarray(a), rows.val.subarray(a), rows.ptr[i + 1] - a, out.subarray(i * K, (i + 1) * K));
  }
  return out;
}

/** Early stopping's view of held-out texts: mean summed binary log-loss, and exact-set accuracy at p ≥ 0.5. */
export function oneVsRestHeldOut(rows: SparseRows, sets: LabelSets): HeldOutScore {
  return (model) => {
    const K = model.classCount;
    const targets = denseTargets(sets, K);
    const logits = logitsOf(model, rows);
    const n = rows.ptr.length - 1;
    let loss = 0;
    let exact = 0;
    for (let i = 0; i < n; i++) {
      let right = true;
      for (let k = 0; k < K; k++) {
        const z = logits[i * K + k];
        const y = targets[i * K + k];
        loss -= Math.log(Math.max(1e-12, y ? sigmoid(z) : sigmoid(-z)));
        if (z >= 0 !== (y === 1)) right = false;
      }
      if (right) exact++;
    }
    return { accuracy: n ? exact / n : 0, loss: n ? loss / n : 0 };
  };
}
