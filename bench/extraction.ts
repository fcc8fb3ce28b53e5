// npm run bench:extraction [-- --data-dir DIR] [--skip-anchors] [--only spans|multilabel] [--tune-multilabel]
//
// Trains and evaluates the span extractor on SNIPS (../shared/datasets/snips: train.jsonl and
// test.jsonl, spans as UTF-16 offsets) and, in the same run, CRFsuite through
// ../shared/anchors/crf_baseline.mjs on the same files, then both on few-shot subsets (20 and 100
// training texts per intent, the same subsets for both). Settings are the engine's defaults,
// chosen on a split of the training data; the test split is only scored here.
// Writes bench/results/extraction.json and the table in bench/README.md. Then the multi-label
// classifier on the same texts (bench/lib/snips-multilabel.ts).
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { mulberry32, shuffleInPlace } from "../src/engine/random.js";
import { evaluateSpans } from "../src/engine/span-metrics.js";
import { decodeSpanModel, encodeSpanModel } from "../src/engine/span-model-file.js";
import { trainSpanExtractor } from "../src/engine/span-train.js";
import { REPO_ROOT, argValue } from "./lib/banking77.js";
import { markdownTable, updateReadmeSection, writeResult } from "./lib/report.js";
import { benchMultiLabel } from "./lib/snips-multilabel.js";
import { loadSnips, type SnipsRow } from "./lib/snips.js";
import { latencyPercentiles, throughput } from "./lib/timing.js";

const ANCHORS = join(REPO_ROOT, "../shared/anchors");
const dataDir = resolve(argValue("--data-dir") ?? join(REPO_ROOT, "../shared/datasets/snips"));
const skipAnchors = process.argv.includes("--skip-anchors");

type Row = SnipsRow;
const load = (file: string): Row[] => loadSnips(dataDir, file);

type CrfResult = { span_precision: number; span_recall: number; span_f1: number; train_s: number; predict_per_s: number } | { error: string };

function runCrfsuite(train: string, test: string): CrfResult {
  try {
    execFileSync(join(ANCHORS, "crf_install.sh"), { stdio: "ignore", timeout: 600_000 });
    const out = execFileSync("node", [join(ANCHORS, "crf_baseline.mjs"), train, test], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 1_200_000 });
    return JSON.parse(out.trim().split("\n").pop()!);
  } catch (e) {
    return { error: (e as Error).message.split("\n")[0] };
  }
}

function trainAndScore(train: Row[], test: Row[]) {
  const t0 = performance.now();
  const model = trainSpanExtractor(train);
  const trainS = (performance.now() - t0) / 1000;
  const evaluation = evaluateSpans(
    test.map((r) => r.spans),
    test.map((r) => model.predict(r.text)),
  );
  return { model, trainS, evaluation };
}

function subset(rows: Row[], perIntent: number, seed: number): Row[] {
  const byIntent = new Map<string, Row[]>();
  for (const r of rows) {
    const k = r.intent ?? "";
    if (!byIntent.has(k)) byIntent.set(k, []);
    byIntent.get(k)!.push(r);
  }
  const random = mulberry32(seed);
  return [...byIntent.keys()].sort().flatMap((k) => shuffleInPlace(byIntent.get(k)!.slice(), random).slice(0, perIntent));
}

const toJsonl = (rows: Row[]) => rows.map((r) => JSON.stringify({ text: r.text, spans: r.spans })).join("\n") + "\n";

const train = load("train.jsonl");
const test = load("test.jsonl");
const trainPath = join(dataDir, "train.jsonl");
const testPath = join(dataDir, "test.jsonl");
console.log(`SNIPS: ${train.length} train, ${test.length} test texts`);

/** The span extractor against CRFsuite, full data and few-shot; bench/results/extraction.json and its README table. */
function benchSpans(): void {
  const full = trainAndScore(train, test);
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  const float32 = encodeSpanModel(full.model);
  const int8 = encodeSpanModel(full.model, { quantize: "int8" });
  const quantized = decodeSpanModel(int8);
  const int8Eval = evaluateSpans(
    test.map((r) => r.spans),
    test.map((r) => quantized.predict(r.text)),
  );
  const texts = test.map((r) => r.text);
  const speed = throughput(texts, (t) => full.model.predict(t));
  const latency = latencyPercentiles(texts, (t) => full.model.predict(t));
  const e = full.evaluation;
  console.log(`ours: F1 ${e.span_f1.toFixed(4)} (P ${e.span_precision.toFixed(4)} R ${e.span_recall.toFixed(4)}), exact ${e.exact_match.toFixed(4)}, ECE ${e.answer_ece.toFixed(4)}, train ${full.trainS.toFixed(1)} s, ${speed.median.toFixed(0)}/s`);

  const crf = skipAnchors ? { error: "skipped" } : runCrfsuite(trainPath, testPath);
  console.log("crfsuite:", JSON.stringify(crf));

  const tmp = mkdtempSync(join(tmpdir(), "apprentice-extraction-"));
  const fewShot = [];
  for (const perIntent of [20, 100]) {
    const rows = subset(train, perIntent, 7);
    const path = join(tmp, `train-${perIntent}.jsonl`);
    writeFileSync(path, toJsonl(rows));
    const ours = trainAndScore(rows, test);
    const anchor = skipAnchors ? { error: "skipped" } : runCrfsuite(path, testPath);
    fewShot.push({ per_intent: perIntent, texts: rows.length, ours: { span_f1: ours.evaluation.span_f1, exact_match: ours.evaluation.exact_match, answer_ece: ours.evaluation.answer_ece, train_s: ours.trainS }, crfsuite: anchor });
    console.log(`few-shot ${perIntent}/intent: ours F1 ${ours.evaluation.span_f1.toFixed(4)}, crfsuite ${"span_f1" in anchor ? anchor.span_f1.toFixed(4) : anchor.error}`);
  }
  rmSync(tmp, { recursive: true, force: true });

  const result = {
    dataset: { name: "SNIPS 2017 (sonos/nlu-benchmark)", train: train.length, test: test.length, labels: full.model.labels.length },
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version },
    ours: {
      span_precision: e.span_precision,
      span_recall: e.span_recall,
      span_f1: e.span_f1,
      exact_match: e.exact_match,
      answer_ece: e.answer_ece,
      span_ece: e.span_ece,
      coverage_exact_match: e.coverage_exact_match,
      train_s: full.trainS,
      predict_per_s: speed,
      latency_us: latency,
      model_bytes: { float32: float32.length, int8: int8.length },
      int8_span_f1: int8Eval.span_f1,
      int8_answer_ece: int8Eval.answer_ece,
      peak_rss_mb: peakRssMb,
      training: full.model.header.training,
      temperature: full.model.header.temperature,
      per_label: e.per_label,
    },
    crfsuite: crf,
    few_shot: fewShot,
    createdAt: new Date().toISOString(),
  };
  writeResult("extraction", result);

  const f = (x: number, d = 3) => x.toFixed(d);
  const crfRow = "span_f1" in crf ? ["CRFsuite (L-BFGS, c1 0.1, c2 0.01, 100 it.)", f(crf.span_precision), f(crf.span_recall), f(crf.span_f1), "–", "–", f(crf.train_s, 1), `${crf.predict_per_s.toFixed(0)} (features excluded)`, "–"] : ["CRFsuite", crf.error, "", "", "", "", "", "", ""];
  const table = markdownTable(
    ["system", "span P", "span R", "span F1", "exact match", "answer ECE", "train s", "predictions/s", "model"],
    [
      ["Apprentice CRF (defaults)", f(e.span_precision), f(e.span_recall), f(e.span_f1), f(e.exact_match), f(e.answer_ece), f(full.trainS, 1), `${speed.median.toFixed(0)} (${speed.min.toFixed(0)}–${speed.max.toFixed(0)}), featurising included`, `${(float32.length / 1e6).toFixed(1)} MB (int8 ${(int8.length / 1e6).toFixed(1)} MB, F1 ${f(int8Eval.span_f1)})`],
      crfRow,
    ],
  );
  const fewTable = markdownTable(
    ["training texts per intent", "texts", "ours span F1", "CRFsuite span F1", "ours exact match", "ours answer ECE"],
    fewShot.map((r) => [r.per_intent, r.texts, f(r.ours.span_f1), "span_f1" in r.crfsuite ? f(r.crfsuite.span_f1) : r.crfsuite.error, f(r.ours.exact_match), f(r.ours.answer_ece)]),
  );
  const curve = markdownTable(
    ["coverage", ...e.coverage_exact_match.map((p) => `${Math.round(p.coverage * 100)}%`)],
    [["exact match", ...e.coverage_exact_match.map((p) => f(p.accuracy))]],
  );
  updateReadmeSection(
    "extraction",
    `SNIPS (${train.length} train / ${test.length} test texts, ${full.model.labels.length} slot types), one run of \`npm run bench:extraction\` (${result.createdAt.slice(0, 10)}); p50/p99 latency ${f(latency.p50_us, 0)}/${f(latency.p99_us, 0)} µs, peak RSS ${peakRssMb.toFixed(0)} MB.\n\n${table}\n\nCoverage–exact-match curve (the most confident answers first, by whole-answer probability):\n\n${curve}\n\nFew-shot (same subsets for both, seeded, full test split):\n\n${fewTable}`,
  );
  console.log("wrote bench/results/extraction.json");
}

// --only spans|multilabel runs one of the two benchmarks (each keeps its own results file and
// README table), so either can be iterated on quickly.
const only = argValue("--only");
if (only !== undefined && only !== "spans" && only !== "multilabel") throw new Error(`--only takes spans or multilabel, not ${only}`);
if (only !== "multilabel") benchSpans();
if (only !== "spans") benchMultiLabel(train, test, { skipAnchors, tune: process.argv.includes("--tune-multilabel") });
