// The bundled example the demo trains on: the task parses, and the CSVs match it.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadDatasetFile } from "../../src/data/dataset-file.js";
import { labelNames, parseTask } from "../../src/task/definition.js";

const dir = (name: string) => fileURLToPath(new URL(`../../examples/banking-demo/${name}`, import.meta.url));

describe("examples/banking-demo", () => {
  it("has a valid task whose labels are the datasets' labels, with no text in both train and test", async () => {
    const task = parseTask(JSON.parse(await readFile(dir("task.json"), "utf8")));
    expect(task.name).toBe("banking-demo");
    expect(task.labels.every((l) => (l.description ?? "") !== "" && (l.answer ?? "") !== "")).toBe(true);

    const train = await loadDatasetFile(dir("train.csv"));
    const test = await loadDatasetFile(dir("test.csv"));
    const names = labelNames(task).sort();
    expect(train.labels.map((l) => l.label).sort()).toEqual(names);
    expect(test.labels.map((l) => l.label).sort()).toEqual(names);
    expect(train.labels.every((l) => l.count === 40)).toBe(true);
    expect(test.labels.every((l) => l.count === 15)).toBe(true);
    expect(train.duplicateTexts).toEqual([]);
    expect(test.duplicateTexts).toEqual([]);

    const key = (t: string) => t.trim().toLowerCase();
    const trainTexts = new Set(train.examples.map((e) => key(e.text)));
    expect(test.examples.filter((e) => trainTexts.has(key(e.text)))).toEqual([]);
  });
});
