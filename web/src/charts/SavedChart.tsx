import { useMemo } from "preact/hooks";
import { money } from "../lib/format.js";
import type { SavedSeries } from "../lib/series.js";
import { COLORS, type ChartOption } from "./theme.js";
import { EChart } from "./EChart.js";

/** Cost saved per bucket (bars) and its running total (line, right axis). */
export function SavedChart({ categories, saved }: { categories: string[]; saved: SavedSeries }) {
  const option = useMemo<ChartOption>(
    () => ({
      tooltip: { trigger: "axis", valueFormatter: (v) => (typeof v === "number" ? money(v) : "—") },
      legend: { top: 0, left: 0, itemWidth: 14, itemHeight: 10, textStyle: { color: COLORS.muted } },
      grid: { left: 8, right: 8, top: 32, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: categories, axisLabel: { color: COLORS.muted, hideOverlap: true }, axisLine: { lineStyle: { color: COLORS.grid } } },
      yAxis: [
        { type: "value", axisLabel: { color: COLORS.muted }, splitLine: { lineStyle: { color: COLORS.grid } } },
        { type: "value", axisLabel: { color: COLORS.specialist }, splitLine: { show: false } },
      ],
      series: [
        { name: "Saved per bucket", type: "bar", data: saved.perBucket, itemStyle: { color: "#9fd0c4" }, barMaxWidth: 24 },
        { name: "Saved in total (right axis)", type: "line", yAxisIndex: 1, data: saved.cumulative, showSymbol: false, connectNulls: false, lineStyle: { width: 2, color: COLORS.specialist }, itemStyle: { color: COLORS.specialist }, areaStyle: { color: "rgba(42,127,111,0.08)" } },
      ],
    }),
    [categories, saved],
  );
  return <EChart option={option} size="sm" label={`Cost saved over time; ${money(saved.total)} in total`} />;
}
