import { describe, expect, it } from "vitest";
import type { TrafficPoint } from "../../web/src/api/types.js";
import { bucketLabel, costSavedSeries, dailyAsTraffic, fitWindow, stackTraffic, windowFor } from "../../web/src/lib/series.js";

const HOUR = 3_600_000;
const t0 = new Date(2026, 10, 24, 10, 0, 0).getTime();

function point(i: number, specialist: number, teacher: number, none = 0, saved: number | null = null): TrafficPoint {
  return { start: t0 + i * HOUR, requests: specialist + teacher + none, specialist, teacher, none, cost: teacher * 0.001, cost_saved: saved };
}

describe("stackTraffic", () => {
  it("makes one series per source, aligned with the buckets", () => {
    const s = stackTraffic([point(0, 1, 4), point(1, 3, 2), point(2, 0, 0)], "hour");
    expect(s.categories).toEqual(["10:00", "11:00", "12:00"]);
    expect(s.series.map((x) => x.key)).toEqual(["specialist", "teacher"]);
    expect(s.series[0].data).toEqual([1, 3, 0]);
    expect(s.series[1].data).toEqual([4, 2, 0]);
    expect(s.total).toBe(10);
  });

  it("keeps 'No answer' only when a bucket has some", () => {
    const s = stackTraffic([point(0, 1, 1), point(1, 0, 1, 2)], "hour");
    expect(s.series.map((x) => x.name)).toEqual(["Specialist", "Teacher", "No answer"]);
    expect(s.series[2].data).toEqual([0, 2]);
  });

  it("gives the none-of-these answers as their own line, only when there are some", () => {
    expect(stackTraffic([point(0, 1, 4), point(1, 3, 2)], "hour").noneOfThese).toBeNull();
    const s = stackTraffic([{ ...point(0, 1, 4), none_of_these: 2 }, point(1, 3, 2)], "hour");
    expect(s.noneOfThese).toEqual([2, 0]);
    // Part of the stacked sources, never a source of its own.
    expect(s.series.map((x) => x.key)).toEqual(["specialist", "teacher"]);
  });

  it("labels buckets with the day when the series spans days", () => {
    const points = Array.from({ length: 30 }, (_, i) => point(i, 1, 1));
    const s = stackTraffic(points, "hour");
    expect(s.categories[0]).toBe("24 Nov 10:00");
    expect(stackTraffic([], "hour")).toEqual({ categories: [], starts: [], series: [{ key: "specialist", name: "Specialist", data: [] }, { key: "teacher", name: "Teacher", data: [] }], noneOfThese: null, total: 0 });
  });
});

describe("bucketLabel", () => {
  it("formats by bucket size", () => {
    expect(bucketLabel(t0, "day", true)).toBe("24 Nov");
    expect(bucketLabel(t0 + 5 * 60_000, "minute", false)).toBe("10:05");
  });
});

describe("costSavedSeries", () => {
  it("adds up a running total, null until the first priced bucket", () => {
    const s = costSavedSeries([{ cost_saved: null }, { cost_saved: 0.5 }, { cost_saved: null }, { cost_saved: 0.25 }, { cost_saved: -0.1 }]);
    expect(s.perBucket).toEqual([null, 0.5, null, 0.25, -0.1]);
    expect(s.cumulative).toEqual([null, 0.5, 0.5, 0.75, 0.65]);
    expect(s.total).toBeCloseTo(0.65);
    expect(costSavedSeries([{ cost_saved: null }]).total).toBeNull();
  });
});

describe("windowFor and dailyAsTraffic", () => {
  it("chooses hourly buckets up to a week and daily beyond", () => {
    const now = 1_800_000_000_000;
    expect(windowFor("24h", now)).toEqual({ since: now - 24 * HOUR, until: now, bucket: "hour" });
    expect(windowFor("7d", now).bucket).toBe("hour");
    expect(windowFor("30d", now)).toEqual({ since: now - 30 * 24 * HOUR, until: now, bucket: "day" });
  });

  it("turns daily stats into traffic points", () => {
    expect(dailyAsTraffic([{ day: "2026-11-24", start: t0, requests: 10, specialist: 3, teacher: 6, cost: 0.3, cost_saved: 0.1 }])).toEqual([
      { start: t0, requests: 10, specialist: 3, teacher: 6, none: 1, cost: 0.3, cost_saved: 0.1 },
    ]);
  });
});

describe("fitWindow", () => {
  const HOUR = 3_600_000;
  const until = Date.UTC(2025, 0, 2, 12, 0, 0);
  const day = { since: until - 24 * HOUR, until, bucket: "hour" as const };
  const hourly = (counts: Record<number, number>) => Array.from({ length: 24 }, (_, i) => ({ start: day.since + i * HOUR, requests: counts[i] ?? 0 }));

  it("zooms in on requests that fill only the last hour of a day: minute buckets from just before the first", () => {
    const fitted = fitWindow(hourly({ 23: 40 }), day);
    // The hourly bucket says only that the first request came at or after its start.
    expect(fitted).toEqual({ since: day.since + 23 * HOUR - 60_000, until, bucket: "minute" });
    expect((fitted!.until - fitted!.since) / 60_000).toBeLessThanOrEqual(120);
  });

  it("keeps hours for a few hours of traffic, and the window when the requests already span it", () => {
    expect(fitWindow(hourly({ 18: 5, 23: 1 }), day)).toEqual({ since: day.since + 17 * HOUR, until, bucket: "hour" });
    expect(fitWindow(hourly({ 0: 1, 23: 1 }), day)).toBeNull();
    expect(fitWindow(hourly({}), day)).toBeNull();
  });

  it("never widens the window it was given, and uses days past 120 hours", () => {
    const month = { since: until - 30 * 24 * HOUR, until, bucket: "day" as const };
    const days = Array.from({ length: 30 }, (_, i) => ({ start: month.since + i * 24 * HOUR, requests: i >= 20 ? 3 : 0 }));
    const firstDay = Math.floor((month.since + 20 * 24 * HOUR) / (24 * HOUR)) * 24 * HOUR;
    expect(fitWindow(days, month)).toEqual({ since: firstDay - 24 * HOUR, until, bucket: "day" });
    expect(fitWindow([{ start: month.since, requests: 1 }], month)).toBeNull();
  });
});
