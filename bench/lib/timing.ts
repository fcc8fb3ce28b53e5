// Per-call latency for the benchmarks: every call timed on its own with the high-resolution clock.

export interface LatencyPercentiles {
  p50_us: number;
  p99_us: number;
  max_us: number;
}

/** Times `call(input)` once per input, over `passes` passes after one untimed warm-up pass. */
export function latencyPercentiles<T>(inputs: readonly T[], call: (input: T) => unknown, passes = 3): LatencyPercentiles {
  for (const x of inputs) call(x);
  const us: number[] = [];
  for (let pass = 0; pass < passes; pass++) {
    for (const x of inputs) {
      const t0 = process.hrtime.bigint();
      call(x);
      us.push(Number(process.hrtime.bigint() - t0) / 1000);
    }
  }
  us.sort((a, b) => a - b);
  return { p50_us: us[Math.floor(us.length * 0.5)], p99_us: us[Math.floor(us.length * 0.99)], max_us: us[us.length - 1] };
}
