// npm run bench:engine [-- --data-dir DIR] [--skip-anchors]
//
// Trains and evaluates the specialist engine on Banking77 and, in the same run, the reference
// classifiers (scikit-learn TF-IDF + LinearSVC, fastText) on the same split, so the ratios stay
// meaningful on a shared, noisy machine. Writes bench/results/engine.json and the table in
// bench/README.md.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { formatCsv } from "../src/data/csv.js";
import { evaluatePredictions } from "../src/engine/metrics.js";
import { mulberry32, shuffleInPlace } from "../src/engine/random.js";
import { decodeModel, encodeModel } from "../src/engine/model-file.js";
import { trainClassifier } from "../src/engine/train.js";
import type { TextClassifier } from "../src/engine/classifier.js";
import { REPO_ROOT, loadBanking77, type LabeledText } from "./lib/banking77.js";
import { markdownTable, updateReadmeSection, writeResult } from "./lib/report.js";
import { latencyPercentiles } from "./lib/timing.js";

const ANCHORS = join(REPO_ROOT, "../shared/anchors");

interface AnchorResult {
  system: string;
  accuracy: number;
  macro_f1?: number;
  train_s: number;
  predict_per_s: number;
}

function runAnchor(script: string, args: string[]): AnchorResult | { system: string; error: string } {
  try {
    const out = execFileSync(join(ANCHORS, script), args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 600_000 });
    return JSON.parse(out.trim().split("\n").pop()!);
  } catch (e) {
    return { system: script, error: (e as Error).message.split("\n")[0] };
  }
}

function evaluate(model: TextClassifier, test: LabeledText[]) {
  const preds = test.map((e) => model.predict(e.text));
  return evaluatePredictions(
    test.map((e) => e.label),
    preds.map((p) => p.label),
    preds.map((p) => p.confidence),
    model.labels,
  );
}

/** Predictions per second on one thread, model loaded: median of five full passes after a warm-up. */
function throughput(model: TextClassifier, texts: string[]): number {
  for (const t of texts) model.predict(t);
  const rates: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = process.hrtime.bigint();
    for (const t of texts) model.predict(t);
    rates.push(texts.length / (Number(process.hrtime.bigint() - t0) / 1e9));
  }
  return rates.sort((a, b) => a - b)[2];
}

/** The first `perLabel` examples of each label after a seeded shuffle: a few-shot training set. */
function fewShot(train: LabeledText[], perLabel: number, seed: number): LabeledText[] {
  const taken = new Map<string, number>();
  return shuffleInPlace([...train], mulberry32(seed)).filter((e) => {
    const n = taken.get(e.label) ?? 0;
    taken.set(e.label, n + 1);
    return n < perLabel;
  });
}

/**
 * The defaults must hold up on other tasks, many of which start with a handful of examples per
 * label: train on small subsets, ours and scikit-learn on the same rows.
 */
function fewShotComparison(train: LabeledText[], test: LabeledText[], testCsv: string, withAnchors: boolean) {
  const dir = mkdtempSync(join(tmpdir(), "apprentice-fewshot-"));
  try {
    return [10, 30].map((perLabel) => {
      const subset = fewShot(train, perLabel, 1);
      const ours = evaluate(trainClassifier(subset), test).accuracy;
      let sklearn: number | null = null;
      if (withAnchors) {
        const file = join(dir, `train-${perLabel}.csv`);
        writeFileSync(file, formatCsv(["text", "category"], subset.map((e) => [e.text, e.label])));
        const r = runAnchor("sklearn_baseline.py", [file, testCsv]);
        sklearn = "error" in r ? null : r.accuracy;
      }
      return { per_label: perLabel, examples: subset.length, accuracy: round(ours), sklearn_accuracy: sklearn };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const round = (x: number, d = 4) => Math.round(x * 10 ** d) / 10 ** d;

async function main() {
  const { dir, train, test } = await loadBanking77();
  const texts = test.map((e) => e.text);
  console.error(`Banking77 from ${dir}: ${train.length} train, ${test.length} test`);

  const rssBefore = process.memoryUsage().rss;
  const t0 = performance.now();
  const model = trainClassifier(train);
  const trainSeconds = (performance.now() - t0) / 1000;
  const ev = evaluate(model, test);
  const full = encodeModel(model);
  const int8 = encodeModel(model, { quantize: "int8" });
  const quantized = decodeModel(int8);
  const evQ = evaluate(quantized, test);
  const perSecond = throughput(model, texts);
  const lat = latencyPercentiles(texts, (t) => model.predict(t));
  const peakRss = process.resourceUsage().maxRSS * 1024;

  const ours = {
    system: "Apprentice engine",
    accuracy: round(ev.accuracy),
    macro_f1: round(ev.macroF1),
    ece: round(ev.ece),
    train_s: round(trainSeconds, 2),
    epochs: model.header.training.epochs,
    features: model.header.training.features,
    predict_per_s: Math.round(perSecond),
    latency_p50_us: round(lat.p50_us, 1),
    latency_p99_us: round(lat.p99_us, 1),
    model_bytes: full.length,
    model_int8_bytes: int8.length,
    int8_accuracy: round(evQ.accuracy),
    peak_rss_mb: Math.round(peakRss / 2 ** 20),
    rss_before_mb: Math.round(rssBefore / 2 ** 20),
  };
  console.error(JSON.stringify(ours));

  const anchors: (AnchorResult | { system: string; error: string })[] = [];
  if (!process.argv.includes("--skip-anchors")) {
    if (!existsSync(ANCHORS)) {
      anchors.push({ system: "anchors", error: `${ANCHORS} not found` });
    } else {
      try {
        execFileSync("bash", [join(ANCHORS, "install.sh")], { stdio: "ignore", timeout: 600_000 });
      } catch (e) {
        console.error(`anchors install failed: ${(e as Error).message.split("\n")[0]}`);
      }
      // The anchors read the same CSV files, so they see exactly the split we used.
      const trainCsv = join(dir, "train.csv");
      const testCsv = join(dir, "test.csv");
      anchors.push(runAnchor("sklearn_baseline.py", [trainCsv, testCsv]));
      console.error(JSON.stringify(anchors.at(-1)));
      anchors.push(runAnchor("fasttext_baseline.sh", [trainCsv, testCsv]));
      console.error(JSON.stringify(anchors.at(-1)));
    }
  }

  const ok = (a: AnchorResult | { error: string }): a is AnchorResult => !("error" in a);
  const fewShotResults = fewShotComparison(train, test, join(dir, "test.csv"), anchors.some(ok));
  console.error(JSON.stringify(fewShotResults));
  const sklearn = anchors.filter(ok).find((a) => a.system.includes("scikit"));
  const fasttext = anchors.filter(ok).find((a) => a.system.includes("fastText"));
  const target = (name: string, goal: string, value: string, met: boolean) => ({ name, goal, value, met });
  const targets = [
    target("test accuracy", "≥ 0.915", ours.accuracy.toFixed(4), ours.accuracy >= 0.915),
    target("training wall time", "≤ 10 s", `${ours.train_s} s`, ours.train_s <= 10),
    target("predictions/s, one thread", "≥ 50,000", ours.predict_per_s.toLocaleString("en-US"), ours.predict_per_s >= 50_000),
    target("model file", "≤ 50 MB", `${(ours.model_bytes / 1e6).toFixed(1)} MB`, ours.model_bytes <= 50e6),
    target("int8 model file", "≤ 15 MB", `${(ours.model_int8_bytes / 1e6).toFixed(1)} MB`, ours.model_int8_bytes <= 15e6),
    target("int8 accuracy loss", "≤ 0.3 pt", `${((ours.accuracy - ours.int8_accuracy) * 100).toFixed(2)} pt`, ours.accuracy - ours.int8_accuracy <= 0.003),
  ];
  const ratios = {
    train_s_vs_sklearn: sklearn ? round(ours.train_s / sklearn.train_s, 2) : null,
    train_s_vs_fasttext: fasttext ? round(ours.train_s / fasttext.train_s, 2) : null,
    predict_per_s_vs_fasttext: fasttext ? round(ours.predict_per_s / fasttext.predict_per_s, 2) : null,
    predict_per_s_vs_sklearn: sklearn ? round(ours.predict_per_s / sklearn.predict_per_s, 2) : null,
    accuracy_minus_sklearn: sklearn ? round(ours.accuracy - sklearn.accuracy) : null,
  };
  const result = {
    benchmark: "engine",
    dataset: { name: "Banking77", train: train.length, test: test.length, labels: model.labels.length },
    machine: { cpus: cpus().length, node: process.version },
    date: new Date().toISOString(),
    ours,
    anchors,
    ratios,
    targets,
    few_shot: fewShotResults,
  };
  const path = writeResult("engine", result);

  const mb = (b: number) => (b / 1e6).toFixed(1);
  const rows: (string | number)[][] = [
    [
      "Apprentice engine (this run)",
      ours.accuracy.toFixed(4),
      ours.macro_f1.toFixed(4),
      ours.train_s.toFixed(2),
      ours.predict_per_s.toLocaleString("en-US"),
      `${ours.latency_p50_us} / ${ours.latency_p99_us}`,
      `${mb(ours.model_bytes)} (int8 ${mb(ours.model_int8_bytes)}, acc ${ours.int8_accuracy.toFixed(4)})`,
      ours.peak_rss_mb,
    ],
    ...anchors.map((a) =>
      ok(a)
        ? [a.system, a.accuracy.toFixed(4), a.macro_f1?.toFixed(4) ?? "–", a.train_s.toFixed(2), a.predict_per_s.toLocaleString("en-US"), "–", "–", "–"]
        : [a.system, `not run: ${a.error}`, "", "", "", "", "", ""],
    ),
  ];
  const table = markdownTable(
    ["system", "accuracy", "macro-F1", "train s", "predictions/s (1 thread)", "latency p50 / p99 µs", "model MB", "peak RSS MB"],
    rows,
  );
  const targetTable = markdownTable(
    ["target", "goal", "this run", ""],
    targets.map((t) => [t.name, t.goal, t.value, t.met ? "met" : "**missed**"]),
  );
  updateReadmeSection(
    "engine",
    `### Engine on Banking77 (${result.date.slice(0, 10)}, ${result.machine.cpus} cores, Node ${process.version})\n\n${table}\n\n` +
      `Ratios: train time ${ratios.train_s_vs_sklearn ?? "–"}× scikit-learn's and ${ratios.train_s_vs_fasttext ?? "–"}× fastText's; ` +
      `predictions/s ${ratios.predict_per_s_vs_fasttext ?? "–"}× fastText's. ECE ${ours.ece}, ${ours.epochs} epochs, ${ours.features.toLocaleString("en-US")} features.\n\n${targetTable}\n\n` +
      `Few-shot check of the defaults (same seeded subsets of the training split, full test split):\n\n` +
      markdownTable(
        ["examples per label", "Apprentice accuracy", "scikit-learn accuracy"],
        fewShotResults.map((f) => [f.per_label, f.accuracy.toFixed(4), f.sklearn_accuracy?.toFixed(4) ?? "–"]),
      ),
  );
  console.log(table);
  console.log(`\nwrote ${path}`);
}

main().catch((e) => {
  console.error(`bench:engine: ${(e as Error).message}`);
  process.exit(1);
});
