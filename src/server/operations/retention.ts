// Request-log retention (README "Retention"): rows older than a task's age limit, and its oldest
// rows past its row cap, are deleted in the background, in batches of a few hundred rows per
// statement (each its own transaction) with a pause between batches, so that request-log writes
// and other writers get the database in between. On a SQLite file the statements run on a thread
// with its own connection (RequestLog.deleteOlder and keepCutoff), never on the event loop; on
// PostgreSQL they are asynchronous anyway. Also drops the teacher-budget counters of windows
// long over.
import type { Store } from "../../store/index.js";
import type { RuntimeLogger } from "../runtime/task-runtime.js";

export interface RetentionLimits {
  /** Rows logged longer ago than this are deleted. */
  maxAgeMs: number;
  /** A task keeps at most this many rows (its newest). */
  maxRows: number;
}

export interface RetentionOptions {
  defaults: RetentionLimits;
  /** Overrides by task name. */
  tasks?: Record<string, Partial<RetentionLimits>>;
  /** Between the end of one run and the start of the next (default DEFAULT_PRUNE_INTERVAL_MS). */
  intervalMs?: number;
  /** Rows per DELETE statement (default PRUNE_BATCH_ROWS). */
  batchRows?: number;
}

const DAY_MS = 86_400_000;
export const DEFAULT_RETENTION: RetentionLimits = { maxAgeMs: 30 * DAY_MS, maxRows: 1_000_000 };
export const DEFAULT_PRUNE_INTERVAL_MS = 60_000;
/**
 * Rows per statement. A batch holds the database's write lock while it runs: measured on a SQLite
 * log of 1.1 M rows, 2,000 rows took 35–48 ms, long enough to make a commit on the store's own
 * connection wait as long; 500 keep that wait near 10 ms.
 */
export const PRUNE_BATCH_ROWS = 500;
/** Pause between batches, so that writers waiting for the lock get it. */
const PAUSE_MS = 5;
/** Teacher-budget counters are kept this long after their window started (the longest window is a day). */
const SPEND_KEEP_MS = 2 * DAY_MS;

export interface PruneReport {
  /** Rows deleted per task (tasks with none deleted are left out). */
  deleted: Record<string, number>;
}

export class RequestLogPruner {
  readonly #store: Store;
  readonly #options: RetentionOptions;
  readonly #logger: RuntimeLogger | undefined;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<PruneReport> | null = null;
  #stopped = false;

  constructor(store: Store, options: RetentionOptions, logger?: RuntimeLogger, now: () => number = Date.now) {
    this.#store = store;
    this.#options = options;
    this.#logger = logger;
    this.#now = now;
  }

  /** The limits that apply to a task. */
  limitsFor(task: string): RetentionLimits {
    return { ...this.#options.defaults, ...this.#options.tasks?.[task] };
  }

  /** Runs every interval until stop(); the timer never keeps the process alive. */
  start(): void {
    if (this.#stopped || this.#timer !== null) return;
    const interval = this.#options.intervalMs ?? DEFAULT_PRUNE_INTERVAL_MS;
    // Spread by up to a fifth, so that the worker processes of one gateway do not all run at once.
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.runOnce()
        .catch((err: unknown) => this.#logger?.error({ err }, "request-log pruning failed; the next run retries"))
        .finally(() => this.start());
    }, interval * (0.9 + 0.2 * Math.random())).unref();
  }

  /** One pruning run over every task in the log (a call while one runs joins it). */
  runOnce(): Promise<PruneReport> {
    this.#running ??= this.#prune().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  /** Cancels the timer and waits for a run under way (it stops after its current batch). */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running?.catch(() => undefined);
  }

  async #prune(): Promise<PruneReport> {
    const deleted: Record<string, number> = {};
    const now = this.#now();
    for (const task of await this.#store.requests.loggedTasks()) {
      if (this.#stopped) break;
      const limits = this.limitsFor(task);
      let n = await this.#deleteBefore(task, now - limits.maxAgeMs);
      const cutoff = this.#stopped ? null : await this.#store.requests.keepCutoff(task, limits.maxRows);
      if (cutoff !== null) n += await this.#deleteBefore(task, cutoff);
      if (n > 0) deleted[task] = n;
    }
    await this.#store.teacherSpend.prune(now - SPEND_KEEP_MS);
    if (Object.keys(deleted).length > 0) this.#logger?.info({ deleted }, "request log pruned");
    return { deleted };
  }

  async #deleteBefore(task: string, before: number): Promise<number> {
    const batch = this.#options.batchRows ?? PRUNE_BATCH_ROWS;
    let total = 0;
    while (!this.#stopped) {
      const n = await this.#store.requests.deleteOlder(task, before, batch);
      total += n;
      if (n < batch) break;
      await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
    }
    return total;
  }
}
