// A thin ECharts wrapper: one chart per element, options replaced (not merged) on change,
// resized with its box, disposed on unmount. The element's size comes from CSS classes.
// ECharts is most of the dashboard's code, so it is loaded on the first chart shown, not with
// the page; until it arrives the box stays empty at its final size (no layout shift).
import { useEffect, useRef } from "preact/hooks";
import type { ECharts } from "echarts/core";
import { FONT, type ChartOption } from "./theme.js";

export interface EChartProps {
  option: ChartOption;
  /** What the chart shows, for screen readers (the canvas itself says nothing). */
  label: string;
  size?: "sm" | "md" | "lg" | "xl";
}

let library: Promise<typeof import("./echarts.js")> | undefined;
const loadECharts = () => (library ??= import("./echarts.js"));

function show(chart: ECharts, option: ChartOption): void {
  chart.setOption({ textStyle: { fontFamily: FONT }, animationDuration: 300, ...option }, { notMerge: true });
}

export function EChart({ option, label, size = "md" }: EChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<ECharts | null>(null);
  // The latest option, for a chart created after it was set.
  const latest = useRef(option);

  useEffect(() => {
    let unmounted = false;
    let observer: ResizeObserver | null = null;
    void loadECharts().then(({ echarts }) => {
      const el = box.current;
      if (unmounted || el === null) return;
      const instance = echarts.init(el, null, { renderer: "canvas" });
      chart.current = instance;
      observer = typeof ResizeObserver === "undefined" ? null : new ResizeObserver(() => instance.resize());
      observer?.observe(el);
      show(instance, latest.current);
    });
    return () => {
      unmounted = true;
      observer?.disconnect();
      chart.current?.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    latest.current = option;
    if (chart.current !== null) show(chart.current, option);
  }, [option]);

  return <div ref={box} class={`chart chart-${size}`} role="img" aria-label={label} />;
}
