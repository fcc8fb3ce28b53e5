// /metrics across the worker processes of `apprentice serve --workers N`. Each worker counts what
// it served, and a scrape reaches one worker (the primary hands out connections in turn), so on
// its own a scrape would see one worker's share, a different one each time. Instead the worker
// that receives the scrape asks the primary, which asks every worker that is listening for its
// registry (over the cluster's IPC channel) and combines them with prom-client's
// AggregatorRegistry.aggregate: counters and histograms add up, a metric's `aggregator` says
// otherwise (the circuit gauge takes the worst state). A worker still starting up is not asked:
// it has served nothing yet, and it could not answer before it has built its registry.
import cluster, { type Worker } from "node:cluster";
import { AggregatorRegistry, type Registry } from "prom-client";

/** How long the primary waits for the workers' registries. */
export const COLLECT_TIMEOUT_MS = 5000;

type Message =
  | { type: "apprentice:metrics-request"; id: number }
  | { type: "apprentice:metrics-response"; id: number; text?: string; error?: string }
  | { type: "apprentice:metrics-collect"; id: number }
  | { type: "apprentice:metrics-collected"; id: number; metrics?: object[]; error?: string };

const errorMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** In the primary: answers the workers' requests for the whole cluster's metrics text. */
export function serveClusterMetrics(): void {
  if (!cluster.isPrimary) throw new Error("serveClusterMetrics must run in the cluster's primary");
  const listening = new Set<Worker>();
  cluster.on("listening", (worker) => listening.add(worker));
  cluster.on("exit", (worker) => listening.delete(worker));
  const collections = new Map<number, (worker: Worker, reply: Extract<Message, { type: "apprentice:metrics-collected" }>) => void>();
  let nextId = 0;

  const collect = (): Promise<string> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      const asked = [...listening].filter((w) => w.isConnected());
      const registries: object[][] = [];
      const waiting = new Set(asked);
      const finish = (err: Error | null) => {
        clearTimeout(timer);
        collections.delete(id);
        if (err !== null) reject(err);
        else AggregatorRegistry.aggregate(registries).metrics().then(resolve, reject);
      };
      const timer = setTimeout(() => finish(new Error(`${waiting.size} of ${asked.length} worker processes did not answer within ${COLLECT_TIMEOUT_MS / 1000} s`)), COLLECT_TIMEOUT_MS);
      collections.set(id, (worker, reply) => {
        if (!waiting.delete(worker)) return;
        if (reply.metrics === undefined) return finish(new Error(`worker ${worker.process.pid}: ${reply.error ?? "no metrics"}`));
        registries.push(reply.metrics);
        if (waiting.size === 0) finish(null);
      });
      for (const w of asked) w.send({ type: "apprentice:metrics-collect", id } satisfies Message);
      if (asked.length === 0) finish(null);
    });

  cluster.on("message", (worker, message: Message | null) => {
    if (message?.type === "apprentice:metrics-collected") collections.get(message.id)?.(worker, message);
    else if (message?.type === "apprentice:metrics-request") {
      const id = message.id;
      const reply = (answer: { text: string } | { error: string }) => {
        if (worker.isConnected()) worker.send({ type: "apprentice:metrics-response", id, ...answer } satisfies Message);
      };
      collect().then(
        (text) => reply({ text }),
        (err: unknown) => reply({ error: errorMessage(err) }),
      );
    }
  });
}

/**
 * In a worker: hands `registry` to the primary when it collects, and returns how this worker asks
 * the primary for the whole cluster's metrics text (rejects with the primary's reason, or if no
 * answer comes within a second more than the primary waits).
 */
export function shareWorkerMetrics(registry: Registry): () => Promise<string> {
  const send = process.send?.bind(process);
  if (!cluster.isWorker || send === undefined) throw new Error("shareWorkerMetrics must run in a cluster worker");
  const pending = new Map<number, { resolve: (text: string) => void; reject: (err: Error) => void; timer: NodeJS.Timeout }>();
  let nextId = 0;
  process.on("message", (message: Message | null) => {
    if (message?.type === "apprentice:metrics-collect") {
      const id = message.id;
      registry.getMetricsAsJSON().then(
        (metrics) => send({ type: "apprentice:metrics-collected", id, metrics } satisfies Message),
        (err: unknown) => send({ type: "apprentice:metrics-collected", id, error: errorMessage(err) } satisfies Message),
      );
    } else if (message?.type === "apprentice:metrics-response") {
      const p = pending.get(message.id);
      if (p === undefined) return;
      pending.delete(message.id);
      clearTimeout(p.timer);
      if (message.text !== undefined) p.resolve(message.text);
      else p.reject(new Error(message.error ?? "no metrics in the primary's answer"));
    }
  });
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`the primary process did not answer within ${COLLECT_TIMEOUT_MS / 1000 + 1} s`));
      }, COLLECT_TIMEOUT_MS + 1000);
      pending.set(id, { resolve, reject, timer });
      send({ type: "apprentice:metrics-request", id } satisfies Message);
    });
}
