// The process under test for bench/server.ts, started with child_process.fork so that the server
// and the load generator (autocannon, in the parent) do not share an event loop or a core.
//
//   server-child.ts bare [BUSY_US [PROCESSES]]
//                                             a bare Fastify app, one POST route, small JSON reply;
//                                             with BUSY_US, the route first spins that many µs of CPU
//   server-child.ts gateway DB_PATH LOG [PROCESSES]
//                                             the Apprentice gateway over the SQLite file DB_PATH
//   server-child.ts task-gateway DB_PATH LOG PORT REQUEST_LOG [TEACHERS_JSON]
//                                             the same with the teachers TEACHERS_JSON declares (as
//                                             `apprentice serve` with a configuration's teachers:), on a
//                                             fixed port (a restart keeps its URL), background
//                                             retrains on, request log "buffered" or "sync"
//   server-child.ts capture-gateway DB_PATH LOG UPSTREAM_URL on|off
//                                             the gateway with an upstream LLM at UPSTREAM_URL, capture
//                                             on (the default settings: shadow mode, no auto_serve) or
//                                             off (`capture: false`, pure pass-through), one process
//   server-child.ts simulated-llm             the simulated upstream LLM (startSimulatedLlm), answering
//                                             each transfers-demo text with its gold object's JSON
//                                             (a map lookup: cheap, and the same every time)
//
// With PROCESSES > 1 the server runs in that many node:cluster workers sharing the port, as
// `apprentice serve --workers N` runs the gateway; this process is then their primary.
//
// Once listening it sends { url } to the parent over IPC; it exits when the parent disconnects or
// sends SIGTERM. Both listen on 127.0.0.1, port 0 (a free port).
import cluster from "node:cluster";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Fastify from "fastify";
import { loadDatasetFile } from "../../src/data/dataset-file.js";
import { startGateway } from "../../src/server/start.js";
import type { TeacherDeclaration } from "../../src/server/runtime/teachers.js";
import { openStore } from "../../src/store/index.js";
import { loadTransfersData } from "../../src/cli/demo/transfers.js";
import { isStructuredTask } from "../../src/task/structured.js";
import { SimulatedTeacher, structuredAnswerKey } from "../../src/teacher/index.js";
import { lastUserText, startSimulatedLlm } from "../../src/teacher/simulated-llm-server.js";
import { REPO_ROOT } from "./banking77.js";

const DEMO_DIR = join(REPO_ROOT, "examples/banking-demo");

async function bare(busyUs: number): Promise<string> {
  // The ceiling: what Fastify itself does on this machine with a JSON body in and a JSON body out.
  // With busyUs, a calibration: how throughput falls as a route does more work per request.
  const app = Fastify({ logger: false });
  app.post("/v1/chat/completions", async () => {
    if (busyUs > 0) {
      const until = performance.now() + busyUs / 1000;
      while (performance.now() < until);
    }
    return { ok: true, label: "card_arrival" };
  });
  await app.listen({ host: "127.0.0.1", port: 0 });
  // Exit normally on SIGTERM (stopChild) so that a --cpu-prof profile gets written.
  process.once("SIGTERM", () => void app.close().then(() => process.exit(0)));
  const address = app.server.address();
  if (address === null || typeof address === "string") throw new Error("no TCP address");
  return `http://127.0.0.1:${address.port}`;
}

async function gateway(dbPath: string, log: string): Promise<string> {
  // The simulated teacher answers from the demo's gold labels (train and test), always right: the
  // benchmark measures the serving path, not the teacher's quality.
  const gold = [];
  for (const f of ["train.csv", "test.csv"]) {
    const ds = await loadDatasetFile(join(DEMO_DIR, f), { textColumn: "text", labelColumn: "label" });
    gold.push(...ds.examples.map((e) => ({ text: e.text, label: e.label! })));
  }
  const labels = (JSON.parse(readFileSync(join(DEMO_DIR, "task.json"), "utf8")) as { labels: { name: string }[] }).labels.map((l) => l.name);
  const teacher = new SimulatedTeacher({ labels, gold, accuracy: 1, seed: 1 });
  // A structured task (the `structured` phase's transfers-demo) gets the gold objects of
  // examples/transfers-demo, also always right.
  const transfers = await loadTransfersData(false);
  const objects = transfers.gold.map((r) => ({ text: r.text, object: r.object }));
  const structured = new SimulatedTeacher({ key: structuredAnswerKey({ fields: transfers.fields, gold: objects, accuracy: 1 }) });
  const store = await openStore(dbPath);
  // `info` is what `apprentice serve` runs with (two log lines per request); its output goes to
  // the child's stdout, which the parent sends to /dev/null.
  // rateLimit off: the per-key limit (1,000 requests/s by default) would answer most of a
  // single-key load test with 429; what is measured here is the serving path.
  const g = await startGateway({ store, host: "127.0.0.1", port: 0, simulatedTeacher: (task) => (isStructuredTask(task) ? structured : teacher), logger: log === "off" ? false : { level: log }, rateLimit: false, handleSignals: true });
  return g.url;
}

async function taskGateway(dbPath: string, log: string, port: number, requestLog: string, teachers: string): Promise<string> {
  if (requestLog !== "buffered" && requestLog !== "sync") throw new Error(`request log must be buffered or sync, got ${requestLog}`);
  const store = await openStore(dbPath);
  const g = await startGateway({ store, host: "127.0.0.1", port, logger: log === "off" ? false : { level: log }, rateLimit: false, handleSignals: true, requestLog, teachers: JSON.parse(teachers) as Record<string, TeacherDeclaration> });
  return g.url;
}

async function captureGateway(dbPath: string, log: string, upstreamUrl: string, capture: string): Promise<string> {
  if (capture !== "on" && capture !== "off") throw new Error(`capture must be on or off, got ${capture}`);
  const store = await openStore(dbPath);
  // capture on: no `capture` option, as a gateway whose configuration has no capture block.
  const g = await startGateway({ store, host: "127.0.0.1", port: 0, upstream: { baseURL: upstreamUrl }, ...(capture === "off" ? { capture: false as const } : {}), logger: log === "off" ? false : { level: log }, rateLimit: false, handleSignals: true });
  return g.url;
}

async function simulatedLlm(): Promise<string> {
  const transfers = await loadTransfersData(false);
  const answers = new Map(transfers.gold.map((r) => [r.text, JSON.stringify(r.object)]));
  const llm = await startSimulatedLlm((body) => ({ content: answers.get(lastUserText(body)) ?? "{}" }));
  // Nothing to flush: exit at once (a gateway's keep-alive connections would hold close() open).
  process.once("SIGTERM", () => process.exit(0));
  return llm.url;
}

const [mode, ...args] = process.argv.slice(2);
const processes = Number((mode === "bare" ? args[1] : mode === "gateway" ? args[2] : undefined) ?? 1);

async function start(): Promise<string> {
  if (mode === "bare") return bare(Number(args[0] ?? 0));
  if (mode === "simulated-llm") return simulatedLlm();
  if (mode === "capture-gateway") return captureGateway(args[0], args[1] ?? "info", args[2], args[3]);
  const [dbPath, log = "info", port, requestLog = "buffered", teachers = "{}"] = args;
  return mode === "task-gateway" ? taskGateway(dbPath, log, Number(port), requestLog, teachers) : gateway(dbPath, log);
}

/** The live heap after two full collections, MB (the process runs with --expose-gc). */
function liveHeapMb(): number | null {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return null;
  gc();
  gc();
  return Math.round(process.memoryUsage().heapUsed / 1e5) / 10;
}

if (processes > 1 && cluster.isPrimary) {
  // The primary: forks the workers (which run this file again), reports the shared port once one
  // listens, answers the parent's heap question with the workers' sum, and stops them on SIGTERM.
  const workers = Array.from({ length: processes }, () => cluster.fork());
  let stopping = false;
  cluster.once("listening", (_worker, address) => process.send?.({ url: `http://127.0.0.1:${address.port}`, pid: process.pid }));
  cluster.on("exit", (_worker, code) => {
    if (code !== 0 && !stopping) {
      console.error(`a server worker exited with code ${code}`);
      process.exit(1);
    }
  });
  process.once("SIGTERM", () => {
    stopping = true;
    let left = workers.length;
    for (const w of workers) {
      w.once("exit", () => --left === 0 && process.exit(0));
      w.process.kill("SIGTERM");
    }
  });
  process.on("message", (m: { type?: string }) => {
    if (m.type !== "heap") return;
    const replies: number[] = [];
    for (const w of workers) {
      w.once("message", (r: { type?: string; mb?: number }) => {
        if (r.type === "heap" && typeof r.mb === "number") replies.push(r.mb);
        if (replies.length === workers.length) process.send?.({ type: "heap", mb: Math.round(replies.reduce((a, b) => a + b, 0) * 10) / 10 });
      });
      w.send({ type: "heap" });
    }
  });
  process.on("disconnect", () => {
    for (const w of workers) w.process.kill("SIGKILL");
    process.exit(0);
  });
} else {
  const url = await start();
  // A worker's messages go to its primary, which keeps only the first listening event's port.
  process.send?.({ url, pid: process.pid });
  // The parent (or the primary) asks for the live heap after a full collection: unlike RSS,
  // which keeps the allocator's high-water mark, it only grows if something is retained.
  process.on("message", (m: { type?: string }) => {
    const mb = m.type === "heap" ? liveHeapMb() : null;
    if (mb !== null) process.send?.({ type: "heap", mb });
  });
  // The parent going away (even by a crash) must not leave a server behind.
  process.on("disconnect", () => process.exit(0));
}
