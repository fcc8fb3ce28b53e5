// End to end for multi-label models: the real `apprentice` binary on a small generated dataset.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/run-cli.js";

let dir: string;
const run = (...args: string[]) => runCli(dir, ...args);

/** Requests that name any of three topics (or none) in a few templates: the labels are the topics named. */
function rows(n: number, offset: number) {
  const topics = [
    { label: "billing", words: ["invoice", "bill", "charge"] },
    { label: "delivery", words: ["parcel", "courier", "shipping"] },
    { label: "account", words: ["password", "login", "username"] },
  ];
  const out: { text: string; labels: string[] }[] = [];
  for (let i = offset; i < offset + n; i++) {
    const chosen = topics.filter((_, k) => ((i >> k) & 1) === 1);
    const parts = chosen.map((t) => t.words[(i * 7 + t.label.length) % 3]);
    const text = ["hi team", "hello", "quick question"][i % 3] + (parts.length ? ` about my ${parts.join(" and my ")}` : " just saying thanks");
    out.push({ text, labels: chosen.map((t) => t.label) });
  }
  return out;
}
const jsonl = (r: unknown[]) => r.map((x) => JSON.stringify(x)).join("\n") + "\n";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "apprentice-multilabel-cli-"));
  await writeFile(join(dir, "train.jsonl"), jsonl(rows(400, 0)));
  await writeFile(join(dir, "test.jsonl"), jsonl(rows(80, 1000)));
  await writeFile(join(dir, "train.csv"), "text,labels\n" + rows(400, 0).map((r) => `"${r.text}",${r.labels.join("|")}`).join("\n") + "\n");
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("apprentice train/eval/predict with multi-label data", () => {
  it("detects a labels array, trains, evaluates as JSON and predicts labels with the set probability", async () => {
    const train = await run("train", "--data", "train.jsonl", "--out", "ml.model");
    expect(train.stderr).toBe("");
    expect(train.code).toBe(0);
    expect(train.stdout).toMatch(/Trained a multi-label classifier/);
    expect(train.stdout).toMatch(/labels +3: account, billing, delivery/);

    const evaluation = await run("eval", "--model", "ml.model", "--data", "test.jsonl", "--json");
    expect(evaluation.code).toBe(0);
    const json = JSON.parse(evaluation.stdout);
    expect(json.kind).toBe("multilabel");
    expect(json.n).toBe(80);
    expect(json.micro_f1).toBeGreaterThan(0.95);
    expect(json.exact_set_accuracy).toBeGreaterThan(0.9);
    for (const key of ["macro_f1", "set_ece", "predict_per_s"]) expect(typeof json[key]).toBe("number");
    expect(json.per_label.map((l: { label: string }) => l.label)).toEqual(["account", "billing", "delivery"]);

    const predict = await run("predict", "--model", "ml.model", "hello about my courier and my login", "quick question just saying thanks");
    expect(predict.code).toBe(0);
    const [two, none] = predict.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(two.labels.map((l: { label: string }) => l.label).sort()).toEqual(["account", "delivery"]);
    for (const l of two.labels) expect(l.probability).toBeGreaterThan(0.5);
    expect(two.probability).toBeGreaterThan(0.5);
    expect(none.labels).toEqual([]);
    expect(none.probability).toBeGreaterThan(0.5);
  });

  it("trains from CSV with a |-separated labels column, int8 included, and reads the report", async () => {
    const r = await run("train", "--data", "train.csv", "--kind", "multilabel", "--out", "csv.model", "--quantize");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/int8 weights/);
    const e = await run("eval", "--model", "csv.model", "--data", "test.jsonl");
    expect(e.code).toBe(0);
    expect(e.stdout).toMatch(/exact set/);
    expect(e.stdout).toMatch(/set ECE/);
  });

  it("says what is missing when a model and a data file are of different kinds", async () => {
    await writeFile(join(dir, "labels.jsonl"), jsonl([{ text: "hello", label: "x" }, { text: "bye", label: "y" }]));
    expect((await run("train", "--data", "labels.jsonl", "--out", "label.model")).code).toBe(0);
    const single = await run("eval", "--model", "label.model", "--data", "test.jsonl");
    expect(single.code).not.toBe(0);
    expect(single.stderr).toMatch(/test\.jsonl has no label field/);
    const multi = await run("eval", "--model", "ml.model", "--data", "labels.jsonl");
    expect(multi.code).not.toBe(0);
    expect(multi.stderr).toMatch(/labels\.jsonl line 1: missing field "labels"/);
  });
});
