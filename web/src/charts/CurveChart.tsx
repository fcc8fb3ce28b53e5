import { useMemo } from "preact/hooks";
import type { CurvePoint } from "../api/types.js";
import { pct, prob } from "../lib/format.js";
import { COLORS, type ChartOption } from "./theme.js";
import { EChart } from "./EChart.js";
import { asList, TOOLTIP_BASE, tooltipContent } from "./tooltip.js";

/**
 * The coverage–accuracy trade-off of the live model on its holdout: each threshold answers a
 * share of inputs (coverage) at some accuracy. The threshold in use is marked. `measure` names
 * that accuracy ("exact match" for a structured task: right in every field).
 */
export function CurveChart({ curve, chosen, maxError, measure = "accuracy" }: { curve: CurvePoint[]; chosen: CurvePoint | null; maxError: number | null; measure?: string }) {
  const option = useMemo<ChartOption>(() => {
    const points = curve.slice().sort((a, b) => a.coverage - b.coverage);
    return {
      tooltip: {
        ...TOOLTIP_BASE,
        trigger: "axis",
        formatter: (params: unknown) => {
          const p = asList(params as { dataIndex: number } | { dataIndex: number }[])[0];
          const point = p === undefined ? undefined : points[p.dataIndex];
          if (point === undefined) return tooltipContent(null, []);
          return tooltipContent(`threshold ${prob(point.threshold)}`, [
            { name: "coverage", value: pct(point.coverage) },
            { name: measure, value: pct(point.accuracy), marker: "accent" },
          ]);
        },
      },
      grid: { left: 8, right: 16, top: 16, bottom: 28, containLabel: true },
      xAxis: { type: "value", name: "coverage", nameLocation: "middle", nameGap: 26, min: 0, max: 1, axisLabel: { formatter: (v: number) => pct(v, 0), color: COLORS.muted }, splitLine: { lineStyle: { color: COLORS.grid } } },
      yAxis: { type: "value", scale: true, max: 1, axisLabel: { formatter: (v: number) => pct(v, 0), color: COLORS.muted }, splitLine: { lineStyle: { color: COLORS.grid } } },
      series: [
        {
          name: measure,
          type: "line",
          data: points.map((p) => [p.coverage, p.accuracy]),
          showSymbol: false,
          lineStyle: { width: 2, color: COLORS.accent },
          itemStyle: { color: COLORS.accent },
          markLine:
            maxError === null
              ? undefined
              : { silent: true, symbol: "none", lineStyle: { color: COLORS.teacher, type: "dashed" }, label: { formatter: `1 − max error`, color: COLORS.muted, position: "insideStartTop" }, data: [{ yAxis: 1 - maxError }] },
          markPoint:
            chosen === null
              ? undefined
              : {
                  symbol: "circle",
                  symbolSize: 12,
                  itemStyle: { color: COLORS.specialist, borderColor: "#fff", borderWidth: 2 },
                  label: { show: true, position: "top", color: COLORS.text, formatter: `threshold ${prob(chosen.threshold)}` },
                  data: [{ name: "live threshold", coord: [chosen.coverage, chosen.accuracy] }],
                },
        },
      ],
    };
  }, [curve, chosen, maxError, measure]);
  const over = `Coverage–${measure} curve over ${curve.length} threshold${curve.length === 1 ? "" : "s"}`;
  const label = chosen ? `${over}; the live threshold ${prob(chosen.threshold)} answers ${pct(chosen.coverage)} at ${pct(chosen.accuracy)} ${measure}` : `${over}; no threshold in use`;
  return <EChart option={option} label={label} />;
}
