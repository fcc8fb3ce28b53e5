// ECharts with only the charts and components the dashboard draws (tree-shaken), registered once.
// Imported dynamically by EChart.tsx, so it is a chunk of its own.
import { BarChart, HeatmapChart, LineChart } from "echarts/charts";
import { GridComponent, LegendComponent, MarkLineComponent, MarkPointComponent, TooltipComponent, VisualMapComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";

echarts.use([BarChart, LineChart, HeatmapChart, GridComponent, LegendComponent, TooltipComponent, VisualMapComponent, MarkPointComponent, MarkLineComponent, CanvasRenderer]);

export { echarts };
