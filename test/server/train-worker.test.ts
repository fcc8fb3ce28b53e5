// Training in a worker thread gives the same model as training in-process.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { decodeModel, encodeModel } from "../../src/engine/model-file.js";
import { trainClassifier, TrainingError } from "../../src/engine/train.js";
import { TrainingWorkers, trainInWorker, TRAINING_NICE } from "../../src/server/runtime/train-worker.js";
import { GOLD } from "./helpers.js";

describe("trainInWorker", () => {
  it("returns the same model as trainClassifier with the same seed", async () => {
    const examples = GOLD.slice(0, 200);
    const inWorker = await trainInWorker(examples, { seed: 3 });
    const inProcess = trainClassifier(examples, { seed: 3 });
    // Through the model file on both sides (the worker sends file bytes; weights are float32 there).
    const reference = decodeModel(encodeModel(inProcess));
    for (const e of GOLD.slice(200, 260)) expect(inWorker.predict(e.text)).toEqual(reference.predict(e.text));
  });

  it("rejects with a TrainingError when training is impossible", async () => {
    await expect(trainInWorker([{ text: "only one", label: "a" }])).rejects.toBeInstanceOf(TrainingError);
  });

  it("keeps a worker warm for the next job, starts more only for concurrent jobs, and ends idle ones", async () => {
    const job = { examples: GOLD.slice(0, 200), options: { seed: 3 } };
    const workers = new TrainingWorkers({ maxIdle: 1, idleMs: 150 });
    try {
      // The model file records its training time, so the same model is compared by its predictions.
      const predictions = (bytes: Uint8Array) => {
        const model = decodeModel(bytes);
        return GOLD.slice(200, 230).map((e) => model.predict(e.text));
      };
      const first = predictions(await workers.run(job));
      expect(predictions(await workers.run(job))).toEqual(first);
      expect(workers.started).toBe(1);
      expect(workers.idle).toBe(1);
      // Two at once: the warm worker and a new one; one of them is kept afterwards.
      const both = await Promise.all([workers.run(job), workers.run(job)]);
      expect(predictions(both[1])).toEqual(first);
      expect(workers.started).toBe(2);
      expect(workers.idle).toBe(1);
      // A training error is an answer, not a failure: the worker stays.
      await expect(workers.run({ examples: [{ text: "only one", label: "a" }], options: {} })).rejects.toBeInstanceOf(TrainingError);
      expect(workers.idle).toBe(1);
      // Idle past idleMs: ended, and the next job starts a fresh worker.
      await new Promise((r) => setTimeout(r, 400));
      expect(workers.idle).toBe(0);
      await workers.run(job);
      expect(workers.started).toBe(3);
    } finally {
      await workers.close();
    }
    expect(workers.idle).toBe(0);
  });

  // Linux keeps a nice value per thread (/proc/self/task/<tid>/stat, field 19).
  it.runIf(process.platform === "linux")("trains at a lower CPU priority than the threads that serve", async () => {
    const niceOf = (tid: string): number | null => {
      try {
        const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
        return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
      } catch {
        return null; // the thread ended between the listing and the read
      }
    };
    const seen = new Set<number>();
    const poll = setInterval(() => {
      for (const tid of readdirSync("/proc/self/task")) {
        const nice = niceOf(tid);
        if (nice !== null) seen.add(nice);
      }
    }, 5);
    try {
      await trainInWorker(GOLD.slice(0, 200), { seed: 3 });
    } finally {
      clearInterval(poll);
    }
    expect(niceOf(String(process.pid))).toBe(0);
    expect(seen).toContain(TRAINING_NICE);
  });
});
