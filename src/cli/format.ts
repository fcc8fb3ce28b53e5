// Number and table formatting for human-readable output. Fixed locale ("en-US") so output is the
// same on every machine and easy to grep.

export function percent(x: number | null | undefined, digits = 1): string {
  return x === null || x === undefined || !Number.isFinite(x) ? "n/a" : `${(x * 100).toFixed(digits)}%`;
}

export function fixed(x: number | null | undefined, digits = 3): string {
  return x === null || x === undefined || !Number.isFinite(x) ? "n/a" : x.toFixed(digits);
}

export function count(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}

export function seconds(s: number): string {
  return s < 10 ? `${s.toFixed(2)} s` : `${s.toFixed(1)} s`;
}

/** Columns padded to their widest cell; `align` has one "l" or "r" per column. */
export function table(rows: string[][], align: string, indent = "  "): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, [...cell].length)));
  return rows.map(
    (row) =>
      indent +
      row
        .map((cell, i) => {
          const pad = " ".repeat(widths[i] - [...cell].length);
          return align[i] === "r" ? pad + cell : cell + pad;
        })
        .join("  ")
        .trimEnd(),
  );
}

/** Label/value lines, e.g. "  accuracy   93.3%". */
export function keyValues(pairs: [string, string][], indent = "  "): string[] {
  return table(pairs, "ll", indent);
}
