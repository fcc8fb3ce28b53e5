// One live cascade per task, backed by the store: examples are loaded at start and written
// through after each change (awaited before the reply, so an acknowledged example is stored);
// promoted model versions are saved and reloaded, so a restart serves the promoted model at once.
// Retraining runs off the request path (setImmediate after the reply), never inside handle(), and
// trains in a worker thread (trainInWorker), so requests keep being answered, and keep adding
// examples, while a candidate trains; one retrain at a time per task, across gateway instances
// too (the store's retrain lease: the others serve what it promotes).
import { Cascade, type CascadeAnswer, type HandleOptions, type RetrainOutcome, type RetrainReport } from "../../cascade/cascade.js";
import { specialistKindOf, type Specialist } from "../../cascade/specialist-kind.js";
import type { RouteMode } from "../../cascade/router.js";
import { MemoryExampleStore, type ExampleStore, type StoredExample } from "../../cascade/example-store.js";
import type { TrainOptions } from "../../engine/train.js";
import { textHash, type PromotedModel, type Store, type TaskRecord } from "../../store/index.js";
import type { ExampleInput, ExampleRecord } from "../../store/index.js";
import type { ExampleOrigin, ExampleSource } from "../../store/schema.js";
import type { AnyTask } from "../../task/structured.js";
import { CircuitBreaker, CircuitBreakerTeacher, type CircuitBreakerOptions, type CircuitState } from "../../teacher/circuit-breaker.js";
import type { Teacher } from "../../teacher/types.js";
import { endedOnThisHost, newInstanceId } from "../instance-id.js";
import { learnsFrom, teacherGate, type RequestCaller } from "./teacher-budget.js";
import { primeSurgeGuardFromLog } from "./surge-priming.js";
import { trainInWorker } from "./train-worker.js";

export type TeacherFactory = (task: AnyTask) => Teacher;

/** How long a retrain lease lasts unless renewed; a running retrain renews it every third of that. */
export const RETRAIN_LEASE_MS = 60_000;
/** After finding the lease taken, a due background retrain is not tried again for this long. */
export const RETRAIN_LEASE_RETRY_MS = 5_000;

/** A retrain was asked for while another gateway instance holds the task's retrain lease. */
export class RetrainBusyError extends Error {
  override name = "RetrainBusyError";
}

export interface RuntimeLogger {
  info(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  warn?(obj: object, msg?: string): void;
}

/** The circuit breaker every task teacher is wrapped in (see circuit-breaker.ts); state changes are logged. */
export type TeacherBreakerOptions = Omit<CircuitBreakerOptions, "onStateChange">;

/** What the runtime writes at its next flush: rows to upsert and texts to delete (never the same text in both). */
interface PendingWrites {
  rows: ExampleInput[];
  deletions: string[];
}

/**
 * The cascade's synchronous example store, kept in memory, recording every put and delete so the
 * runtime can persist them. Human labels are written with `humanSource` (feedback or import) and
 * `humanOrigin`.
 */
class WriteThroughExampleStore implements ExampleStore {
  readonly #memory = new MemoryExampleStore();
  #pending: ExampleInput[] = [];
  /** Texts deleted here and not yet taken by a flush. */
  #deletions = new Set<string>();
  /** Texts put or deleted here and not yet taken by a flush. */
  #pendingTexts = new Set<string>();
  humanSource: Exclude<ExampleSource, "teacher"> = "human";
  humanOrigin: Exclude<ExampleOrigin, "predict" | "chat" | "audit"> = "import";
  /** The key behind the human labels being put (import or feedback through the API), if any. */
  humanKey: { id: number; name: string } | null = null;
  /** Set while the cascade adopts rows read from the store: those are not recorded again. */
  adopting = false;

  /** Loads without recording (the rows are already stored). */
  load(example: StoredExample): void {
    this.#memory.put(example);
  }

  /** Whether a put of this text waits to be written (a row read from the store must not replace it). */
  isPending(text: string): boolean {
    return this.#pendingTexts.has(text);
  }

  get(text: string): StoredExample | undefined {
    return this.#memory.get(text);
  }

  put(example: StoredExample): void {
    this.#memory.put(example);
    if (this.adopting) return;
    this.#pendingTexts.add(example.text);
    // The upsert stores the text again, as a new example if its deletion was written already.
    this.#deletions.delete(example.text);
    const teacher = example.source === "teacher";
    const origin: ExampleOrigin | null = teacher ? (example.audited ? "audit" : (example.cause?.via ?? null)) : this.humanOrigin;
    this.#pending.push({
      text: example.text,
      label: example.label,
      source: teacher ? "teacher" : this.humanSource,
      holdout: example.holdout,
      audited: example.audited,
      origin,
      key_id: teacher ? (example.cause?.keyId ?? null) : (this.humanKey?.id ?? null),
      key_name: teacher ? (example.cause?.keyName ?? null) : (this.humanKey?.name ?? null),
    });
  }

  /** Recorded even for a text this memory does not hold: the store may have it (another instance's, not synced yet). */
  delete(text: string): boolean {
    const had = this.#memory.delete(text);
    if (this.adopting) return had;
    this.#pendingTexts.add(text);
    this.#pending = this.#pending.filter((row) => row.text !== text);
    this.#deletions.add(text);
    return had;
  }

  /** The texts of these hashes that this memory holds (a deletion read from the store names only the hash). */
  textsOf(hashes: ReadonlySet<string>): string[] {
    const texts: string[] = [];
    for (const e of this.#memory.values()) if (hashes.has(textHash(e.text))) texts.push(e.text);
    return texts;
  }

  get size(): number {
    return this.#memory.size;
  }

  values(): Iterable<StoredExample> {
    return this.#memory.values();
  }

  get hasPending(): boolean {
    return this.#pending.length > 0 || this.#deletions.size > 0;
  }

  takePending(): PendingWrites {
    const writes = { rows: this.#pending, deletions: [...this.#deletions] };
    this.#pending = [];
    this.#deletions = new Set();
    this.#pendingTexts = new Set();
    return writes;
  }
}

/** A stored example as the cascade keeps it: import and feedback labels are a person's. */
function storedExample(e: ExampleRecord): StoredExample {
  return { text: e.text, label: e.label, source: e.source === "teacher" ? "teacher" : "human", holdout: e.holdout, audited: e.audited };
}

export interface RuntimeOptions {
  store: Store;
  teacherFor: TeacherFactory;
  trainOptions?: Partial<Omit<TrainOptions, "onProgress">>;
  /** Retrain in the background after replies when one is due (default true). */
  backgroundRetrain?: boolean;
  logger?: RuntimeLogger;
  /** Called when the runtime can no longer be trusted to match the store (a write failed). */
  onBroken?: (runtime: TaskRuntime) => void;
  /** Settings and clock of each task teacher's circuit breaker (defaults: 5 failures, 30 s cool-down). */
  teacherBreaker?: TeacherBreakerOptions;
  /** This gateway instance's name in the store's retrain leases (TaskRuntimes: a random one). */
  instance: string;
}

export class TaskRuntime {
  readonly task: AnyTask;
  readonly cascade: Cascade<Specialist, AnyTask>;
  /** The task teacher's circuit breaker (one per runtime: a task update starts a fresh one). */
  readonly breaker: CircuitBreaker;
  readonly #examples: WriteThroughExampleStore;
  readonly #options: RuntimeOptions;
  /** The promoted version in the store (0: none). */
  #modelVersion = 0;
  /** The task row this runtime was loaded from: a change means its definition changed (or it was deleted and created again). */
  #definedAt = { created_at: 0, updated_at: 0 };
  /** The examples' revision this runtime has read up to (see sync()). */
  #revision = 0;
  /** The examples' revision the latest finished retrain covered, here or on another instance. */
  #retrainedRevision = 0;
  #writes: Promise<void> = Promise.resolve();
  /** The latest write as flush() returned it: rejects if that write (or an earlier one) failed. */
  #lastWrite: Promise<void> = Promise.resolve();
  #failed: unknown = null;
  #retrain: Promise<RetrainReport | null> | null = null;
  /** performance.now() before which a due background retrain does not ask for the lease again. */
  #leaseRetryAt = 0;
  #closed = false;

  private constructor(task: AnyTask, examples: WriteThroughExampleStore, options: RuntimeOptions) {
    this.task = task;
    this.#examples = examples;
    this.#options = options;
    this.breaker = new CircuitBreaker({
      ...options.teacherBreaker,
      onStateChange: ({ from, to, snapshot }) => {
        const log = options.logger;
        const entry = { task: task.name, from, to, consecutive_failures: snapshot.consecutive_failures, cooldown_ms: snapshot.cooldown_ms };
        if (to === "open") (log?.warn ?? log?.error)?.call(log, entry, "teacher circuit opened: teacher calls fail fast until the cool-down ends");
        else log?.info(entry, to === "closed" ? "teacher circuit closed" : "teacher circuit half-open: probing the teacher");
      },
    });
    this.cascade = new Cascade({
      task,
      kind: specialistKindOf(task),
      teacher: new CircuitBreakerTeacher(options.teacherFor(task), this.breaker),
      store: examples,
      autoRetrain: false,
      ...(options.trainOptions ? { trainOptions: options.trainOptions } : {}),
    });
  }

  static async load(record: TaskRecord, options: RuntimeOptions): Promise<TaskRuntime> {
    const task = record.definition;
    // Read before the examples: rows written meanwhile have a higher revision, and the first
    // sync() reads them again (adopting a row twice changes nothing).
    const state = await options.store.tasks.syncState(task.name);
    const examples = new WriteThroughExampleStore();
    for (const e of await options.store.examples.all(task.name)) {
      examples.load(storedExample(e));
    }
    const runtime = new TaskRuntime(task, examples, options);
    runtime.#definedAt = { created_at: record.created_at, updated_at: record.updated_at };
    runtime.#revision = state?.revision ?? 0;
    runtime.#retrainedRevision = state?.retrained_revision ?? 0;
    const promoted = await options.store.models.promoted(task.name);
    if (promoted !== null) {
      // Served at once with the threshold its latest look chose; later versions are compared with
      // it and numbered from it.
      await runtime.#restore(promoted);
      // The surge guard compares the first requests with the traffic logged before this load.
      await primeSurgeGuardFromLog(runtime.cascade, options.store.requests, task.name);
    }
    return runtime;
  }

  get modelVersion(): number {
    return this.#modelVersion;
  }

  /**
   * Answers one input; its examples are stored before this resolves. With a `caller`, its teacher
   * calls draw on the task's and the key's budgets (rejecting with a 429 HttpError when one is
   * spent), its examples record the key and route, and the task learns from it only if it trusts
   * the key (training.learn_from_keys).
   */
  readonly #onSpendError = (err: unknown): void => this.#options.logger?.error({ err, task: this.task.name }, "could not add a teacher call's cost to its budget");

  async handle(text: string, route: RouteMode = "auto", caller?: RequestCaller, teacher: Pick<HandleOptions, "ask" | "shadow"> = {}): Promise<CascadeAnswer> {
    const key = caller?.key ?? null;
    const gate = teacherGate(this.#options.store, this.task, key, this.#onSpendError);
    const answer = await this.cascade.handle(text, {
      route,
      ...teacher,
      ...(gate === undefined ? {} : { gate }),
      ...(caller === undefined ? {} : { learn: learnsFrom(this.task, key), cause: { via: caller.via, keyId: key?.id ?? null, keyName: key?.name ?? null } }),
    });
    // Most answers (the specialist's) add no example; they still wait for a write under way,
    // which may hold this request's example (a concurrent flush takes every pending row).
    await (this.#examples.hasPending ? this.flush() : this.#lastWrite);
    return answer;
  }

  /**
   * Validated human labels (import, feedback, or an admin's edit in the console: source human,
   * origin edit); stored before this resolves.
   */
  async addHumanLabels(
    rows: readonly { text: string; label: string }[],
    source: "import" | "feedback" | "human",
    key: { id: number; name: string } | null = null,
    origin: "import" | "feedback" | "edit" = source === "feedback" ? "feedback" : "import",
  ): Promise<void> {
    // Synchronous section: no other request can interleave its puts with this source and key.
    this.#examples.humanSource = source;
    this.#examples.humanOrigin = origin;
    this.#examples.humanKey = key;
    try {
      for (const r of rows) this.cascade.addHumanLabel(r.text, r.label);
    } finally {
      this.#examples.humanSource = "human";
      this.#examples.humanOrigin = "import";
      this.#examples.humanKey = null;
    }
    await this.flush();
  }

  /**
   * Deletes examples by text: the cascade forgets them at once (the next retrain neither trains
   * nor evaluates on them) and the store deletes them, leaving tombstones other instances adopt,
   * before this resolves. Returns how many of the texts this runtime held.
   */
  async deleteExamples(texts: readonly string[]): Promise<number> {
    let removed = 0;
    for (const text of texts) if (this.cascade.removeExample(text, true)) removed++;
    await this.flush();
    return removed;
  }

  /** Writes every recorded put and delete, in order; resolves once they (and all earlier ones) are stored. */
  flush(): Promise<void> {
    const { rows, deletions } = this.#examples.takePending();
    const step = this.#writes.then(async () => {
      if (this.#failed !== null) throw this.#failed;
      // Disjoint texts (a delete drops the text's pending puts, a put its pending delete): order does not matter.
      if (rows.length > 0) await this.#options.store.examples.addMany(this.task.name, rows);
      if (deletions.length > 0) await this.#options.store.examples.remove(this.task.name, deletions);
    });
    this.#writes = step.catch((err: unknown) => {
      if (this.#failed === null) {
        this.#failed = err;
        this.#options.logger?.error({ err, task: this.task.name }, "example write failed; the task runtime will be reloaded");
        this.#options.onBroken?.(this);
      }
    });
    this.#lastWrite = step;
    return step;
  }

  /**
   * Catches up with what other gateway instances over the same database changed: examples they
   * stored (every write of a task's examples bumps its revision) and the version they promoted or
   * rolled back to. Returns "stale" when the task's definition changed or the task is gone: the
   * runtime must then be dropped and loaded again, as after a local update.
   */
  async sync(): Promise<"current" | "stale"> {
    const { store } = this.#options;
    const name = this.task.name;
    const state = await store.tasks.syncState(name);
    if (state === null || state.created_at !== this.#definedAt.created_at || state.updated_at !== this.#definedAt.updated_at) return "stale";
    // A retrain another instance finished covered the examples up to its revision: those no longer
    // count here. (While a retrain runs here, its own settlement counts.)
    if (state.retrained_revision > this.#retrainedRevision && this.#retrain === null) {
      this.#retrainedRevision = state.retrained_revision;
      this.cascade.trainedElsewhere();
    }
    if (state.revision > this.#revision) {
      // Rows up to the retrained revision are adopted without counting toward a retrain, newer ones count.
      const covered = Math.min(state.revision, Math.max(this.#revision, this.#retrainedRevision));
      const ranges: [after: number, upTo: number, counts: boolean][] = [
        [this.#revision, covered, false],
        [covered, state.revision, true],
      ];
      for (const [after, upTo, counts] of ranges) {
        if (upTo <= after) continue;
        const removed = new Set(await store.examples.removedSince(name, after, upTo));
        const rows = await store.examples.changedSince(name, after, upTo);
        this.#examples.adopting = true;
        try {
          // Deletions first: a row still stored was written after any deletion of its text.
          for (const text of removed.size === 0 ? [] : this.#examples.textsOf(removed)) {
            if (!this.#examples.isPending(text)) this.cascade.removeExample(text, counts);
          }
          for (const r of rows) {
            // A put of this text still waiting to be written is newer than the stored row; its own
            // write bumps the revision, so the next sync reads the row as the store settled it.
            if (this.#examples.isPending(r.text)) continue;
            this.cascade.adoptExample(storedExample(r), counts);
          }
        } finally {
          this.#examples.adopting = false;
        }
      }
      this.#revision = Math.max(this.#revision, state.revision);
    }
    // While a retrain runs here, its settlement decides; the next sync adopts what is promoted then.
    if (state.promoted_version !== null && state.promoted_version !== this.#modelVersion && this.#retrain === null && !this.#closed) {
      const promoted = await store.models.promoted(name);
      if (promoted !== null && promoted.version !== this.#modelVersion && this.#retrain === null) {
        if (!(await this.#restore(promoted))) return "current";
        this.#options.logger?.info({ task: name, version: promoted.version }, "serving the version another instance promoted");
      }
    }
    return "current";
  }

  /**
   * Serves a stored version at once, with the threshold its latest look chose (wherever that was):
   * serving it here is not another look. A version stored before looks were counted (0 looks) has
   * its threshold chosen here, as its first look, counted atomically first (two instances get
   * different looks). False when a retrain started or the runtime closed during that write (the
   * retrain then decides).
   */
  async #restore(promoted: PromotedModel): Promise<boolean> {
    const model = this.cascade.kind.decode(promoted.artifact);
    const store = this.#options.store;
    // Its audits so far (other instances', this one's before a restart) decide which of its answers are on hold.
    const audits = await store.requests.auditPairs(this.task.name, { since: promoted.created_at, version: promoted.version });
    if (this.#retrain !== null || this.#closed) return false;
    if (promoted.looks > 0) this.cascade.restore(model, promoted.version, promoted.looks, promoted.threshold, promoted.scope_cut ?? undefined);
    else {
      const looks = await store.models.addLooks(this.task.name, promoted.version, 1, promoted.threshold, promoted.scope_cut);
      if (this.#retrain !== null || this.#closed) return false;
      this.cascade.restore(model, promoted.version, looks);
      await store.models.setThreshold(this.task.name, promoted.version, this.cascade.thresholdChoice?.threshold ?? null, this.#scopeCut());
    }
    this.cascade.primeAnswerHolds(audits);
    this.#modelVersion = promoted.version;
    return true;
  }

  /** Starts a retrain after the current turn if one is due (no-op if one is running). */
  scheduleRetrain(): void {
    if (this.#options.backgroundRetrain === false || this.#retrain !== null || this.#closed) return;
    if (performance.now() < this.#leaseRetryAt || !this.cascade.retrainDue()) return;
    const run = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => (this.#closed ? null : this.#runRetrain("background")))
      .catch((err: unknown) => {
        this.#options.logger?.error({ err, task: this.task.name }, "retrain failed");
        return null;
      });
    this.#track(run);
  }

  /**
   * Retrains now (waiting for any running retrain here first) and saves a promoted version.
   * Throws RetrainBusyError while another gateway instance retrains the task.
   */
  async retrainNow(): Promise<RetrainReport> {
    // Another caller may start one while we wait: wait until none runs, then start synchronously.
    while (this.#retrain !== null) await this.#retrain;
    const p = this.#runRetrain("requested").then(async (report) => {
      if (report !== null) return report;
      const lease = await this.#options.store.tasks.retrainLease(this.task.name).catch(() => null);
      const until = lease === null ? "" : ` (its lease runs until ${new Date(lease.until).toISOString()} unless renewed: if the instance holding it stopped, this one before a restart included, it lapses then)`;
      throw new RetrainBusyError(`task "${this.task.name}" is being retrained by another gateway instance${until}; this one serves the version it promotes within a second`);
    });
    this.#track(p.catch(() => null));
    return p;
  }

  /** The live threshold's scope cut as the store keeps it with the threshold: 1 for none. */
  #scopeCut(): number {
    return this.cascade.router.scopeCut ?? 1;
  }

  /** Records the running retrain; cleared when it settles unless another one was tracked since. */
  #track(run: Promise<RetrainReport | null>): void {
    const tracked: Promise<RetrainReport | null> = run.finally(() => {
      if (this.#retrain === tracked) this.#retrain = null;
    });
    this.#retrain = tracked;
  }

  /** Resolves when no retrain is running (for tests and shutdown). */
  async idle(): Promise<void> {
    while (this.#retrain !== null) await this.#retrain;
    await this.#writes;
  }

  close(): void {
    this.#closed = true;
  }

  /** One retrain under the task's lease; null (nothing done) if another instance holds the lease. */
  async #runRetrain(kind: "background" | "requested"): Promise<RetrainReport | null> {
    const { store, instance } = this.#options;
    const name = this.task.name;
    if (!(await this.#claimLease())) {
      this.#leaseRetryAt = performance.now() + RETRAIN_LEASE_RETRY_MS;
      this.#options.logger?.info({ task: name, kind }, "retrain skipped: another gateway instance holds the task's retrain lease");
      return null;
    }
    // A lease renewal that fails (database unreachable) only lets the lease lapse: another
    // instance may then start a retrain too, which costs duplicate work, not a worse model.
    const renewal = setInterval(() => void store.tasks.claimRetrain(name, instance, RETRAIN_LEASE_MS).catch(() => false), RETRAIN_LEASE_MS / 3).unref();
    // What the training set covers of the store's examples (it also holds this instance's writes not yet read back).
    const covered = this.#revision;
    let finished = false;
    try {
      const report = await this.#retrainHere();
      finished = true;
      return report;
    } finally {
      clearInterval(renewal);
      if (finished) this.#retrainedRevision = Math.max(this.#retrainedRevision, covered);
      await store.tasks.releaseRetrain(name, instance, finished ? covered : undefined).catch((err: unknown) => this.#options.logger?.error({ err, task: name }, "could not release the retrain lease; it lapses by itself"));
    }
  }

  /** Takes the task's retrain lease, from a gateway process on this host that has ended too. */
  async #claimLease(): Promise<boolean> {
    const { store, instance } = this.#options;
    const name = this.task.name;
    if (await store.tasks.claimRetrain(name, instance, RETRAIN_LEASE_MS)) return true;
    const holder = (await store.tasks.retrainLease(name))?.owner;
    if (holder === undefined || !endedOnThisHost(holder)) return false;
    const taken = await store.tasks.claimRetrain(name, instance, RETRAIN_LEASE_MS, holder);
    if (taken) this.#options.logger?.info({ task: name, holder }, "took over the retrain lease of a gateway process on this host that has ended");
    return taken;
  }

  async #retrainHere(): Promise<RetrainReport> {
    const prepared = this.cascade.prepareRetrain();
    // Only #track'd callers get here, one at a time, so nothing else has a retrain outstanding.
    if (prepared === null) throw new Error("a retrain of this task is already outstanding");
    let outcome: RetrainOutcome<Specialist>;
    try {
      outcome = { candidate: await trainInWorker(prepared.examples, prepared.trainOptions, this.cascade.kind.fields) };
    } catch (error) {
      outcome = { error };
    }
    // Requests answered while the candidate trained only added examples; the holdout comparison
    // and promotion happen here, synchronously.
    const looksBefore = this.cascade.looks;
    const report = this.cascade.settleRetrain(prepared, outcome);
    if (!report.promoted && this.cascade.looks > looksBefore && this.#modelVersion > 0) {
      // The live version looked again (after an audit alarm, on a holdout that now holds its disagreements).
      await this.#options.store.models.addLooks(this.task.name, this.#modelVersion, this.cascade.looks - looksBefore, this.cascade.thresholdChoice?.threshold ?? null, this.#scopeCut());
    }
    if (report.promoted && this.cascade.specialist !== null && !this.#closed) {
      const version = await this.#options.store.models.add(this.task.name, {
        artifact: this.cascade.kind.encode(this.cascade.specialist),
        metrics: {
          holdout_accuracy: report.candidateAccuracy,
          previous_accuracy: report.currentAccuracy,
          train_examples: report.trainExamples,
          holdout_examples: report.holdoutExamples,
          threshold_reason: report.threshold?.reason ?? null,
        },
        threshold: report.threshold?.threshold ?? null,
        scope_cut: this.#scopeCut(),
        status: "promoted",
        looks: this.cascade.looks,
      });
      this.#modelVersion = version;
    }
    this.#options.logger?.info({ task: this.task.name, promoted: report.promoted, version: this.#modelVersion, reason: report.reason }, "retrained");
    return report;
  }
}

/** How often loaded runtimes catch up with other instances' writes (TaskRuntimes.syncAll). */
export const DEFAULT_SYNC_INTERVAL_MS = 1000;

export interface RuntimesOptions extends Omit<RuntimeOptions, "onBroken" | "instance"> {
  /** This gateway instance's name in retrain leases (default: newInstanceId()). */
  instance?: string;
  /** Milliseconds between syncAll() runs (default DEFAULT_SYNC_INTERVAL_MS); 0: never on a timer. */
  syncIntervalMs?: number;
}

/** The live runtimes, loaded on first use. */
export class TaskRuntimes {
  readonly #runtimes = new Map<string, Promise<TaskRuntime>>();
  /** The runtimes of #runtimes that finished loading. */
  readonly #loaded = new Map<string, TaskRuntime>();
  readonly #options: Omit<RuntimeOptions, "onBroken">;
  readonly #syncTimer: NodeJS.Timeout | null = null;
  #syncing: Promise<void> | null = null;

  constructor(options: RuntimesOptions) {
    const { syncIntervalMs = DEFAULT_SYNC_INTERVAL_MS, instance = newInstanceId(), ...runtimeOptions } = options;
    this.#options = { ...runtimeOptions, instance };
    if (syncIntervalMs > 0) {
      // unref: a pending sync never keeps the process alive.
      this.#syncTimer = setInterval(() => void this.syncAll(), syncIntervalMs).unref();
    }
  }

  /**
   * Brings every loaded runtime up to date with the store (TaskRuntime.sync): examples and model
   * promotions from other gateway instances are adopted, and a runtime whose task was changed or
   * deleted elsewhere is dropped (the next request loads it again). One run at a time; a call
   * while one runs waits for it.
   */
  syncAll(): Promise<void> {
    this.#syncing ??= this.#syncLoaded().finally(() => {
      this.#syncing = null;
    });
    return this.#syncing;
  }

  async #syncLoaded(): Promise<void> {
    for (const [name, rt] of [...this.#loaded]) {
      try {
        if ((await rt.sync()) === "stale" && this.#loaded.get(name) === rt) void this.drop(name);
      } catch (err) {
        // The store unreachable, say: requests go on with what is loaded; the next run retries.
        (this.#options.logger?.warn ?? this.#options.logger?.error)?.call(this.#options.logger, { err, task: name }, "sync with the store failed");
      }
    }
  }

  /** The runtime of a stored task, or null if there is no such task. */
  async get(name: string): Promise<TaskRuntime | null> {
    let p = this.#runtimes.get(name);
    if (p === undefined) {
      const record = await this.#options.store.tasks.get(name);
      if (record === null) return null;
      // Another request may have started loading while we read the task.
      p = this.#runtimes.get(name);
      if (p === undefined) {
        p = TaskRuntime.load(record, { ...this.#options, onBroken: (rt) => this.#dropIf(name, rt) });
        this.#runtimes.set(name, p);
        const loading = p;
        p.then(
          (rt) => {
            if (this.#runtimes.get(name) === loading) this.#loaded.set(name, rt);
          },
          () => this.#runtimes.delete(name),
        );
      }
    }
    return p;
  }

  /** Forgets a task's runtime (after an update or delete); the next use reloads it. */
  async drop(name: string): Promise<void> {
    const p = this.#runtimes.get(name);
    this.#runtimes.delete(name);
    this.#loaded.delete(name);
    if (p === undefined) return;
    try {
      const rt = await p;
      rt.close();
      await rt.idle();
    } catch {
      // a runtime that failed to load has nothing to close
    }
  }

  /** Each loaded task's teacher circuit state (for the metrics gauge). */
  circuits(): [task: string, state: CircuitState][] {
    return [...this.#loaded].map(([name, rt]) => [name, rt.breaker.state]);
  }

  async idle(): Promise<void> {
    for (const p of [...this.#runtimes.values()]) {
      try {
        await (await p).idle();
      } catch {
        // ignore load failures
      }
    }
  }

  async closeAll(): Promise<void> {
    if (this.#syncTimer !== null) clearInterval(this.#syncTimer);
    await this.#syncing;
    for (const name of [...this.#runtimes.keys()]) await this.drop(name);
  }

  #dropIf(name: string, rt: TaskRuntime): void {
    void this.#runtimes.get(name)?.then((current) => {
      if (current === rt) {
        this.#runtimes.delete(name);
        this.#loaded.delete(name);
      }
    });
  }
}
