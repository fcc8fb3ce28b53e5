// ECharts with only the pieces the dashboard draws (bar, line and heatmap on a canvas), which
// keeps the bundle a fraction of the full library.
import { BarChart, HeatmapChart, LineChart } from "echarts/charts";
import type { BarSeriesOption, HeatmapSeriesOption, LineSeriesOption } from "echarts/charts";
import { GridComponent, LegendComponent, MarkLineComponent, MarkPointComponent, TooltipComponent, VisualMapComponent } from "echarts/components";
import type { GridComponentOption, LegendComponentOption, MarkLineComponentOption, MarkPointComponentOption, TooltipComponentOption, VisualMapComponentOption } from "echarts/components";
import * as echarts from "echarts/core";
import type { ComposeOption } from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";

echarts.use([BarChart, LineChart, HeatmapChart, GridComponent, LegendComponent, TooltipComponent, VisualMapComponent, MarkPointComponent, MarkLineComponent, CanvasRenderer]);

export type ChartOption = ComposeOption<
  BarSeriesOption | LineSeriesOption | HeatmapSeriesOption | GridComponentOption | LegendComponentOption | TooltipComponentOption | VisualMapComponentOption | MarkPointComponentOption | MarkLineComponentOption
>;

export { echarts };

/** The dashboard's palette (also in styles.css). */
export const COLORS = {
  specialist: "#2a7f6f",
  teacher: "#d08a1e",
  none: "#9aa3b5",
  accent: "#3160b8",
  text: "#1f2633",
  muted: "#5b6577",
  grid: "#e3e7ee",
};

export const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
