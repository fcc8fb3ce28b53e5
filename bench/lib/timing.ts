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

/** Predictions per second on one thread: median of five passes after a warm-up pass, and the spread. */
export function throughput(texts: readonly string[], predict: (text: string) => unknown): { median: number; min: number; max: number } {
  for (const t of texts) predict(t);
  const rates: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = process.hrtime.bigint();
    for (const t of texts) predict(t);
    rates.push(texts.length / (Number(process.hrtime.bigint() - t0) / 1e9));
  }
  rates.sort((a, b) => a - b);
  return { median: rates[2], min: rates[0], max: rates[4] };
}
