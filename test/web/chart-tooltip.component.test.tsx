// @vitest-environment happy-dom
// Chart tooltips are DOM built with textContent: a hostile label name shows as text, creates no
// element, no attribute, and no inline style (the CSP refuses those).
import { afterEach, describe, expect, it } from "vitest";
import { heatmapTooltip } from "../../web/src/charts/ConfusionHeatmap.js";
import { tooltipContent } from "../../web/src/charts/tooltip.js";

const HOSTILE = [
  "<img src=x onerror=window.__pwned=1>",
  "</div><script>window.__pwned=1</script>",
  `"><svg onload=window.__pwned=1>`,
  "a&amp;b &lt;i&gt;",
  "{a|rich} {b}",
];

declare global {
  interface Window {
    __pwned?: number;
  }
}

afterEach(() => {
  document.body.replaceChildren();
  delete window.__pwned;
});

/** The elements under `box` other than the ones tooltipContent makes. */
const foreign = (box: HTMLElement) => Array.from(box.querySelectorAll("*")).filter((el) => el.tagName !== "DIV" && el.tagName !== "SPAN");

describe("tooltipContent", () => {
  it("sets every title, name and value as text, whatever it contains", () => {
    for (const label of HOSTILE) {
      const box = tooltipContent(label, [{ name: label, value: label, marker: "teacher" }]);
      document.body.append(box);
      expect(box.querySelector(".chart-tip-title")!.textContent).toBe(label);
      expect(box.querySelector(".chart-tip-name")!.textContent).toBe(label);
      expect(box.querySelector(".chart-tip-value")!.textContent).toBe(label);
      expect(foreign(box)).toEqual([]);
      expect(box.querySelectorAll("[style], [onerror], [onload], [src]")).toHaveLength(0);
    }
    expect(window.__pwned).toBeUndefined();
  });

  it("styles by class only: markers name their series, no element has a style attribute", () => {
    const box = tooltipContent(null, [
      { name: "Specialist", value: "239", marker: "specialist" },
      { name: "Teacher", value: "194", marker: "teacher" },
      { name: "plain", value: "1" },
    ]);
    expect(box.querySelector(".chart-tip-title")).toBeNull();
    const rows = Array.from(box.querySelectorAll(".chart-tip-row"));
    expect(rows.map((r) => r.textContent)).toEqual(["Specialist239", "Teacher194", "plain1"]);
    expect(rows.map((r) => r.querySelector(".chart-tip-marker")?.className ?? null)).toEqual(["chart-tip-marker marker-specialist", "chart-tip-marker marker-teacher", null]);
    // Name and value are separate elements: the CSS lays them apart ("Specialist 239", not "Specialist239").
    expect(rows[0].querySelector(".chart-tip-name")!.textContent).toBe("Specialist");
    expect(rows[0].querySelector(".chart-tip-value")!.textContent).toBe("239");
    expect(box.querySelectorAll("[style]")).toHaveLength(0);
  });
});

describe("the confusion heatmap's tooltip", () => {
  it("shows hostile label names as text, with the count", () => {
    const labels = ["card_arrival", HOSTILE[0], HOSTILE[1]];
    const box = heatmapTooltip(labels, [1, 2, 3]);
    document.body.append(box);
    expect(box.querySelector(".chart-tip-title")!.textContent).toBe("3 examples");
    const rows = Array.from(box.querySelectorAll(".chart-tip-row")).map((r) => [r.querySelector(".chart-tip-name")!.textContent, r.querySelector(".chart-tip-value")!.textContent]);
    expect(rows).toEqual([
      ["actual", HOSTILE[1]],
      ["predicted", HOSTILE[0]],
    ]);
    expect(foreign(box)).toEqual([]);
    expect(heatmapTooltip(labels, [0, 0, 1]).querySelector(".chart-tip-title")!.textContent).toBe("1 example");
    expect(window.__pwned).toBeUndefined();
  });
});
