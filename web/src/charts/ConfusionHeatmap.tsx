import { useMemo } from "preact/hooks";
import type { HeatmapData } from "../lib/confusion.js";
import { COLORS, type ChartOption } from "./theme.js";
import { EChart } from "./EChart.js";
import { TOOLTIP_BASE, tooltipContent } from "./tooltip.js";

/** A heatmap cell: [predicted index, actual index, count]. */
type HeatCell = [number, number, number];

/** A cell's tooltip: how many examples of one actual label were predicted as another. */
export function heatmapTooltip(labels: readonly string[], [predicted, actual, count]: HeatCell): HTMLElement {
  return tooltipContent(`${count} example${count === 1 ? "" : "s"}`, [
    { name: "actual", value: labels[actual] ?? "" },
    { name: "predicted", value: labels[predicted] ?? "" },
  ]);
}

/** Actual (rows) × predicted (columns) over the labels involved in the top confusions. */
export function ConfusionHeatmap({ data }: { data: HeatmapData }) {
  const option = useMemo<ChartOption>(() => {
    const n = data.labels.length;
    const short = (l: string) => (l.length > 22 ? `${l.slice(0, 21)}…` : l);
    return {
      tooltip: {
        ...TOOLTIP_BASE,
        formatter: (p: unknown) => heatmapTooltip(data.labels, (p as { value: HeatCell }).value),
      },
      grid: { left: 8, right: 16, top: 8, bottom: 56, containLabel: true },
      xAxis: { type: "category", data: data.labels, name: "predicted", nameLocation: "middle", nameGap: 0, nameTextStyle: { color: "transparent" }, axisLabel: { rotate: 40, interval: 0, formatter: short, color: COLORS.muted, fontSize: n > 12 ? 10 : 11 }, splitArea: { show: true } },
      yAxis: { type: "category", data: data.labels, inverse: true, axisLabel: { interval: 0, formatter: short, color: COLORS.muted, fontSize: n > 12 ? 10 : 11 }, splitArea: { show: true } },
      visualMap: { seriesIndex: 0, min: 0, max: Math.max(1, data.max), calculable: false, orient: "horizontal", left: "center", bottom: 0, itemHeight: 120, itemWidth: 10, text: ["more", "fewer"], textStyle: { color: COLORS.muted }, inRange: { color: ["#fde9d2", "#f4a259", "#c2410c"] } },
      series: [
        { name: "confusions", type: "heatmap", data: data.cells, label: { show: n <= 16, fontSize: 10 }, emphasis: { itemStyle: { borderColor: COLORS.text, borderWidth: 1 } } },
        { name: "correct", type: "heatmap", data: data.diagonal, itemStyle: { color: "#dbeee9" }, label: { show: n <= 16, fontSize: 10, color: COLORS.specialist } },
      ],
    };
  }, [data]);
  const size = data.labels.length > 12 ? "xl" : data.labels.length > 8 ? "lg" : "md";
  return <EChart option={option} size={size} label={`Confusion heatmap over ${data.labels.length} labels: rows are actual labels, columns predicted`} />;
}
