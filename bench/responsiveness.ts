// npm run bench:responsiveness [-- --clients N] [--duration S] [--batch N] [--chars N] [--probe-ms MS]
//
// Does a heavy batch hold the gateway's event loop? The gateway runs in its own process
// (bench/lib/server-child.ts, one process, so one event loop); `--clients` clients (default 4)
// send POST /predict batches of `--batch` inputs (1,000) of `--chars` random characters (5,000)
// back to back for `--duration` seconds, while a probe in a worker thread of this process (its own
// event loop: the clients' I/O does not delay its clock) asks GET /healthz every `--probe-ms` (10)
// and times each answer. The same probe on the idle gateway first gives the floor.
//
// Loopback only; the load is bounded by the duration and the clients' count. The batches ask for
// `route: "specialist"`: random text is out of scope for the demo model, and the path measured is
// featurising and predicting, not the simulated teacher's answers.
//
// Writes bench/results/responsiveness.json and the responsiveness section of bench/README.md.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { loadDatasetFile } from "../src/data/dataset-file.js";
import { numberFlag, REPO_ROOT } from "./lib/banking77.js";
import { createBenchStore, startChild, stopChild } from "./lib/child.js";
import { probeHealthz } from "./lib/healthz-probe.js";
import { randomTexts } from "./lib/random-text.js";
import { markdownTable, updateReadmeSection, writeResult } from "./lib/report.js";

const DEMO_DIR = join(REPO_ROOT, "examples/banking-demo");
const TASK = "banking-demo";

const settings = {
  clients: numberFlag("--clients", 4),
  duration_s: numberFlag("--duration", 20),
  batch: numberFlag("--batch", 1000),
  chars: numberFlag("--chars", 5000),
  probe_ms: numberFlag("--probe-ms", 10),
  idle_s: numberFlag("--idle", 3),
};

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

async function call(url: string, key: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return text === "" ? null : JSON.parse(text);
}

async function main(): Promise<void> {
  console.error(`settings: ${JSON.stringify(settings)}`);
  const dir = mkdtempSync(join(tmpdir(), "apprentice-bench-resp-"));
  try {
    const dbPath = join(dir, "bench.db");
    const { adminKey, predictKey } = await createBenchStore(dbPath);
    // BENCH_CHILD_EXECARGV: extra Node flags for the gateway, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
    const childFlags = process.env.BENCH_CHILD_EXECARGV?.split(" ").filter(Boolean) ?? [];
    const gw = await startChild(["gateway", dbPath, "off"], join(dir, "gateway.log"), childFlags);
    try {
      const url = gw.url;
      const taskFile = JSON.parse(readFileSync(join(DEMO_DIR, "task.json"), "utf8")) as Record<string, unknown>;
      await call(url, adminKey, "POST", "/v1/tasks", {
        ...taskFile,
        teacher: { name: "sim" },
        routing: { max_error: 0.1, confidence_level: 0.95, audit_rate: 0 },
        training: { retrain_every: 1_000_000, min_examples: 100, holdout_fraction: 0.3, seed: 1 },
      });
      const train = (await loadDatasetFile(join(DEMO_DIR, "train.csv"), { textColumn: "text", labelColumn: "label" })).examples.map((e) => ({ text: e.text, label: e.label! }));
      await call(url, adminKey, "POST", `/v1/tasks/${TASK}/examples`, train);
      await call(url, adminKey, "POST", `/v1/tasks/${TASK}/retrain`);

      const body = JSON.stringify({ inputs: randomTexts(settings.batch, settings.chars, 7), route: "specialist" });
      const headers = { authorization: `Bearer ${predictKey}`, "content-type": "application/json" };
      // One batch first: JIT warm-up, and a check that the batch is answered at all.
      const first = await fetch(`${url}/v1/tasks/${TASK}/predict`, { method: "POST", headers, body });
      if (first.status !== 200) throw new Error(`warm-up batch: HTTP ${first.status} ${(await first.text()).slice(0, 300)}`);
      await first.arrayBuffer();

      const idle = await probeHealthz(url, settings.probe_ms, settings.idle_s * 1000);
      console.error(`idle /healthz: ${JSON.stringify(idle)}`);

      const batchMs: number[] = [];
      let batchFailures = 0;
      const stopAt = performance.now() + settings.duration_s * 1000;
      const client = async () => {
        while (performance.now() < stopAt) {
          const t0 = performance.now();
          const res = await fetch(`${url}/v1/tasks/${TASK}/predict`, { method: "POST", headers, body });
          // Read, not parsed: parsing 5 MB replies here would not change what the probe sees.
          const reply = await res.arrayBuffer();
          if (res.status === 200) batchMs.push(performance.now() - t0);
          else if (batchFailures++ < 3) console.error(`batch failed: HTTP ${res.status} ${Buffer.from(reply).toString("utf8", 0, 300)}`);
        }
      };
      const [loaded] = await Promise.all([probeHealthz(url, settings.probe_ms, settings.duration_s * 1000), ...Array.from({ length: settings.clients }, client)]);
      const sortedBatch = [...batchMs].sort((a, b) => a - b);
      const batches = { answered: batchMs.length, failures: batchFailures, median_ms: round(sortedBatch[Math.floor(sortedBatch.length / 2)] ?? NaN, 0), max_ms: round(sortedBatch[sortedBatch.length - 1] ?? NaN, 0) };
      console.error(`under load /healthz: ${JSON.stringify(loaded)}; batches: ${JSON.stringify(batches)}`);

      // The machine may be shared: its load during the run says how far the figures can be trusted.
      const load = loadavg().map((x) => round(x, 1));
      const result = { date: new Date().toISOString(), node: process.version, load_average_1_5_15: load, settings, idle, loaded, batches, target: { healthz_p99_ms: 50, met: loaded.p99_ms < 50 } };
      const path = writeResult("responsiveness", result);
      updateReadmeSection(
        "responsiveness",
        [
          `### Responsiveness under heavy batches (${result.date.slice(0, 10)}, Node ${process.version})`,
          "",
          `${settings.clients} clients sending batches of ${settings.batch} × ${settings.chars} random characters (route specialist) for ${settings.duration_s} s; /healthz probed every ${settings.probe_ms} ms from a worker thread. Target: p99 < 50 ms. Machine load average at the end: ${load.join(", ")}.`,
          "",
          markdownTable(
            ["", "probes", "p50 ms", "p99 ms", "max ms", "failures"],
            [
              ["/healthz, idle", idle.probes, idle.p50_ms, idle.p99_ms, idle.max_ms, idle.failures],
              ["/healthz, under the batches", loaded.probes, loaded.p50_ms, loaded.p99_ms, loaded.max_ms, loaded.failures],
            ],
          ),
          "",
          `Batches answered: ${batches.answered} (median ${batches.median_ms} ms, max ${batches.max_ms} ms), failed: ${batches.failures}. Raw figures: [results/responsiveness.json](results/responsiveness.json).`,
        ].join("\n"),
      );
      console.error(`wrote ${path}`);
    } finally {
      await stopChild(gw);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
