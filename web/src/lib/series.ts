// Shaping the gateway's time series for the charts: traffic buckets into stacked series by
// source, cost saved per bucket and running total, and the time windows the pages offer (narrowed
// to where the requests are).
import type { Bucket, DailyStats, TrafficPoint } from "../api/types.js";

export type Range = "24h" | "7d" | "30d";

export const RANGES: { value: Range; label: string }[] = [
  { value: "24h", label: "24 hours" },
  { value: "7d", label: "7 days" },
  { value: "30d", label: "30 days" },
];

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The window and bucket size for a range: hours up to a week, days beyond. */
export function windowFor(range: Range, now: number): { since: number; until: number; bucket: Bucket } {
  switch (range) {
    case "24h":
      return { since: now - DAY, until: now, bucket: "hour" };
    case "7d":
      return { since: now - 7 * DAY, until: now, bucket: "hour" };
    case "30d":
      return { since: now - 30 * DAY, until: now, bucket: "day" };
  }
}

const BUCKET_SIZES: { bucket: Bucket; ms: number }[] = [
  { bucket: "minute", ms: 60_000 },
  { bucket: "hour", ms: HOUR },
  { bucket: "day", ms: DAY },
];
/** A chart of more bars than this is hard to read; fewer than ~10 says little about a trend. */
const MAX_BARS = 120;

/**
 * A narrower window when the requests fill only the end of the one asked for (a gateway started
 * an hour ago shows one hourly bar at the right edge of a 24-hour axis): from the bucket before
 * the first request to the window's end, in the finest bucket that keeps at most MAX_BARS bars.
 * Null when the window already fits (or has no request).
 */
export function fitWindow(points: readonly Pick<TrafficPoint, "start" | "requests">[], window: { since: number; until: number; bucket: Bucket }): { since: number; until: number; bucket: Bucket } | null {
  const first = points.find((p) => p.requests > 0);
  if (first === undefined) return null;
  const span = window.until - first.start;
  const size = BUCKET_SIZES.find((b) => span / b.ms <= MAX_BARS) ?? BUCKET_SIZES[BUCKET_SIZES.length - 1];
  const since = Math.max(window.since, Math.floor(first.start / size.ms) * size.ms - size.ms);
  if (size.bucket === window.bucket && since <= window.since) return null;
  return { since, until: window.until, bucket: size.bucket };
}

const pad = (n: number) => String(n).padStart(2, "0");
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** A bucket's axis label in local time: "14:00" (with the day when the series spans several), "24 Nov". */
export function bucketLabel(start: number, bucket: Bucket, multiDay: boolean): string {
  const d = new Date(start);
  const day = `${d.getDate()} ${MONTHS[d.getMonth()]}`;
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  if (bucket === "day") return day;
  return multiDay ? `${day} ${time}` : time;
}

export interface StackSeries {
  key: "specialist" | "teacher" | "none";
  name: string;
  data: number[];
}

export interface StackedTraffic {
  categories: string[];
  starts: number[];
  series: StackSeries[];
  /** Requests answered "none of these" per bucket (part of the stacked sources, drawn as a line); null when there are none. */
  noneOfThese: number[] | null;
  total: number;
}

const SOURCES: { key: StackSeries["key"]; name: string }[] = [
  { key: "specialist", name: "Specialist" },
  { key: "teacher", name: "Teacher" },
  { key: "none", name: "No answer" },
];

/**
 * Traffic buckets as one series per source, stacked in the chart. "No answer" (teacher failures)
 * is left out when it is zero throughout, so the legend shows only what happened.
 */
export function stackTraffic(points: readonly TrafficPoint[], bucket: Bucket): StackedTraffic {
  const multiDay = points.length > 1 && points[points.length - 1].start - points[0].start >= DAY;
  const series = SOURCES.map(({ key, name }) => ({ key, name, data: points.map((p) => p[key] ?? 0) })).filter((s) => s.key !== "none" || s.data.some((v) => v > 0));
  const noneOfThese = points.map((p) => p.none_of_these ?? 0);
  return {
    categories: points.map((p) => bucketLabel(p.start, bucket, multiDay)),
    starts: points.map((p) => p.start),
    series,
    noneOfThese: noneOfThese.some((v) => v > 0) ? noneOfThese : null,
    total: points.reduce((sum, p) => sum + p.requests, 0),
  };
}

export interface SavedSeries {
  /** Per bucket; null where the gateway could not price it (no paid teacher call in the window). */
  perBucket: (number | null)[];
  /** Running total from the window's start; null until the first priced bucket. */
  cumulative: (number | null)[];
  total: number | null;
}

export function costSavedSeries(points: readonly Pick<TrafficPoint, "cost_saved">[]): SavedSeries {
  let running: number | null = null;
  const cumulative: (number | null)[] = [];
  for (const p of points) {
    if (p.cost_saved !== null && p.cost_saved !== undefined) running = (running ?? 0) + p.cost_saved;
    cumulative.push(running);
  }
  return { perBucket: points.map((p) => p.cost_saved ?? null), cumulative, total: running };
}

/** The stats route's daily rows as traffic buckets, for gateways without the /traffic route. */
export function dailyAsTraffic(daily: readonly DailyStats[]): TrafficPoint[] {
  return daily.map((d) => ({ start: d.start, requests: d.requests, specialist: d.specialist, teacher: d.teacher, none: Math.max(0, d.requests - d.specialist - d.teacher), cost: d.cost, cost_saved: d.cost_saved }));
}
