// Training in a worker thread gives the same model as training in-process.
import { describe, expect, it } from "vitest";
import { decodeModel, encodeModel } from "../../src/engine/model-file.js";
import { trainClassifier, TrainingError } from "../../src/engine/train.js";
import { trainInWorker } from "../../src/server/runtime/train-worker.js";
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
});
