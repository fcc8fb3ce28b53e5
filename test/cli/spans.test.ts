// End to end for span models: the real `apprentice` binary on a small generated dataset.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/run-cli.js";

let dir: string;
const run = (...args: string[]) => runCli(dir, ...args);

const CITIES = ["Paris", "New York", "Oslo", "São Paulo", "Lima", "Kyoto"];
const DAYS = ["today", "tomorrow", "monday", "next week"];

function rows(n: number, offset: number) {
  const out: { text: string; spans: { start: number; end: number; label: string }[] }[] = [];
  for (let i = offset; i < offset + n; i++) {
    const lead = ["weather in ", "is it raining in ", "forecast for "][i % 3];
    const city = CITIES[i % CITIES.length];
    const day = DAYS[(i * 7) % DAYS.length];
    const text = `${lead}${city} ${day}`;
    out.push({ text, spans: [{ start: lead.length, end: lead.length + city.length, label: "city" }, { start: lead.length + city.length + 1, end: text.length, label: "date" }] });
  }
  return out;
}
const jsonl = (r: unknown[]) => r.map((x) => JSON.stringify(x)).join("\n") + "\n";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "apprentice-spans-cli-"));
  await writeFile(join(dir, "train.jsonl"), jsonl(rows(120, 0)));
  await writeFile(join(dir, "test.jsonl"), jsonl(rows(30, 500)));
  const conll = rows(60, 0)
    .map((r) => {
      const words = r.text.split(" ");
      let at = 0;
      return words
        .map((w) => {
          const span = r.spans.find((s) => at >= s.start && at < s.end);
          const tag = span ? `${at === span.start ? "B" : "I"}-${span.label}` : "O";
          at += w.length + 1;
          return `${w}\t${tag}`;
        })
        .join("\n");
    })
    .join("\n\n");
  await writeFile(join(dir, "train.conll"), conll + "\n");
  await writeFile(join(dir, "bad.jsonl"), jsonl([{ text: "weather in Oslo", spans: [{ start: 11, end: 40, label: "city" }] }, ...rows(5, 0)]));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("apprentice train/eval/predict with span data", () => {
  it("detects span data, trains, evaluates as JSON and predicts spans with their text and probability", async () => {
    const train = await run("train", "--data", "train.jsonl", "--out", "spans.model");
    expect(train.stderr).toBe("");
    expect(train.code).toBe(0);
    expect(train.stdout).toMatch(/Trained a span extractor/);

    const evaluation = await run("eval", "--model", "spans.model", "--data", "test.jsonl", "--json");
    expect(evaluation.code).toBe(0);
    const json = JSON.parse(evaluation.stdout);
    expect(json.kind).toBe("spans");
    expect(json.span_f1).toBeGreaterThan(0.95);
    for (const key of ["span_precision", "span_recall", "exact_match", "predict_per_s", "answer_ece"]) expect(typeof json[key]).toBe("number");
    expect(json.per_label.map((l: { label: string }) => l.label)).toEqual(["city", "date"]);

    const predict = await run("predict", "--model", "spans.model", "forecast for Lima tomorrow");
    expect(predict.code).toBe(0);
    const line = JSON.parse(predict.stdout);
    expect(line.spans.map((s: { label: string; text: string }) => [s.label, s.text])).toEqual([
      ["city", "Lima"],
      ["date", "tomorrow"],
    ]);
    for (const s of line.spans) expect(s.probability).toBeGreaterThan(0.5);
    expect(line.probability).toBeGreaterThan(0.5);
  });

  it("trains from CoNLL and with --kind spans, int8 included", async () => {
    const r = await run("train", "--data", "train.conll", "--kind", "spans", "--out", "conll.model", "--quantize");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/int8 weights/);
    const p = await run("predict", "--model", "conll.model", "weather in Oslo today");
    expect(JSON.parse(p.stdout).spans.map((s: { text: string }) => s.text)).toEqual(["Oslo", "today"]);
  });

  it("names the bad row's line and changes nothing", async () => {
    const r = await run("train", "--data", "bad.jsonl", "--out", "never.model");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/bad\.jsonl line 1: span 0 \[11, 40\) is outside the text/);
    const again = await run("eval", "--model", "never.model", "--data", "test.jsonl");
    expect(again.stderr).toMatch(/model file not found/);
  });

  it("refuses to evaluate a span model on single-label data with a clear message", async () => {
    await writeFile(join(dir, "labels.jsonl"), jsonl([{ text: "hello", label: "x" }]));
    const r = await run("eval", "--model", "spans.model", "--data", "labels.jsonl");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/missing field "spans"/);
  });
});
