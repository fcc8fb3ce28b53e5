// The CLI's span-extraction paths: which kind of model a data file asks for, loading span data
// with line-numbered errors, and the train/eval/predict steps for span models.
import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { DatasetError } from "../data/errors.js";
import { parseCsv } from "../data/csv.js";
import { parseJsonl } from "../data/jsonl.js";
import { readSpanDataset, type SpanDataset, type SpanFormat } from "../data/span-dataset.js";
import type { SpanExtractor } from "../engine/span-extractor.js";
import { evaluateSpans, type SpanEvaluation } from "../engine/span-metrics.js";
import { trainSpanExtractor, type SpanTrainOptions } from "../engine/span-train.js";
import { explainDatasetError } from "./dataset.js";
import { CliError } from "./errors.js";
import { bytes, count, fixed, keyValues, percent, seconds } from "./format.js";

export type DataKind = "spans" | "multilabel" | "label" | "structured";

const CONLL_EXTENSIONS = new Set([".conll", ".bio", ".iob", ".tsv"]);

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(code === "ENOENT" ? `dataset file not found: ${path}` : `cannot read dataset file ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * The model kind a file's data calls for: a CoNLL/BIO file, or JSONL whose records have a
 * `spans` field → spans; JSONL records with a `labels` array, or CSV with a `labels` column and
 * no single-label column → multilabel; JSONL records with an `output` object → structured (gold
 * objects, which need the task's output block to be read); anything else → label.
 */
export async function detectDataKind(path: string, format?: string): Promise<DataKind> {
  const ext = extname(path).toLowerCase();
  if (format === "conll" || (format === undefined && CONLL_EXTENSIONS.has(ext))) return "spans";
  const content = await readText(path);
  if (format === "csv" || (format === undefined && ext === ".csv")) {
    const header = parseCsv(content.split(/\r?\n/, 1)[0] ?? "").header.map((h) => h.trim());
    const single = ["label", "category", "intent", "class"].some((c) => header.includes(c));
    return header.includes("labels") && !single ? "multilabel" : "label";
  }
  const first = parseJsonl(content.slice(0, 1 << 20)).records[0]?.value;
  if (first && Object.hasOwn(first, "spans")) return "spans";
  if (first && Array.isArray(first.labels)) return "multilabel";
  if (first && typeof first.output === "object" && first.output !== null && !Array.isArray(first.output)) return "structured";
  return "label";
}

export function spanFormatOf(path: string, format?: string): SpanFormat {
  if (format === "conll" || format === "jsonl") return format;
  if (format !== undefined) throw new CliError(`span data can be read as jsonl or conll, not ${format}`);
  const ext = extname(path).toLowerCase();
  if (ext === ".jsonl" || ext === ".ndjson") return "jsonl";
  if (CONLL_EXTENSIONS.has(ext)) return "conll";
  throw new CliError(`cannot tell the format of ${path} from its extension: use .jsonl for JSON lines or .conll for token<TAB>tag lines, or pass --format`);
}

/** Reads a data file and parses it with `parse`; its errors name the file, and bad rows their lines. */
export async function parseDataFile<T>(path: string, parse: (content: string) => T): Promise<T> {
  const content = await readText(path);
  try {
    return parse(content);
  } catch (err) {
    if (err instanceof DatasetError && err.badRows.length === 0) throw new CliError(err.message, { cause: err });
    throw explainDatasetError(path, err);
  }
}

export async function loadSpanDataset(path: string, flags: { format?: string; textColumn?: string; onBadRow?: "skip" | "fail" }): Promise<SpanDataset> {
  const format = spanFormatOf(path, flags.format);
  return parseDataFile(path, (content) => readSpanDataset(content, { format, textField: flags.textColumn, onBadRow: flags.onBadRow ?? "fail", source: path }));
}

export function trainSpans(ds: SpanDataset, options: { seed?: number; epochs?: number }): SpanExtractor {
  const opt: Partial<SpanTrainOptions> = {};
  if (options.seed !== undefined) opt.seed = options.seed;
  if (options.epochs !== undefined) opt.maxEpochs = options.epochs;
  try {
    return trainSpanExtractor(ds.examples, opt);
  } catch (err) {
    throw new CliError(`cannot train on ${ds.source ?? "the dataset"}: ${(err as Error).message}`, { cause: err });
  }
}

export function spanTrainingSummaryLines(model: SpanExtractor, saved: { path: string; bytes: number; quantize: string }): string[] {
  const t = model.header.training;
  const validation =
    t.validationSpanF1 === null
      ? "n/a (too few examples for a validation split)"
      : `span F1 ${fixed(t.validationSpanF1)}, exact match ${percent(t.validationExactMatch ?? 0)} on ${count(t.validationExamples)} held-out texts` +
        (t.validationEce === null ? "" : ` (answer ECE ${fixed(t.validationEce)})`);
  return [
    "Trained a span extractor",
    ...keyValues([
      ["texts", `${count(t.examples)} (${count(t.trainExamples)} train, ${count(t.validationExamples)} validation)`],
      ["labels", `${model.labels.length}: ${model.labels.join(", ")}`],
      ["features", `${count(t.features)} (${count(t.pairs)} feature-tag weights)`],
      ["epochs", `${t.epochs} (best ${t.bestEpoch})`],
      ["time", seconds(t.seconds)],
      ["validation", validation],
      ["model", `${saved.path} (${bytes(saved.bytes)}${saved.quantize === "int8" ? ", int8 weights" : ""})`],
    ]),
  ];
}

export interface SpanEvalResult extends SpanEvaluation {
  predict_per_s: number;
}

/** Predictions over the whole file, timed on one thread with featurising included. */
export function evaluateSpanModel(model: SpanExtractor, ds: SpanDataset): SpanEvalResult {
  const t0 = performance.now();
  const predictions = ds.examples.map((e) => model.predict(e.text));
  const elapsed = (performance.now() - t0) / 1000;
  const evaluation = evaluateSpans(
    ds.examples.map((e) => e.spans),
    predictions,
  );
  return { ...evaluation, predict_per_s: elapsed > 0 ? ds.examples.length / elapsed : 0 };
}

export function spanEvaluationLines(r: SpanEvalResult, title: string): string[] {
  return [
    title,
    ...keyValues([
      ["texts", count(r.n)],
      ["span precision", fixed(r.span_precision)],
      ["span recall", fixed(r.span_recall)],
      ["span F1", fixed(r.span_f1)],
      ["exact match", percent(r.exact_match)],
      ["answer ECE", fixed(r.answer_ece)],
      ["predictions/s", count(Math.round(r.predict_per_s))],
    ]),
    "per label (precision / recall / F1, support):",
    ...r.per_label.map((l) => `  ${l.label}: ${fixed(l.precision)} / ${fixed(l.recall)} / ${fixed(l.f1)}, ${l.support}`),
  ];
}
