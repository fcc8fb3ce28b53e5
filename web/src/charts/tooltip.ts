// Every chart tooltip is built here, as DOM nodes whose text is set with textContent, never as
// an HTML string: label names come from users (a task may call a label `<img src=x onerror=…>`)
// and must show as text. ECharts appends an HTMLElement returned by a tooltip formatter as is.
// Its own default tooltip markup carries inline style="…" attributes, which the dashboard's CSP
// (style-src 'self') blocks, so no chart may fall back to it: each sets a formatter built on
// tooltipContent, and the look comes from the .chart-tip classes in styles.css.
//
// Axis labels, legends and chart labels are drawn on the canvas as plain text, so they need no
// escaping; only the tooltip reaches the DOM.
import type { TooltipComponentOption } from "echarts/components";

/** The colour swatch in front of a row; one CSS class each (no inline styles under the CSP). */
export type TooltipMarker = "specialist" | "teacher" | "none" | "accent" | "saved";

export interface TooltipRow {
  name: string;
  value: string;
  marker?: TooltipMarker;
}

/** A tooltip: an optional title line, then one "name  value" row each, all set as text. */
export function tooltipContent(title: string | null, rows: readonly TooltipRow[]): HTMLElement {
  const box = document.createElement("div");
  box.className = "chart-tip";
  if (title !== null) {
    const head = document.createElement("div");
    head.className = "chart-tip-title";
    head.textContent = title;
    box.append(head);
  }
  for (const row of rows) {
    const line = document.createElement("div");
    line.className = "chart-tip-row";
    if (row.marker !== undefined) {
      const swatch = document.createElement("span");
      swatch.className = `chart-tip-marker marker-${row.marker}`;
      swatch.setAttribute("aria-hidden", "true");
      line.append(swatch);
    }
    const name = document.createElement("span");
    name.className = "chart-tip-name";
    name.textContent = row.name;
    const value = document.createElement("span");
    value.className = "chart-tip-value";
    value.textContent = row.value;
    line.append(name, value);
    box.append(line);
  }
  return box;
}

/**
 * The tooltip settings every chart shares: rendered as HTML (its box is styled by ECharts through
 * the CSSOM, which the CSP allows), kept inside the chart (so ECharts draws no arrow: the arrow's
 * markup has an inline style), the content's look left to styles.css.
 */
export const TOOLTIP_BASE: TooltipComponentOption = {
  renderMode: "html",
  confine: true,
  className: "chart-tooltip",
  backgroundColor: "#ffffff",
  borderColor: "#d9dee6",
  borderWidth: 1,
  padding: [6, 10],
};

/** ECharts hands an axis tooltip's formatter one entry per series, an item tooltip's a single one. */
export function asList<T>(params: T | T[]): T[] {
  return Array.isArray(params) ? params : [params];
}
