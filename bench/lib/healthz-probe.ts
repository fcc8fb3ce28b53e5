// A /healthz probe timed from a worker thread: its own event loop, so the load this process
// generates (autocannon, attackers, parsing replies) does not delay its clock, and what it
// measures is how long the gateway takes to answer a trivial request while it is busy.
import { Worker } from "node:worker_threads";

export interface ProbeStats {
  probes: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  failures: number;
}

/** What a probe run collected: every answer's time (ms) and how many probes failed (no reply or not 200). */
export interface ProbeSamples {
  times: number[];
  failures: number;
}

// Plain JavaScript for the worker (no loader needed): GET /healthz every `every` ms until the
// parent posts "stop" (or `ms` ms have passed, when given), then posts what it collected.
const PROBE_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { url, ms, every } = workerData;
let stopped = false;
parentPort.once("message", () => (stopped = true));
(async () => {
  const times = [];
  let failures = 0;
  const end = ms === null ? Infinity : performance.now() + ms;
  while (!stopped && performance.now() < end) {
    const t0 = performance.now();
    try {
      const res = await fetch(url + "/healthz");
      await res.arrayBuffer();
      if (res.status !== 200) failures++;
    } catch {
      failures++;
    }
    const took = performance.now() - t0;
    times.push(took);
    if (took < every) await new Promise((r) => setTimeout(r, every - took));
  }
  parentPort.postMessage({ times, failures });
})();
`;

export interface RunningProbe {
  /** Ends the probe (after the request in flight) and returns what it collected. */
  stop(): Promise<ProbeSamples>;
  /** Resolves when the probe ends on its own (a probe started with a duration) or is stopped. */
  readonly done: Promise<ProbeSamples>;
}

/** Starts probing `url`/healthz every `everyMs` ms, for `durationMs` ms or until stopped. */
export function startHealthzProbe(url: string, everyMs: number, durationMs: number | null = null): RunningProbe {
  const worker = new Worker(PROBE_SOURCE, { eval: true, workerData: { url, ms: durationMs, every: everyMs } });
  const done = new Promise<ProbeSamples>((resolve, reject) => {
    worker.once("error", reject);
    worker.once("message", (m: ProbeSamples) => {
      resolve(m);
      void worker.terminate();
    });
  });
  return {
    done,
    stop: () => {
      worker.postMessage("stop");
      return done;
    },
  };
}

/** Probes for `durationMs` ms and summarises. */
export async function probeHealthz(url: string, everyMs: number, durationMs: number): Promise<ProbeStats> {
  return probeStats([await startHealthzProbe(url, everyMs, durationMs).done]);
}

/** Percentiles over the samples of one or more probe runs. */
export function probeStats(runs: ProbeSamples[]): ProbeStats {
  const sorted = runs.flatMap((r) => r.times).sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 10) / 10;
  const at = (q: number) => round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN);
  return { probes: sorted.length, p50_ms: at(0.5), p99_ms: at(0.99), max_ms: round(sorted[sorted.length - 1] ?? NaN), failures: runs.reduce((n, r) => n + r.failures, 0) };
}
