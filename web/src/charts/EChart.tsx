// A thin ECharts wrapper: one chart per element, options replaced (not merged) on change,
// resized with its box, disposed on unmount. The element's size comes from CSS classes.
import { useEffect, useRef } from "preact/hooks";
import { echarts, FONT, type ChartOption } from "./echarts.js";

export interface EChartProps {
  option: ChartOption;
  /** What the chart shows, for screen readers (the canvas itself says nothing). */
  label: string;
  size?: "sm" | "md" | "lg" | "xl";
}

export function EChart({ option, label, size = "md" }: EChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);

  useEffect(() => {
    const el = box.current;
    if (el === null) return;
    const instance = echarts.init(el, null, { renderer: "canvas" });
    chart.current = instance;
    const observer = typeof ResizeObserver === "undefined" ? null : new ResizeObserver(() => instance.resize());
    observer?.observe(el);
    return () => {
      observer?.disconnect();
      instance.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    chart.current?.setOption({ textStyle: { fontFamily: FONT }, animationDuration: 300, ...option }, { notMerge: true });
  }, [option]);

  return <div ref={box} class={`chart chart-${size}`} role="img" aria-label={label} />;
}
