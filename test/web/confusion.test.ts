import { describe, expect, it } from "vitest";
import { filterConfusions, heatmapFor, offDiagonal, sortConfusions } from "../../web/src/lib/confusion.js";

const labels = ["a", "b", "c", "d"];
const matrix = [
  [10, 3, 0, 1],
  [2, 8, 0, 0],
  [0, 5, 7, 0],
  [0, 0, 0, 4],
];

describe("offDiagonal", () => {
  it("lists the off-diagonal cells with a count, largest first", () => {
    expect(offDiagonal(labels, matrix)).toEqual([
      { actual: "c", predicted: "b", count: 5 },
      { actual: "a", predicted: "b", count: 3 },
      { actual: "b", predicted: "a", count: 2 },
      { actual: "a", predicted: "d", count: 1 },
    ]);
  });

  it("copes with a ragged or empty matrix", () => {
    expect(offDiagonal(labels, [])).toEqual([]);
    expect(offDiagonal(["x", "y"], [[1, 2]])).toEqual([{ actual: "x", predicted: "y", count: 2 }]);
  });

  it("sorts ties by actual then predicted", () => {
    expect(sortConfusions([{ actual: "b", predicted: "a", count: 1 }, { actual: "a", predicted: "c", count: 1 }, { actual: "a", predicted: "b", count: 1 }]).map((c) => c.actual + c.predicted)).toEqual(["ab", "ac", "ba"]);
  });
});

describe("filterConfusions", () => {
  const cells = offDiagonal(labels, matrix);
  it("keeps cells where either label matches, case-insensitively", () => {
    expect(filterConfusions(cells, "D").map((c) => `${c.actual}>${c.predicted}`)).toEqual(["a>d"]);
    expect(filterConfusions(cells, " a ").length).toBe(3);
    expect(filterConfusions(cells, "")).toEqual(cells);
    expect(filterConfusions(cells, "zzz")).toEqual([]);
  });
});

describe("heatmapFor", () => {
  it("restricts the matrix to the labels involved, in task order, diagonal apart", () => {
    const cells = offDiagonal(labels, matrix).slice(0, 2); // c>b, a>b
    const h = heatmapFor(labels, matrix, cells);
    expect(h.labels).toEqual(["a", "b", "c"]);
    // [column (predicted), row (actual), count]
    expect(h.cells).toEqual([
      [1, 0, 3],
      [0, 1, 2],
      [1, 2, 5],
    ]);
    expect(h.diagonal).toEqual([
      [0, 0, 10],
      [1, 1, 8],
      [2, 2, 7],
    ]);
    expect(h.max).toBe(5);
  });

  it("stays readable for 77+ labels: at most maxLabels, taken from the largest cells", () => {
    const n = 80;
    const many = Array.from({ length: n }, (_, i) => `label_${i}`);
    const m = many.map((_, i) => many.map((__, j) => (i === j ? 20 : (i * 7 + j * 3) % 5 === 0 ? (i + j) % 4 : 0)));
    const cells = offDiagonal(many, m);
    expect(cells.length).toBeGreaterThan(100);
    const h = heatmapFor(many, m, cells.slice(0, 50), 12);
    expect(h.labels.length).toBeLessThanOrEqual(12);
    expect(h.labels).toContain(cells[0].actual);
    expect(h.labels).toContain(cells[0].predicted);
    for (const [col, row] of h.cells) expect(col).not.toBe(row);
  });
});
