// Several gateway processes on one port (node:cluster), so that the gateway uses more than one
// core: JavaScript runs on one thread per process, and one process saturates its core long before
// the machine does. The primary opens the database once (migrations) and applies the
// configuration file once, then forks `workers` processes that each run a whole gateway
// (startGateway without the bootstrap) over the same database; they stay coherent through the
// store (TaskRuntimes.syncAll). The primary hands each new connection to the next worker (round
// robin) and replaces a worker that dies; SIGTERM/SIGINT stop every worker gracefully.
//
// /metrics answers for every worker: the one that receives a scrape asks the primary to collect
// them all (cluster-metrics.ts). Per process, not shared: rate-limit buckets (each worker allows
// the configured rate) and the verified-key cache (a key revoked through one worker is refused by
// the others within 5 s).
import cluster, { type Worker } from "node:cluster";
import { openStore } from "../store/index.js";
import { applyConfig, type BootstrapReport } from "./bootstrap.js";
import { serveClusterMetrics } from "./operations/cluster-metrics.js";
import { DEFAULT_HOST, storeUrl, teacherRegistry, type StartOptions } from "./start.js";
import { TaskRuntimes } from "./runtime/task-runtime.js";

/** Workers that die this often within RESTART_WINDOW_MS stop the whole gateway instead of restarting. */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;

export interface ClusterOptions extends Pick<StartOptions, "host" | "port" | "db" | "config" | "env"> {
  workers: number;
  /** Where the primary reports worker deaths and restarts (default stderr). */
  log?: (line: string) => void;
}

export interface ClusterPrimary {
  url: string;
  /** What the configuration file created or installed (null without one). */
  bootstrap: BootstrapReport | null;
  /** The database, with any password redacted. */
  location: string;
  adminKeys: number;
  /** Resolves with the exit code once every worker has exited after a signal, or the restart budget ran out. */
  done: Promise<number>;
}

/**
 * Runs in the primary process: bootstraps the database, forks the workers (which run this
 * program again; they must call startGateway with `bootstrap: false`), and resolves once one
 * of them listens.
 */
export async function startClusterPrimary(options: ClusterOptions): Promise<ClusterPrimary> {
  if (!cluster.isPrimary) throw new Error("startClusterPrimary must run in the primary process");
  if (!Number.isInteger(options.workers) || options.workers < 1) throw new RangeError(`workers must be a positive integer, got ${options.workers}`);
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => void process.stderr.write(`apprentice: ${line}\n`));

  const teachers = teacherRegistry(options, env);
  const store = await openStore(storeUrl(options, env));
  let bootstrap: BootstrapReport | null = null;
  let adminKeys: number;
  const location = store.location;
  try {
    if (options.config !== undefined) {
      // No background retrain or sync here: the workers train, this process only writes the configuration's tasks and examples.
      const runtimes = new TaskRuntimes({ store, teacherFor: teachers.teacherFor, backgroundRetrain: false, syncIntervalMs: 0 });
      try {
        bootstrap = await applyConfig(store, runtimes, teachers, options.config, env);
      } finally {
        await runtimes.closeAll();
      }
    }
    adminKeys = await store.apiKeys.count("admin");
  } finally {
    await store.close();
  }

  let stopping = false;
  let listened = false;
  const restarts: number[] = [];
  let finish: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => (finish = resolve));
  let exitCode = 0;

  const aliveWorkers = (): Worker[] => Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
  const stopAll = (code: number): void => {
    if (stopping) return;
    stopping = true;
    exitCode = code;
    const alive = aliveWorkers();
    if (alive.length === 0) finish(exitCode);
    for (const w of alive) w.process.kill("SIGTERM");
  };

  cluster.on("exit", (worker, code, signal) => {
    if (stopping) {
      if (code !== 0 && code !== null) exitCode = exitCode || 1;
      if (aliveWorkers().length === 0) finish(exitCode);
      return;
    }
    const exited = `worker ${worker.process.pid} exited (${signal ?? `code ${code}`})`;
    if (!listened) {
      // Not a crash under load but a start that fails (port taken, database unreachable): the
      // others would fail the same way, so stop rather than retry.
      log(`${exited} before the gateway listened; stopping`);
      stopAll(1);
      return;
    }
    const now = Date.now();
    while (restarts.length > 0 && restarts[0] < now - RESTART_WINDOW_MS) restarts.shift();
    if (restarts.length >= MAX_RESTARTS) {
      log(`${exited}; ${MAX_RESTARTS} restarts within ${RESTART_WINDOW_MS / 1000} s, stopping the gateway`);
      stopAll(1);
      return;
    }
    restarts.push(now);
    log(`${exited}; starting another`);
    cluster.fork().once("listening", function (this: Worker) {
      log(`worker ${this.process.pid} is serving`);
    });
  });
  const onSignal = (): void => stopAll(0);
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);

  const listening = new Promise<string>((resolve, reject) => {
    cluster.once("listening", (_worker, address) => {
      listened = true;
      const host = address.address ?? options.host ?? options.config?.server.host ?? DEFAULT_HOST;
      resolve(`http://${host.includes(":") ? `[${host}]` : host}:${address.port}`);
    });
    // A worker that cannot start (port taken, database unreachable) exits before listening.
    void done.then((code) => reject(new Error(`the gateway workers stopped before listening (exit code ${code})`)));
  });
  serveClusterMetrics();
  for (let i = 0; i < options.workers; i++) cluster.fork();
  return { url: await listening, bootstrap, location, adminKeys, done };
}
