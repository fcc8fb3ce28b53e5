// Trains a specialist in a worker thread, so training never blocks the event loop that serves
// requests. The worker trains the task's kind of specialist (trainerFor: a label classifier, or a
// structured task's per-field models) and sends back its model file bytes, which the caller
// decodes: the same bytes as training in-process with the same seed.
//
// TaskRuntime uses it for background retrains: Cascade.prepareRetrain() snapshots the training set,
// the worker trains, and Cascade.acceptCandidate() compares and promotes.
//
// Workers are kept warm between retrains (TrainingWorkers): starting one loads the engine's module
// graph through tsx, about 0.6 s of CPU and 0.4 s of wall time on this machine for a job that then
// trains in milliseconds, and a busy gateway retrains every few hundred examples, on the same
// cores that relay and answer requests.
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { trainerFor, type Specialist } from "../../cascade/specialist-kind.js";
import type { TextClassifier } from "../../engine/classifier.js";
import type { OutputField } from "../../engine/structured-answer.js";
import { TrainingError, type TrainingExample, type TrainOptions } from "../../engine/train.js";

export type WorkerTrainOptions = Partial<Omit<TrainOptions, "onProgress">>;

interface Job {
  examples: readonly TrainingExample[];
  options: WorkerTrainOptions;
  /** A structured task's fields; absent for a label task. */
  fields?: readonly OutputField[];
}

type Outcome = { ok: true; model: Uint8Array } | { ok: false; trainingError: boolean; message: string };

/** The worker side: train and post the encoded model (or the error). */
function runJob(job: Job): Outcome {
  try {
    const trainer = trainerFor(job.fields);
    return { ok: true, model: trainer.encode(trainer.train(job.examples, job.options)) };
  } catch (err) {
    return { ok: false, trainingError: err instanceof TrainingError, message: err instanceof Error ? err.message : String(err) };
  }
}

/** workerData of a training worker: it then takes jobs from its parent, one message each, until terminated. */
const WORKER_FLAG = "apprenticeTrainWorker";

if (!isMainThread && parentPort !== null && (workerData as Record<string, unknown> | null)?.[WORKER_FLAG] === true) {
  const port = parentPort;
  port.on("message", (job: Job) => {
    const outcome = runJob(job);
    port.postMessage(outcome, outcome.ok ? [outcome.model.buffer as ArrayBuffer] : []);
  });
}

/**
 * The nice value of a training thread (Linux, where it is a thread's own; elsewhere it would lower
 * the whole process, so it is left alone). Retraining competes for the cores with the requests
 * the gateway relays and answers: on a busy machine a thread at nice 10 gets about a tenth of the
 * CPU a serving thread gets, so serving keeps its speed and training still moves on under
 * sustained load; on idle cores it changes nothing.
 */
export const TRAINING_NICE = 10;

/** How long an idle training worker is kept for the next retrain before it is ended (its heap is freed with it). */
export const IDLE_WORKER_MS = 60_000;

export interface TrainingWorkersOptions {
  /** Idle workers kept at most (default 1): concurrent retrains start more, and the extra ones end after their job. */
  maxIdle?: number;
  /** Default IDLE_WORKER_MS. */
  idleMs?: number;
}

interface IdleWorker {
  worker: Worker;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * Training worker threads, reused: a job takes an idle worker or starts one, and the worker waits
 * for the next job for `idleMs` once it is done. A worker that fails or exits during a job, or
 * answers with a failure other than a TrainingError, is dropped and the job rejected; the next job
 * starts a fresh one. Idle workers do not keep the process alive (unref).
 */
export class TrainingWorkers {
  readonly #maxIdle: number;
  readonly #idleMs: number;
  readonly #idle: IdleWorker[] = [];
  /** Workers started so far (for tests: a warm pool starts one for many jobs). */
  started = 0;

  constructor(options: TrainingWorkersOptions = {}) {
    this.#maxIdle = options.maxIdle ?? 1;
    this.#idleMs = options.idleMs ?? IDLE_WORKER_MS;
  }

  /** Workers waiting for a job. */
  get idle(): number {
    return this.#idle.length;
  }

  /** Trains `job` in a worker; resolves with the encoded model, rejects as trainInWorker documents. */
  run(job: Job): Promise<Uint8Array> {
    const worker = this.#take();
    worker.ref();
    return new Promise<Uint8Array>((resolve, reject) => {
      const done = (release: boolean) => {
        worker.off("message", onMessage);
        worker.off("error", onError);
        worker.off("exit", onExit);
        if (release) this.#release(worker);
        else void worker.terminate();
      };
      const onMessage = (outcome: Outcome) => {
        // A failure that is not the data's (its modules did not load, a bug) leaves a worker not worth keeping.
        done(outcome.ok || outcome.trainingError);
        if (outcome.ok) resolve(outcome.model);
        else reject(outcome.trainingError ? new TrainingError(outcome.message) : new Error(`training worker failed: ${outcome.message}`));
      };
      const onError = (err: Error) => {
        done(false);
        reject(err);
      };
      const onExit = (code: number) => {
        done(false);
        reject(new Error(`training worker exited with code ${code} before answering`));
      };
      worker.on("message", onMessage);
      worker.once("error", onError);
      worker.once("exit", onExit);
      try {
        worker.postMessage(job);
      } catch (err) {
        // Not sent (the job could not be cloned): the worker is as it was.
        done(true);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  /** Ends the idle workers now (tests; the gateway's shutdown leaves its idle thread, which does not keep the process alive). */
  async close(): Promise<void> {
    const idle = this.#idle.splice(0);
    for (const w of idle) clearTimeout(w.timer);
    await Promise.all(idle.map((w) => w.worker.terminate()));
  }

  #take(): Worker {
    const idle = this.#idle.pop();
    if (idle !== undefined) {
      clearTimeout(idle.timer);
      return idle.worker;
    }
    this.started++;
    return startWorker();
  }

  #release(worker: Worker): void {
    if (this.#idle.length >= this.#maxIdle) {
      void worker.terminate();
      return;
    }
    worker.unref();
    const entry: IdleWorker = {
      worker,
      timer: setTimeout(() => {
        const i = this.#idle.indexOf(entry);
        if (i >= 0) this.#idle.splice(i, 1);
        void worker.terminate();
      }, this.#idleMs),
    };
    entry.timer.unref();
    // An idle worker that dies (it should not) is forgotten, not handed a job.
    worker.once("exit", () => {
      const i = this.#idle.indexOf(entry);
      if (i >= 0) {
        this.#idle.splice(i, 1);
        clearTimeout(entry.timer);
      }
    });
    this.#idle.push(entry);
  }
}

/**
 * A training worker thread. It loads this module's TypeScript source through tsx (registered
 * inside the worker), so it works from the sources with no build step, at nice TRAINING_NICE.
 */
function startWorker(): Worker {
  const self = new URL(import.meta.url).href;
  // Resolved here, not in the worker: an eval'd worker resolves bare names from the process's
  // working directory, which need not be this repository (`apprentice serve` run elsewhere).
  const tsxApi = import.meta.resolve("tsx/esm/api");
  // The nice value is set first, so the module loader's thread that register() starts inherits it.
  const lowerPriority = process.platform === "linux" ? `try { require("node:os").setPriority(${TRAINING_NICE}); } catch {}\n` : "";
  // A failed import is reported as the answer to the first job (the only one it will get).
  const bootstrap = `${lowerPriority}import(${JSON.stringify(tsxApi)}).then(({ register }) => { register(); return import(${JSON.stringify(self)}); }).catch((err) => { const { parentPort } = require("node:worker_threads"); parentPort.once("message", () => parentPort.postMessage({ ok: false, trainingError: false, message: String(err && err.stack || err) })); });`;
  return new Worker(bootstrap, { eval: true, workerData: { [WORKER_FLAG]: true } });
}

/** The process's training workers (TaskRuntime's background retrains). */
export const trainingWorkers = new TrainingWorkers();

/**
 * Trains in a worker thread of `trainingWorkers` (warm when a retrain ran in the last
 * IDLE_WORKER_MS). Rejects with a TrainingError when training is impossible (too few examples,
 * one label…), like the trainer. `fields`: a structured task's (its specialist is then a
 * StructuredSpecialist).
 */
export function trainInWorker(examples: readonly TrainingExample[], options?: WorkerTrainOptions): Promise<TextClassifier>;
export function trainInWorker(examples: readonly TrainingExample[], options: WorkerTrainOptions, fields: readonly OutputField[] | undefined): Promise<Specialist>;
export async function trainInWorker(examples: readonly TrainingExample[], options: WorkerTrainOptions = {}, fields?: readonly OutputField[]): Promise<Specialist> {
  const job: Job = { examples: examples.map((e) => ({ text: e.text, label: e.label })), options, ...(fields === undefined ? {} : { fields }) };
  const model = await trainingWorkers.run(job);
  return trainerFor(fields).decode(model);
}
