import { useMemo } from "preact/hooks";
import { money } from "../lib/format.js";
import type { SavedSeries } from "../lib/series.js";
import { COLORS, TIME_GRID, type ChartOption } from "./theme.js";
import { EChart } from "./EChart.js";
import { asList, TOOLTIP_BASE, tooltipContent } from "./tooltip.js";

const PER_BUCKET = "Saved per bucket";
const TOTAL = "Saved in total (right axis)";

/** Cost saved per bucket (bars) and its running total (line, right axis). */
export function SavedChart({ categories, saved }: { categories: string[]; saved: SavedSeries }) {
  const option = useMemo<ChartOption>(
    () => ({
      tooltip: {
        ...TOOLTIP_BASE,
        trigger: "axis",
        formatter: (params: unknown) => {
          const i = asList(params as { dataIndex: number } | { dataIndex: number }[])[0]?.dataIndex ?? 0;
          return tooltipContent(categories[i] ?? null, [
            { name: PER_BUCKET, value: money(saved.perBucket[i]), marker: "saved" },
            { name: "Saved in total", value: money(saved.cumulative[i]), marker: "specialist" },
          ]);
        },
      },
      legend: { top: 0, left: 0, itemWidth: 14, itemHeight: 10, textStyle: { color: COLORS.muted } },
      grid: TIME_GRID,
      xAxis: { type: "category", data: categories, axisLabel: { color: COLORS.muted, hideOverlap: true }, axisLine: { lineStyle: { color: COLORS.grid } } },
      yAxis: [
        { type: "value", axisLabel: { color: COLORS.muted, formatter: (v: number) => money(v) }, splitLine: { lineStyle: { color: COLORS.grid } } },
        { type: "value", axisLabel: { color: COLORS.specialist, formatter: (v: number) => money(v) }, splitLine: { show: false } },
      ],
      series: [
        { name: PER_BUCKET, type: "bar", data: saved.perBucket, itemStyle: { color: COLORS.saved }, barMaxWidth: 24 },
        { name: TOTAL, type: "line", yAxisIndex: 1, data: saved.cumulative, showSymbol: false, connectNulls: false, lineStyle: { width: 2, color: COLORS.specialist }, itemStyle: { color: COLORS.specialist }, areaStyle: { color: "rgba(42,127,111,0.08)" } },
      ],
    }),
    [categories, saved],
  );
  return <EChart option={option} size="sm" label={`Cost saved over time; ${money(saved.total)} in total`} />;
}
