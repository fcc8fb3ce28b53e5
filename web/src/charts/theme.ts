// The charts' option type, palette and font. Type-only imports from ECharts: the library itself
// loads only when a chart is first shown (see EChart.tsx), so pages without charts stay small.
import type { BarSeriesOption, HeatmapSeriesOption, LineSeriesOption } from "echarts/charts";
import type { GridComponentOption, LegendComponentOption, MarkLineComponentOption, MarkPointComponentOption, TooltipComponentOption, VisualMapComponentOption } from "echarts/components";
import type { ComposeOption } from "echarts/core";

export type ChartOption = ComposeOption<
  BarSeriesOption | LineSeriesOption | HeatmapSeriesOption | GridComponentOption | LegendComponentOption | TooltipComponentOption | VisualMapComponentOption | MarkPointComponentOption | MarkLineComponentOption
>;

/** The dashboard's palette (also in styles.css). */
export const COLORS = {
  specialist: "#2a7f6f",
  teacher: "#d08a1e",
  saved: "#9fd0c4",
  none: "#9aa3b5",
  accent: "#3160b8",
  text: "#1f2633",
  muted: "#5b6577",
  grid: "#e3e7ee",
};

export const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

/**
 * The plot area of the two time charts on the Traffic tab (requests, cost saved): fixed margins
 * rather than ECharts' containLabel, which sizes each plot to its own axis labels, so that one
 * bucket sits at the same x in both charts. Wide enough for a money label ("USD 0.00123").
 */
export const TIME_GRID = { left: 96, right: 96, top: 32, bottom: 28, containLabel: false } as const;
