// The confusion matrix made readable for tasks with many labels (77+): the largest off-diagonal
// cells, filtered by a label, and the heatmap restricted to the labels those cells involve.
import type { Confusion } from "../api/types.js";

/** Every off-diagonal cell with a count, largest first (ties: actual, then predicted, A→Z). */
export function offDiagonal(labels: readonly string[], matrix: readonly (readonly number[])[]): Confusion[] {
  const cells: Confusion[] = [];
  for (let i = 0; i < labels.length; i++) {
    const row = matrix[i] ?? [];
    for (let j = 0; j < labels.length; j++) {
      const count = row[j] ?? 0;
      if (i !== j && count > 0) cells.push({ actual: labels[i], predicted: labels[j], count });
    }
  }
  return sortConfusions(cells);
}

export function sortConfusions(cells: readonly Confusion[]): Confusion[] {
  return cells.slice().sort((a, b) => b.count - a.count || a.actual.localeCompare(b.actual) || a.predicted.localeCompare(b.predicted));
}

/** Cells whose actual or predicted label contains `query` (case-insensitive); all when it is blank. */
export function filterConfusions(cells: readonly Confusion[], query: string): Confusion[] {
  const q = query.trim().toLowerCase();
  if (q === "") return cells.slice();
  return cells.filter((c) => c.actual.toLowerCase().includes(q) || c.predicted.toLowerCase().includes(q));
}

export interface HeatmapData {
  /** The labels involved, in the task's order (rows: actual, columns: predicted). */
  labels: string[];
  /** [column (predicted), row (actual), count] for every non-zero off-diagonal cell among them. */
  cells: [number, number, number][];
  /** The correct predictions, [i, i, count], drawn apart so they do not swamp the colour scale. */
  diagonal: [number, number, number][];
  /** The largest off-diagonal count. */
  max: number;
}

/**
 * A heatmap over the labels that the given cells involve, at most `maxLabels` of them (those of the
 * largest cells first), so 77 labels still give a readable picture of where the errors are.
 */
export function heatmapFor(labels: readonly string[], matrix: readonly (readonly number[])[], cells: readonly Confusion[], maxLabels = 16): HeatmapData {
  const chosen = new Set<string>();
  for (const c of cells) {
    const extra = (chosen.has(c.actual) ? 0 : 1) + (chosen.has(c.predicted) ? 0 : 1);
    if (chosen.size + extra > maxLabels) continue;
    chosen.add(c.actual);
    chosen.add(c.predicted);
  }
  const involved = labels.filter((l) => chosen.has(l));
  const index = new Map(labels.map((l, i) => [l, i]));
  const out: [number, number, number][] = [];
  const diagonal: [number, number, number][] = [];
  let max = 0;
  involved.forEach((actual, row) => {
    const i = index.get(actual) ?? -1;
    involved.forEach((predicted, col) => {
      const j = index.get(predicted) ?? -1;
      const count = matrix[i]?.[j] ?? 0;
      if (count <= 0) return;
      if (actual === predicted) diagonal.push([col, row, count]);
      else {
        out.push([col, row, count]);
        max = Math.max(max, count);
      }
    });
  });
  return { labels: involved, cells: out, diagonal, max };
}
