import { describe, expect, it } from "vitest";
import { ariaSort, compareCells, nextSort, sortRows } from "../../web/src/lib/sort.js";

interface Row {
  label: string;
  f1: number | null;
  support: number;
}

const rows: Row[] = [
  { label: "card_arrival", f1: 0.9, support: 12 },
  { label: "Lost_card", f1: null, support: 3 },
  { label: "atm_support", f1: 0.5, support: 12 },
  { label: "label10", f1: 0.7, support: 1 },
  { label: "label9", f1: 0.7, support: 7 },
];
const value = (r: Row, key: keyof Row) => r[key];

describe("sortRows", () => {
  it("sorts numbers numerically in both directions, missing values last either way", () => {
    expect(sortRows(rows, { key: "f1", direction: "asc" }, value).map((r) => r.f1)).toEqual([0.5, 0.7, 0.7, 0.9, null]);
    expect(sortRows(rows, { key: "f1", direction: "desc" }, value).map((r) => r.f1)).toEqual([0.9, 0.7, 0.7, 0.5, null]);
  });

  it("keeps ties in their original order (stable) in both directions", () => {
    expect(sortRows(rows, { key: "f1", direction: "asc" }, value).map((r) => r.label).slice(1, 3)).toEqual(["label10", "label9"]);
    expect(sortRows(rows, { key: "support", direction: "desc" }, value).map((r) => r.label).slice(0, 2)).toEqual(["card_arrival", "atm_support"]);
  });

  it("sorts text case-insensitively with natural numbers", () => {
    expect(sortRows(rows, { key: "label", direction: "asc" }, value).map((r) => r.label)).toEqual(["atm_support", "card_arrival", "label9", "label10", "Lost_card"]);
  });

  it("leaves the input alone and returns a copy without a sort", () => {
    const copy = rows.slice();
    const out = sortRows(rows, null, value);
    expect(out).toEqual(rows);
    expect(out).not.toBe(rows);
    sortRows(rows, { key: "f1", direction: "desc" }, value);
    expect(rows).toEqual(copy);
  });

  it("compares cells", () => {
    expect(compareCells(2, 10)).toBeLessThan(0);
    expect(compareCells("b", "a")).toBeGreaterThan(0);
    expect(compareCells(true, false)).toBeGreaterThan(0);
  });
});

describe("nextSort and ariaSort", () => {
  it("starts a new column in its first direction and flips the same column", () => {
    const s1 = nextSort(null, "f1", "desc");
    expect(s1).toEqual({ key: "f1", direction: "desc" });
    const s2 = nextSort(s1, "f1");
    expect(s2).toEqual({ key: "f1", direction: "asc" });
    expect(nextSort(s2, "label")).toEqual({ key: "label", direction: "asc" });
    expect(ariaSort(s2, "f1")).toBe("ascending");
    expect(ariaSort(s1, "f1")).toBe("descending");
    expect(ariaSort(s1, "label")).toBe("none");
    expect(ariaSort(null, "label")).toBe("none");
  });
});
