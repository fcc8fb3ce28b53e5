import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CliError } from "../../src/cli/errors.js";
import { loadModelFile, saveModelFile } from "../../src/cli/model-io.js";
import { trainClassifier } from "../../src/engine/train.js";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "apprentice-model-io-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const model = trainClassifier(
  [
    ...["red apple", "green apple", "apple pie", "apple juice"].map((text) => ({ text, label: "apple" })),
    ...["ripe banana", "banana split", "banana bread", "yellow banana"].map((text) => ({ text, label: "banana" })),
  ],
  { maxEpochs: 5 },
);

describe("model files", () => {
  it("saves atomically into a new directory and loads the same model back", async () => {
    const path = join(dir, "nested", "m.model");
    const size = await saveModelFile(path, model);
    expect(size).toBeGreaterThan(0);
    expect(await readdir(join(dir, "nested"))).toEqual(["m.model"]);
    const loaded = await loadModelFile(path);
    expect(loaded.labels).toEqual(model.labels);
    expect(loaded.predict("apple tart")).toEqual(model.predict("apple tart"));

    // Overwriting replaces the file whole.
    const quantized = await saveModelFile(path, model, { quantize: "int8" });
    expect(quantized).toBeLessThan(size);
    expect((await loadModelFile(path)).predict("banana cake").label).toBe("banana");
  });

  it("names the file when it is missing or not a model", async () => {
    await expect(loadModelFile(join(dir, "none.model"))).rejects.toThrow(/model file not found: .*none\.model/);
    const junk = join(dir, "junk.model");
    await writeFile(junk, "definitely not a model file, only text");
    const err = await loadModelFile(junk).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as Error).message).toMatch(/^cannot load model .*junk\.model: /);
  });

  it("fails cleanly when the target cannot be written, leaving no temporary file", async () => {
    const blocker = join(dir, "file");
    await writeFile(blocker, "x");
    await expect(saveModelFile(join(blocker, "m.model"), model)).rejects.toThrow(/cannot write model file/);
    const target = join(dir, "is-a-dir");
    await saveModelFile(join(target, "inner.model"), model);
    await expect(saveModelFile(target, model)).rejects.toThrow(/cannot write model file/);
    expect((await readdir(dir)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });
});
