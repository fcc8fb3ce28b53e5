// Trains a specialist in a worker thread, so training never blocks the event loop that serves
// requests. The worker trains the task's kind of specialist (trainerFor: a label classifier, or a
// structured task's per-field models) and sends back its model file bytes, which the caller
// decodes: the same bytes as training in-process with the same seed.
//
// TaskRuntime uses it for background retrains: Cascade.prepareRetrain() snapshots the training set,
// the worker trains, and Cascade.acceptCandidate() compares and promotes.
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

if (!isMainThread && parentPort !== null && (workerData as { apprenticeTrainJob?: Job } | null)?.apprenticeTrainJob !== undefined) {
  const outcome = runJob((workerData as { apprenticeTrainJob: Job }).apprenticeTrainJob);
  parentPort.postMessage(outcome, outcome.ok ? [outcome.model.buffer as ArrayBuffer] : []);
}

/**
 * The nice value of a training thread (Linux, where it is a thread's own; elsewhere it would lower
 * the whole process, so it is left alone). Retraining competes for the cores with the requests
 * the gateway relays and answers: on a busy machine a thread at nice 10 gets about a tenth of the
 * CPU a serving thread gets, so serving keeps its speed and training still moves on under
 * sustained load; on idle cores it changes nothing.
 */
export const TRAINING_NICE = 10;

/**
 * Trains in a fresh worker thread. The worker loads this module's TypeScript source through tsx
 * (registered inside the worker), so it works from the sources with no build step. Rejects with a
 * TrainingError when training is impossible (too few examples, one label…), like the trainer.
 * `fields`: a structured task's (its specialist is then a StructuredSpecialist).
 */
export function trainInWorker(examples: readonly TrainingExample[], options?: WorkerTrainOptions): Promise<TextClassifier>;
export function trainInWorker(examples: readonly TrainingExample[], options: WorkerTrainOptions, fields: readonly OutputField[] | undefined): Promise<Specialist>;
export function trainInWorker(examples: readonly TrainingExample[], options: WorkerTrainOptions = {}, fields?: readonly OutputField[]): Promise<Specialist> {
  const self = new URL(import.meta.url).href;
  // Resolved here, not in the worker: an eval'd worker resolves bare names from the process's
  // working directory, which need not be this repository (`apprentice serve` run elsewhere).
  const tsxApi = import.meta.resolve("tsx/esm/api");
  // The nice value is set first, so the module loader's thread that register() starts inherits it.
  const lowerPriority = process.platform === "linux" ? `try { require("node:os").setPriority(${TRAINING_NICE}); } catch {}\n` : "";
  const bootstrap = `${lowerPriority}import(${JSON.stringify(tsxApi)}).then(({ register }) => { register(); return import(${JSON.stringify(self)}); }).catch((err) => { require("node:worker_threads").parentPort.postMessage({ ok: false, trainingError: false, message: String(err && err.stack || err) }); });`;
  const job: Job = { examples: examples.map((e) => ({ text: e.text, label: e.label })), options, ...(fields === undefined ? {} : { fields }) };
  const trainer = trainerFor(fields);
  return new Promise<Specialist>((resolve, reject) => {
    const worker = new Worker(bootstrap, { eval: true, workerData: { apprenticeTrainJob: job } });
    let settled = false;
    worker.once("message", (outcome: Outcome) => {
      settled = true;
      void worker.terminate();
      if (outcome.ok) {
        try {
          resolve(trainer.decode(new Uint8Array(outcome.model)));
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      } else reject(outcome.trainingError ? new TrainingError(outcome.message) : new Error(`training worker failed: ${outcome.message}`));
    });
    worker.once("error", (err) => {
      if (!settled) reject(err);
      settled = true;
    });
    worker.once("exit", (code) => {
      if (!settled) reject(new Error(`training worker exited with code ${code} before answering`));
      settled = true;
    });
  });
}
