// Cosine similarity between a text and every label's centroid (the simulated teacher's
// error model, the scope score). Label sums are stored by feature (CSR: for each feature row, the labels whose
// sum is non-zero there), so memory grows with the data's non-zeros, not labels × features,
// and one pass over a text's non-zeros scores it against all labels at once.
import type { SparseVector } from "./featurizer.js";

export class LabelCentroids {
  /** Texts per label. */
  readonly counts: Int32Array;
  private readonly sqNorms: Float64Array;
  private readonly rowStart: Int32Array;
  private readonly postLabel: Int32Array;
  private readonly postValue: Float64Array;
  private readonly dots: Float64Array;

  /** `labelOf[i]` is the label index of `vectors[i]`; rows are below `featureCount`. */
  constructor(vectors: readonly SparseVector[], labelOf: Int32Array, labelCount: number, featureCount: number) {
    this.counts = new Int32Array(labelCount);
    this.sqNorms = new Float64Array(labelCount);
    this.dots = new Float64Array(labelCount);
    const members: number[][] = Array.from({ length: labelCount }, () => []);
    for (let i = 0; i < vectors.length; i++) {
      members[labelOf[i]].push(i);
      this.counts[labelOf[i]]++;
    }

    // Pass 1: each label's sum, densely in one scratch array, emitted as (row, label, value).
    const sum = new Float64Array(featureCount);
    const seen = new Uint8Array(featureCount);
    const rows: number[] = [];
    const labels: number[] = [];
    const values: number[] = [];
    const perRow = new Int32Array(featureCount + 1);
    for (let l = 0; l < labelCount; l++) {
      const touched: number[] = [];
      for (const i of members[l]) {
        const v = vectors[i];
        for (let k = 0; k < v.indices.length; k++) {
          const r = v.indices[k];
          if (!seen[r]) {
            seen[r] = 1;
            touched.push(r);
          }
          sum[r] += v.values[k];
        }
      }
      for (const r of touched) {
        rows.push(r);
        labels.push(l);
        values.push(sum[r]);
        perRow[r + 1]++;
        this.sqNorms[l] += sum[r] * sum[r];
        sum[r] = 0;
        seen[r] = 0;
      }
    }

    // Pass 2: counting sort by row into CSR.
    for (let r = 0; r < featureCount; r++) perRow[r + 1] += perRow[r];
    this.rowStart = perRow.slice();
    const fill = perRow.slice(0, featureCount);
    this.postLabel = new Int32Array(rows.length);
    this.postValue = new Float64Array(rows.length);
    for (let t = 0; t < rows.length; t++) {
      const p = fill[rows[t]]++;
      this.postLabel[p] = labels[t];
      this.postValue[p] = values[t];
    }
  }

  /**
   * Writes cos(v, centroid of label l) into `out[l]` for every label. For `ownLabel` (when v
   * is one of that label's texts) the centroid leaves v out, so a text does not vouch for
   * itself. NaN for a label with no (other) texts: it has no centroid to be near.
   */
  cosines(v: SparseVector, ownLabel: number, out: Float64Array): void {
    const dots = this.dots;
    dots.fill(0);
    let vv = 0;
    for (let k = 0; k < v.indices.length; k++) {
      const r = v.indices[k];
      const x = v.values[k];
      vv += x * x;
      for (let p = this.rowStart[r]; p < this.rowStart[r + 1]; p++) dots[this.postLabel[p]] += x * this.postValue[p];
    }
    for (let l = 0; l < dots.length; l++) {
      const own = l === ownLabel;
      const others = this.counts[l] - (own ? 1 : 0);
      if (others <= 0) {
        out[l] = NaN;
        continue;
      }
      const dot = own ? dots[l] - vv : dots[l];
      const sq = own ? this.sqNorms[l] - 2 * dots[l] + vv : this.sqNorms[l];
      // An empty text, or a centroid that cancels to nothing, is similar to nothing.
      out[l] = vv > 0 && sq > 1e-12 ? Math.max(-1, Math.min(1, dot / Math.sqrt(vv * sq))) : 0;
    }
  }
}

/** The two labels other than `own` with the highest cosine (NaN = no centroid, skipped); -1 if none. */
export function twoNearestOthers(cos: Float64Array, own: number): [number, number] {
  let first = -1;
  let second = -1;
  for (let l = 0; l < cos.length; l++) {
    if (l === own || Number.isNaN(cos[l])) continue;
    if (first < 0 || cos[l] > cos[first]) {
      second = first;
      first = l;
    } else if (second < 0 || cos[l] > cos[second]) second = l;
  }
  return [first, second];
}
