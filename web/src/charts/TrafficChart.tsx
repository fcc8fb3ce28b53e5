import { useMemo } from "preact/hooks";
import { num } from "../lib/format.js";
import type { StackedTraffic } from "../lib/series.js";
import { COLORS, TIME_GRID, type ChartOption } from "./theme.js";
import { EChart } from "./EChart.js";
import { asList, TOOLTIP_BASE, tooltipContent } from "./tooltip.js";

const NONE_OF_THESE = "None of these";

/** Requests per bucket, stacked by who answered them; a line for those answered "none of these". */
export function TrafficChart({ data }: { data: StackedTraffic }) {
  const option = useMemo<ChartOption>(
    () => ({
      color: [...data.series.map((s) => COLORS[s.key]), COLORS.accent],
      tooltip: {
        ...TOOLTIP_BASE,
        trigger: "axis",
        axisPointer: { type: "shadow" },
        formatter: (params: unknown) => {
          const list = asList(params as { dataIndex: number } | { dataIndex: number }[]);
          const i = list[0]?.dataIndex ?? 0;
          return tooltipContent(
            data.categories[i] ?? null,
            [
              ...data.series.map((s) => ({ name: s.name, value: num(s.data[i]), marker: s.key })),
              ...(data.noneOfThese ? [{ name: NONE_OF_THESE, value: num(data.noneOfThese[i]), marker: "accent" as const }] : []),
            ],
          );
        },
      },
      legend: { top: 0, left: 0, itemWidth: 14, itemHeight: 10, textStyle: { color: COLORS.muted } },
      grid: TIME_GRID,
      xAxis: { type: "category", data: data.categories, axisTick: { alignWithLabel: true }, axisLabel: { color: COLORS.muted, hideOverlap: true }, axisLine: { lineStyle: { color: COLORS.grid } } },
      yAxis: { type: "value", minInterval: 1, axisLabel: { color: COLORS.muted }, splitLine: { lineStyle: { color: COLORS.grid } } },
      series: [
        ...data.series.map((s) => ({ name: s.name, type: "bar" as const, stack: "requests", data: s.data, barMaxWidth: 28, emphasis: { focus: "series" as const } })),
        ...(data.noneOfThese ? [{ name: NONE_OF_THESE, type: "line" as const, data: data.noneOfThese, symbolSize: 5 }] : []),
      ],
    }),
    [data],
  );
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const summary = [...data.series.map((s) => `${s.name} ${sum(s.data)}`), ...(data.noneOfThese ? [`of them ${NONE_OF_THESE.toLowerCase()} ${sum(data.noneOfThese)}`] : [])].join(", ");
  return <EChart option={option} label={`Requests over time, stacked by source: ${summary}`} />;
}
