// Sorting table rows by any column: numbers numerically, strings by locale, missing values last
// whatever the direction, ties kept in their original order.

export type SortDirection = "asc" | "desc";

export interface SortState<K extends string = string> {
  key: K;
  direction: SortDirection;
}

type Cell = string | number | boolean | null | undefined;

function missing(v: Cell): boolean {
  return v === null || v === undefined || (typeof v === "number" && Number.isNaN(v));
}

export function compareCells(a: Cell, b: Cell): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "boolean" && typeof b === "boolean") return Number(a) - Number(b);
  return String(a).localeCompare(String(b), undefined, { numeric: true, sensitivity: "base" });
}

export function sortRows<T, K extends string>(rows: readonly T[], sort: SortState<K> | null, value: (row: T, key: K) => Cell): T[] {
  const indexed = rows.map((row, i) => ({ row, i }));
  if (sort === null) return rows.slice();
  const sign = sort.direction === "asc" ? 1 : -1;
  indexed.sort((x, y) => {
    const a = value(x.row, sort.key);
    const b = value(y.row, sort.key);
    const ma = missing(a);
    const mb = missing(b);
    if (ma || mb) return ma === mb ? x.i - y.i : ma ? 1 : -1;
    return sign * compareCells(a, b) || x.i - y.i;
  });
  return indexed.map((x) => x.row);
}

/**
 * Clicking a column header: a new column starts in its natural direction (numbers largest first,
 * text A→Z); clicking the same column again flips it.
 */
export function nextSort<K extends string>(current: SortState<K> | null, key: K, firstDirection: SortDirection = "asc"): SortState<K> {
  if (current !== null && current.key === key) return { key, direction: current.direction === "asc" ? "desc" : "asc" };
  return { key, direction: firstDirection };
}

/** The aria-sort value of a column header. */
export function ariaSort(current: SortState | null, key: string): "ascending" | "descending" | "none" {
  if (current === null || current.key !== key) return "none";
  return current.direction === "asc" ? "ascending" : "descending";
}
