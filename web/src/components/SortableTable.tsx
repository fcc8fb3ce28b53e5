// A table sortable by any column: click (or Enter/Space on) a header to sort, again to flip.
import type { ComponentChildren } from "preact";
import { useMemo, useState } from "preact/hooks";
import { ariaSort, nextSort, sortRows, type SortDirection, type SortState } from "../lib/sort.js";

export interface Column<T> {
  key: string;
  label: string;
  value: (row: T) => string | number | null | undefined;
  render?: (row: T) => ComponentChildren;
  numeric?: boolean;
  /** The direction of the first click (default: numbers largest first, text A→Z). */
  first?: SortDirection;
  /** false: a plain header (e.g. a column of buttons). */
  sortable?: boolean;
}

export interface SortableTableProps<T> {
  caption: string;
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string;
  initialSort?: SortState | null;
  empty?: string;
  /** Show the caption visibly (default: only to screen readers). */
  showCaption?: boolean;
  /** Show this many rows (after sorting) until "Show all" is pressed. */
  limit?: number;
}

export function SortableTable<T>({ caption, columns, rows, rowKey, initialSort = null, empty = "Nothing to show.", showCaption = false, limit }: SortableTableProps<T>) {
  const [sort, setSort] = useState<SortState | null>(initialSort);
  const [all, setAll] = useState(false);
  const byKey = useMemo(() => new Map(columns.map((c) => [c.key, c])), [columns]);
  const sortedAll = useMemo(() => sortRows(rows, sort, (row, key) => byKey.get(key)?.value(row)), [rows, sort, byKey]);
  const sorted = limit !== undefined && !all ? sortedAll.slice(0, limit) : sortedAll;
  return (
    <div class="table-wrap">
      <table class="table">
        <caption class={showCaption ? "" : "visually-hidden"}>{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => {
              const state = ariaSort(sort, c.key);
              if (c.sortable === false)
                return (
                  <th key={c.key} scope="col" class={c.numeric ? "num" : ""}>
                    {c.label}
                  </th>
                );
              return (
                <th key={c.key} scope="col" aria-sort={state} class={c.numeric ? "num" : ""}>
                  <button type="button" class="sort" onClick={() => setSort(nextSort(sort, c.key, c.first ?? (c.numeric ? "desc" : "asc")))}>
                    {c.label}
                    <span class="sort-mark" aria-hidden="true">
                      {state === "ascending" ? "▲" : state === "descending" ? "▼" : "↕"}
                    </span>
                  </button>
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {sorted.length === 0 ? (
            <tr>
              <td colSpan={columns.length} class="muted">
                {empty}
              </td>
            </tr>
          ) : (
            sorted.map((row) => (
              <tr key={rowKey(row)}>
                {columns.map((c) => (
                  <td key={c.key} class={c.numeric ? "num" : ""}>
                    {c.render ? c.render(row) : (c.value(row) ?? "—")}
                  </td>
                ))}
              </tr>
            ))
          )}
        </tbody>
      </table>
      {sorted.length < sortedAll.length ? (
        <p class="table-more">
          <span class="muted small">
            Showing {sorted.length} of {sortedAll.length}.
          </span>{" "}
          <button type="button" class="button small" onClick={() => setAll(true)}>
            Show all {sortedAll.length}
          </button>
        </p>
      ) : null}
    </div>
  );
}
