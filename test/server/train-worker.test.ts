// Training in a worker thread gives the same model as training in-process.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { decodeModel, encodeModel } from "../../src/engine/model-file.js";
import { trainClassifier, TrainingError } from "../../src/engine/train.js";
import { trainInWorker, TRAINING_NICE } from "../../src/server/runtime/train-worker.js";
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
