// A static SVG of a simulation: two panels sharing the x axis (requests). Top: cumulative teacher
// calls, with the teacher-only diagonal. Bottom: rolling accuracy of the cascade and of the
// teacher alone. Hand-written because a static chart is ~150 lines and a chart library would be
// the project's largest dependency; pure string building, so it runs anywhere.
import type { SimulationTrace } from "./simulation.js";

export interface PlotOptions {
  title?: string;
  /** Rolling-accuracy window in requests (default 500, shrunk for short streams). */
  window?: number;
}

interface Series {
  name: string;
  color: string;
  dashed?: boolean;
  points: [number, number][];
}

interface Panel {
  top: number;
  yLabel: string;
  yMin: number;
  yMax: number;
  yFormat: (v: number) => string;
  series: Series[];
}

const WIDTH = 760;
const PANEL_HEIGHT = 250;
const MARGIN = { left: 70, right: 20, top: 40, gap: 60, bottom: 50 };
const PLOT_WIDTH = WIDTH - MARGIN.left - MARGIN.right;
/** Points per series at most: enough for a smooth line, small enough for a light file. */
const MAX_POINTS = 600;
const CASCADE_COLOR = "#1f77b4";
const TEACHER_COLOR = "#d62728";

/** Round tick values inside [min, max]: steps of 1, 2 or 5 × a power of ten. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  // The round step nearest the raw one (within ×1.5), so there are about `count` ticks.
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s * 1.5 >= raw) ?? 10 * power;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step - 1e-9) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Every k-th point plus the last, so a long series stays under MAX_POINTS. */
function thin(points: [number, number][]): [number, number][] {
  if (points.length <= MAX_POINTS) return points;
  const k = Math.ceil(points.length / MAX_POINTS);
  const out = points.filter((_, i) => i % k === 0);
  if (out[out.length - 1] !== points[points.length - 1]) out.push(points[points.length - 1]);
  return out;
}

function cumulative(bits: Uint8Array): [number, number][] {
  const points: [number, number][] = [[0, 0]];
  let sum = 0;
  for (let i = 0; i < bits.length; i++) {
    sum += bits[i];
    points.push([i + 1, sum]);
  }
  return thin(points);
}

/** Share of ones over the trailing `window` requests, from the first full window on. */
export function rolling(bits: Uint8Array, window: number): [number, number][] {
  const points: [number, number][] = [];
  let sum = 0;
  for (let i = 0; i < bits.length; i++) {
    sum += bits[i];
    if (i >= window) sum -= bits[i - window];
    if (i >= window - 1) points.push([i + 1, sum / window]);
  }
  return thin(points);
}

function renderPanel(panel: Panel, xMax: number, xTicks: number[], last: boolean): string[] {
  const { top, yMin, yMax } = panel;
  const x = (v: number) => MARGIN.left + (xMax === 0 ? 0 : (v / xMax) * PLOT_WIDTH);
  const y = (v: number) => top + PANEL_HEIGHT - ((v - yMin) / (yMax - yMin || 1)) * PANEL_HEIGHT;
  const out: string[] = [];
  out.push(`<rect x="${MARGIN.left}" y="${top}" width="${PLOT_WIDTH}" height="${PANEL_HEIGHT}" fill="none" stroke="#333"/>`);
  for (const t of niceTicks(yMin, yMax)) {
    const ty = y(t).toFixed(1);
    out.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + PLOT_WIDTH}" y1="${ty}" y2="${ty}" stroke="#ddd"/>`);
    out.push(`<text x="${MARGIN.left - 6}" y="${ty}" text-anchor="end" dominant-baseline="middle">${escapeXml(panel.yFormat(t))}</text>`);
  }
  for (const t of xTicks) {
    const tx = x(t).toFixed(1);
    out.push(`<line x1="${tx}" x2="${tx}" y1="${top + PANEL_HEIGHT}" y2="${top + PANEL_HEIGHT + 5}" stroke="#333"/>`);
    out.push(`<text x="${tx}" y="${top + PANEL_HEIGHT + 18}" text-anchor="middle">${t.toLocaleString("en-US")}</text>`);
  }
  if (last) out.push(`<text x="${MARGIN.left + PLOT_WIDTH / 2}" y="${top + PANEL_HEIGHT + 40}" text-anchor="middle">requests</text>`);
  const cy = top + PANEL_HEIGHT / 2;
  out.push(`<text x="18" y="${cy}" text-anchor="middle" transform="rotate(-90 18 ${cy})">${escapeXml(panel.yLabel)}</text>`);
  for (const s of panel.series) {
    if (s.points.length === 0) continue;
    const d = s.points.map(([px, py], i) => `${i === 0 ? "M" : "L"}${x(px).toFixed(1)},${y(py).toFixed(1)}`).join("");
    out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ""}/>`);
  }
  // Legend, top left inside the panel, on a light box so lines passing under it stay readable.
  const longest = Math.max(...panel.series.map((s) => s.name.length));
  out.push(`<rect x="${MARGIN.left + 6}" y="${top + 6}" width="${48 + 7 * longest}" height="${panel.series.length * 18 + 2}" fill="white" fill-opacity="0.85" stroke="#ccc"/>`);
  panel.series.forEach((s, i) => {
    const ly = top + 16 + i * 18;
    const lx = MARGIN.left + 12;
    out.push(`<line x1="${lx}" x2="${lx + 24}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ""}/>`);
    out.push(`<text x="${lx + 30}" y="${ly}" dominant-baseline="middle">${escapeXml(s.name)}</text>`);
  });
  return out;
}

export function simulationSvg(trace: SimulationTrace, options: PlotOptions = {}): string {
  const n = trace.correct.length;
  const window = Math.max(1, Math.min(options.window ?? 500, Math.max(10, Math.floor(n / 5))));
  const xTicks = niceTicks(0, n);

  const calls: Series[] = [
    { name: "cascade", color: CASCADE_COLOR, points: cumulative(trace.teacherCalled) },
    { name: "teacher only", color: TEACHER_COLOR, dashed: true, points: [[0, 0], [n, n]] },
  ];
  const accuracy: Series[] = [{ name: "cascade", color: CASCADE_COLOR, points: rolling(trace.correct, window) }];
  if (trace.teacherOnlyCorrect) {
    accuracy.push({ name: "teacher only", color: TEACHER_COLOR, dashed: true, points: rolling(trace.teacherOnlyCorrect, window) });
  }
  const values = accuracy.flatMap((s) => s.points.map((p) => p[1]));
  const lo = values.length ? Math.max(0, Math.floor((Math.min(...values) - 0.02) * 20) / 20) : 0;
  const hi = values.length ? Math.min(1, Math.ceil((Math.max(...values) + 0.02) * 20) / 20) : 1;

  const first: Panel = { top: MARGIN.top, yLabel: "cumulative teacher calls", yMin: 0, yMax: Math.max(1, n), yFormat: (v) => v.toLocaleString("en-US"), series: calls };
  const second: Panel = {
    top: MARGIN.top + PANEL_HEIGHT + MARGIN.gap,
    yLabel: `accuracy (rolling, ${window} requests)`,
    yMin: lo,
    yMax: hi > lo ? hi : lo + 0.05,
    yFormat: (v) => `${Math.round(v * 100)}%`,
    series: accuracy,
  };
  const height = second.top + PANEL_HEIGHT + MARGIN.bottom;
  const title = options.title ?? "Cascade simulation";
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(title)}</text>`,
    ...renderPanel(first, n, xTicks, false),
    ...renderPanel(second, n, xTicks, true),
    `</svg>`,
    "",
  ].join("\n");
}
