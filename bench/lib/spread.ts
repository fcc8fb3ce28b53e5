// Median and worst of a figure over the runs of a benchmark (stream orders): what its tables report.

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** `worst`: whether a higher ("max") or lower ("min") value is the worse one; both rounded to 4 decimals. */
export function medianAndWorst(xs: readonly number[], worst: "max" | "min"): { median: number; worst: number } {
  const round = (x: number) => Math.round(x * 1e4) / 1e4;
  return { median: round(median(xs)), worst: round(worst === "max" ? Math.max(...xs) : Math.min(...xs)) };
}
