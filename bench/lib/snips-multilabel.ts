// The multi-label row of bench:extraction: from each SNIPS query, predict the set of slot types
// its gold spans carry ("play jazz by Miles Davis" → {genre, artist}), from the text alone. The
// labels come from the spans of the same files the span benchmark reads; the test split is only
// scored. In the same run, scikit-learn's OneVsRestClassifier(LogisticRegression) on TF-IDF word
// and character n-grams (bench/multilabel_reference.py, its C chosen on a split of the training
// texts). With --tune-multilabel, first the validation sweep the engine's defaults were chosen by:
// a seeded 10% of the training texts held out, never the test split.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import type { SpanRecord } from "../../src/data/span-dataset.js";
import { decodeMultiLabelModel, encodeMultiLabelModel } from "../../src/engine/multilabel-model-file.js";
import type { MultiLabelClassifier } from "../../src/engine/multilabel-classifier.js";
import { evaluateMultiLabel } from "../../src/engine/multilabel-metrics.js";
import { trainMultiLabelClassifier, type MultiLabelExample, type MultiLabelTrainOptions } from "../../src/engine/multilabel-train.js";
import { mulberry32, shuffleInPlace } from "../../src/engine/random.js";
import { REPO_ROOT } from "./banking77.js";
import { markdownTable, updateReadmeSection, writeResult } from "./report.js";
import { throughput } from "./timing.js";

const REFERENCE = join(REPO_ROOT, "bench/multilabel_reference.py");
const ANCHOR_INSTALL = join(REPO_ROOT, "../shared/anchors/install.sh");

const slotTypes = (rows: readonly SpanRecord[]): MultiLabelExample[] => rows.map((r) => ({ text: r.text, labels: [...new Set(r.spans.map((s) => s.label))].sort() }));

function score(model: MultiLabelClassifier, rows: readonly MultiLabelExample[]) {
  return evaluateMultiLabel(
    rows.map((r) => r.labels),
    rows.map((r) => {
      const p = model.predict(r.text);
      return { labels: p.labels.map((l) => l.label), probability: p.probability };
    }),
  );
}

/** The settings sweep on a seeded 10% of the training texts; prints each setting's validation figures. */
function tune(train: readonly MultiLabelExample[]) {
  const order = shuffleInPlace([...train.keys()], mulberry32(11));
  const cut = Math.round(train.length / 10);
  const held = order.slice(0, cut).map((i) => train[i]);
  const fit = order.slice(cut).map((i) => train[i]);
  const settings: Partial<MultiLabelTrainOptions>[] = [{ learningRate: 2 }, { learningRate: 4 }, { learningRate: 8 }, { learningRate: 16 }, { learningRate: 8, l2: 1e-5 }];
  return settings.map((s) => {
    const e = score(trainMultiLabelClassifier(fit, s), held);
    const row = { settings: s, micro_f1: e.micro_f1, macro_f1: e.macro_f1, exact_set_accuracy: e.exact_set_accuracy, set_ece: e.set_ece };
    console.log("multi-label validation:", JSON.stringify(row));
    return row;
  });
}

type Reference = { micro_f1: number; macro_f1: number; exact_set_accuracy: number; set_ece: number; train_s: number; predict_per_s: number; predict_per_s_batch: number; model_bytes: number; C: number } | { error: string };

function runReference(train: readonly MultiLabelExample[], test: readonly MultiLabelExample[]): Reference {
  const dir = mkdtempSync(join(tmpdir(), "apprentice-multilabel-"));
  try {
    const write = (name: string, rows: readonly MultiLabelExample[]) => {
      writeFileSync(join(dir, name), rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
      return join(dir, name);
    };
    execFileSync("bash", [ANCHOR_INSTALL], { stdio: "ignore", timeout: 600_000 });
    const out = execFileSync("/usr/bin/python3", [REFERENCE, write("train.jsonl", train), write("test.jsonl", test)], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 1_800_000 });
    return JSON.parse(out.trim().split("\n").pop()!);
  } catch (e) {
    return { error: (e as Error).message.split("\n")[0] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function benchMultiLabel(trainRows: readonly SpanRecord[], testRows: readonly SpanRecord[], options: { skipAnchors: boolean; tune: boolean }): void {
  const loadBefore = loadavg();
  const train = slotTypes(trainRows);
  const test = slotTypes(testRows);
  const validation = options.tune ? tune(train) : null;

  const t0 = performance.now();
  const model = trainMultiLabelClassifier(train);
  const trainS = (performance.now() - t0) / 1000;
  const e = score(model, test);
  const speed = throughput(
    test.map((r) => r.text),
    (t) => model.predict(t),
  );
  const float32 = encodeMultiLabelModel(model);
  const int8 = encodeMultiLabelModel(model, { quantize: "int8" });
  const int8Eval = score(decodeMultiLabelModel(int8), test);
  console.log(
    `multi-label ours: micro-F1 ${e.micro_f1.toFixed(4)}, macro-F1 ${e.macro_f1.toFixed(4)}, exact set ${e.exact_set_accuracy.toFixed(4)}, set ECE ${e.set_ece.toFixed(4)}, train ${trainS.toFixed(1)} s, ${speed.median.toFixed(0)}/s`,
  );
  const reference = options.skipAnchors ? { error: "skipped" } : runReference(train, test);
  console.log("multi-label scikit-learn:", JSON.stringify(reference));
  const loadAfter = loadavg();

  const result = {
    task: "SNIPS: the set of slot types in a query, from its text",
    dataset: { train: train.length, test: test.length, labels: model.labels.length, mean_labels_per_text: test.reduce((s, r) => s + r.labels.length, 0) / test.length },
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version, load_average_before: loadBefore, load_average_after: loadAfter },
    ours: {
      ...e,
      train_s: trainS,
      predict_per_s: speed,
      model_bytes: { float32: float32.length, int8: int8.length },
      int8: { micro_f1: int8Eval.micro_f1, macro_f1: int8Eval.macro_f1, exact_set_accuracy: int8Eval.exact_set_accuracy, set_ece: int8Eval.set_ece },
      training: model.header.training,
    },
    scikit_learn: reference,
    validation_sweep: validation,
    createdAt: new Date().toISOString(),
  };
  writeResult("extraction-multilabel", result);

  const f = (x: number, d = 3) => x.toFixed(d);
  const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
  const refRow =
    "micro_f1" in reference
      ? [`scikit-learn OneVsRest(LogisticRegression), TF-IDF word 1–2 + char 2–5, C ${reference.C}`, f(reference.micro_f1), f(reference.macro_f1), f(reference.exact_set_accuracy), `${f(reference.set_ece)} (independent labels, uncalibrated)`, f(reference.train_s, 1), `${reference.predict_per_s} one at a time, ${reference.predict_per_s_batch} in one batch`, `${mb(reference.model_bytes)} (pickle)`]
      : ["scikit-learn", reference.error, "", "", "", "", "", ""];
  const table = markdownTable(
    ["system", "micro-F1", "macro-F1", "exact set", "set ECE", "train s", "predictions/s", "model"],
    [
      ["Apprentice multi-label (defaults)", f(e.micro_f1), f(e.macro_f1), f(e.exact_set_accuracy), f(e.set_ece), f(trainS, 1), `${speed.median.toFixed(0)} (${speed.min.toFixed(0)}–${speed.max.toFixed(0)}) one at a time, featurising included`, `${mb(float32.length)} (int8 ${mb(int8.length)}: micro-F1 ${f(int8Eval.micro_f1)}, exact set ${f(int8Eval.exact_set_accuracy)}, set ECE ${f(int8Eval.set_ece)})`],
      refRow,
    ],
  );
  const curve = markdownTable(
    ["coverage", ...e.coverage_exact_set.map((p) => `${Math.round(p.coverage * 100)}%`)],
    [["exact set", ...e.coverage_exact_set.map((p) => f(p.accuracy))]],
  );
  const load = (l: number[]) => l.map((x) => x.toFixed(1)).join(" / ");
  updateReadmeSection(
    "extraction-multilabel",
    `SNIPS slot-type sets (${train.length} train / ${test.length} test texts, ${model.labels.length} labels, ${f(result.dataset.mean_labels_per_text, 2)} per test text), one run of \`npm run bench:extraction -- --only multilabel\` (${result.createdAt.slice(0, 10)}); load average (1/5/15 min) ${load(loadBefore)} before, ${load(loadAfter)} after, on ${cpus().length} cores.\n\n${table}\n\nCoverage–exact-set curve (the most confident sets first, by set probability):\n\n${curve}`,
  );
  console.log("wrote bench/results/extraction-multilabel.json");
}
