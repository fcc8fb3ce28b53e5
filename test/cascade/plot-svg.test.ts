import { describe, expect, it } from "vitest";
import { niceTicks, rolling, simulationSvg } from "../../src/cascade/plot-svg.js";

describe("plot-svg", () => {
  it("picks round ticks", () => {
    expect(niceTicks(0, 10_003)).toEqual([0, 2000, 4000, 6000, 8000, 10000]);
    expect(niceTicks(0.75, 0.9)).toEqual([0.75, 0.8, 0.85, 0.9]);
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(5, 5)).toEqual([5]);
  });

  it("computes a trailing rolling share from the first full window", () => {
    expect(rolling(Uint8Array.from([1, 0, 1, 1]), 2)).toEqual([
      [2, 0.5],
      [3, 0.5],
      [4, 1],
    ]);
  });

  it("draws both panels with axes, labels and legends", () => {
    const n = 3000;
    const trace = {
      teacherCalled: Uint8Array.from({ length: n }, (_, i) => (i < 1000 || i % 3 === 0 ? 1 : 0)),
      correct: Uint8Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 0 : 1)),
      teacherOnlyCorrect: Uint8Array.from({ length: n }, (_, i) => (i % 6 === 0 ? 0 : 1)),
    };
    const svg = simulationSvg(trace, { title: "a <b> & c" });
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    expect(svg).toContain("a &lt;b&gt; &amp; c");
    expect(svg).toContain("cumulative teacher calls");
    expect(svg).toContain("accuracy (rolling, 500 requests)");
    expect(svg).toContain(">requests<");
    expect(svg.match(/<path /g)).toHaveLength(4);
    expect(svg.match(/>teacher only</g)).toHaveLength(2);
    expect(svg).toContain(">3,000<");
    // Long series are thinned: no path has thousands of points.
    for (const d of svg.match(/d="[^"]*"/g)!) expect(d.split("L").length).toBeLessThan(700);
    // Without the baseline, one accuracy line.
    expect(simulationSvg({ ...trace, teacherOnlyCorrect: null }).match(/<path /g)).toHaveLength(3);
  });
});
