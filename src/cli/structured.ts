// The CLI's structured-task paths: reading a task file and gold objects (JSONL lines {"text",
// "output"}), shared by `simulate` (simulate-structured.ts) and `train`/`eval`/`predict`, and the
// train/eval/predict steps for a structured specialist (one model per field kind, stored in one
// model file).
import { extname } from "node:path";
import { readObjectDataset, type ObjectDataset, type ObjectRecord } from "../data/object-dataset.js";
import type { OutputField } from "../engine/structured-answer.js";
import { evaluateStructured, type StructuredEvaluation } from "../engine/structured-metrics.js";
import type { ConstantField, StructuredPrediction, StructuredSpecialist } from "../engine/structured-specialist.js";
import { trainStructuredSpecialist } from "../engine/structured-train.js";
import { TrainingError } from "../engine/train.js";
import type { TaskOutputField } from "../task/output-fields.js";
import { isStructuredTask, outputFields, type AnyTask, type StructuredTask } from "../task/structured.js";
import { loadAnyTaskFile } from "../task/task-file.js";
import { CliError, UsageError } from "./errors.js";
import { timePredictions } from "./evaluation.js";
import { bytes, count, fixed, keyValues, percent, seconds, table } from "./format.js";
import { warnAll } from "./output.js";
import { parseDataFile } from "./spans.js";

/** A task file of either kind; its errors (unreadable, invalid) name the file. */
export async function loadTask(path: string): Promise<AnyTask> {
  try {
    return await loadAnyTaskFile(path);
  } catch (err) {
    throw new CliError(err instanceof Error ? err.message : String(err), { cause: err });
  }
}

/** A task file that must hold a structured task: a label task is refused, saying so. */
export async function loadStructuredTask(path: string, why: string): Promise<StructuredTask> {
  const task = await loadTask(path);
  if (!isStructuredTask(task)) throw new CliError(`task file ${path} holds a label task (labels, no output block), but ${why}`);
  return task;
}

export interface LabelOnlyFlags {
  labelColumn?: string;
  format?: string;
  kind?: string;
}

/** The flags that mean something only for labels: refused rather than silently ignored. */
export function refuseLabelFlags(flags: LabelOnlyFlags, subject = "a structured task"): void {
  const given = [
    flags.labelColumn !== undefined && `--label-column (${subject}'s gold answers are each line's "output" object)`,
    flags.format !== undefined && flags.format !== "jsonl" && `--format ${flags.format} (${subject}'s files are JSONL)`,
    flags.kind !== undefined && `--kind (the task's output block decides the models)`,
  ].filter((x) => x !== false);
  if (given.length > 0) throw new UsageError(`for ${subject}, these apply to label tasks only: ${given.join("; ")}`);
}

/** Extensions of files that are surely not JSONL objects: refused by name rather than line by line. */
const NOT_OBJECTS: Record<string, string> = { ".csv": "CSV", ".tsv": "CoNLL/BIO", ".conll": "CoNLL/BIO", ".bio": "CoNLL/BIO", ".iob": "CoNLL/BIO" };

/** Gold objects from a JSONL file, every line checked against `fields`; skipped lines are warned about. */
export async function loadObjects(path: string, fields: readonly TaskOutputField[], flags: { textColumn?: string; onBadRow?: "skip" | "fail" }): Promise<ObjectDataset> {
  const format = NOT_OBJECTS[extname(path).toLowerCase()];
  if (format !== undefined) throw new CliError(`${path} is ${format} data, but a structured task's examples are JSONL lines {"text": …, "output": {…}}`);
  const ds = await parseDataFile(path, (content) => readObjectDataset(content, fields, { textField: flags.textColumn, onBadRow: flags.onBadRow, source: path }));
  if (ds.badRows.length > 0) warnAll([`${path}: skipped ${ds.badRows.length} bad ${ds.badRows.length === 1 ? "line" : "lines"} (first: line ${ds.badRows[0].line}: ${ds.badRows[0].reason})`]);
  return ds;
}

/** Structured training, evaluation and prediction. */

export function trainStructured(fields: readonly OutputField[], records: readonly ObjectRecord[], options: { seed: number; epochs?: number; source: string }): { model: StructuredSpecialist; seconds: number } {
  const each = { seed: options.seed, ...(options.epochs === undefined ? {} : { maxEpochs: options.epochs }) };
  const start = performance.now();
  try {
    const model = trainStructuredSpecialist(
      fields,
      records.map((r) => ({ text: r.text, object: r.object })),
      { classifier: each, tags: each, spans: each },
    );
    return { model, seconds: (performance.now() - start) / 1000 };
  } catch (err) {
    if (err instanceof TrainingError) throw new CliError(`cannot train on ${options.source}: ${err.message}`, { cause: err });
    throw err;
  }
}

/** What a field's model is and how it did on its own validation split, for the training summary. */
function fieldModelLine(model: StructuredSpecialist, f: OutputField): string[] {
  const noValidation = "n/a (too few examples for a validation split)";
  if (f.kind === "extract" || f.kind === "extract_list") {
    const spans = model.parts.spans;
    if (spans === null || !spans.labels.includes(f.name)) return [f.name, f.kind, "no value seen: always null"];
    const t = spans.header.training;
    const v = t.validationSpanF1 === null ? noValidation : `span F1 ${fixed(t.validationSpanF1)}, exact match ${percent(t.validationExactMatch ?? 0)} (all extracted fields)`;
    return [f.name, f.kind, `span extractor on ${count(t.examples)} texts with every value found`, v];
  }
  if (f.kind === "tags") {
    const part = model.parts.tags.get(f.name);
    if (part === undefined || "constant" in part) return constantLine(f, part);
    const h = part.classifier.header.training;
    return [f.name, f.kind, `multi-label classifier, ${part.classifier.labels.length} values`, h.validationMicroF1 === null ? noValidation : `micro-F1 ${fixed(h.validationMicroF1)}`];
  }
  const part = model.parts.choices.get(f.name);
  if (part === undefined || "constant" in part) return constantLine(f, part);
  const h = part.classifier.header.training;
  return [f.name, f.kind, `classifier, ${part.classifier.labels.length} values`, h.validationAccuracy === null ? noValidation : `accuracy ${percent(h.validationAccuracy)}`];
}

function constantLine(f: OutputField, part: { constant: ConstantField } | undefined): string[] {
  if (part === undefined) return [f.name, f.kind, "no model"];
  return [f.name, f.kind, `always ${JSON.stringify(part.constant.value)} (never varied)`, `probability ${fixed(part.constant.probability)}`];
}

export function structuredTrainingSummaryLines(model: StructuredSpecialist, examples: number, trainSeconds: number, saved: { path: string; bytes: number; quantize: string }): string[] {
  return [
    "Trained a structured specialist",
    ...keyValues([
      ["examples", count(examples)],
      ["fields", `${model.fields.length}: ${model.fields.map((f) => f.name).join(", ")}`],
      ["time", seconds(trainSeconds)],
      ["model", `${saved.path} (${bytes(saved.bytes)}${saved.quantize === "int8" ? ", int8 weights" : ""})`],
    ]),
    "Per field (model, validation on its own held-out split)",
    ...table(model.fields.map((f) => fieldModelLine(model, f)), "llll"),
  ];
}

/**
 * The fields gold objects are read with for a model: the task's when a task file is given (it
 * must be structured and its learnable fields the model's), else the model's own, each required.
 */
export async function fieldsForModel(model: StructuredSpecialist, taskPath: string | undefined): Promise<TaskOutputField[]> {
  if (taskPath === undefined) return model.fields.map((f) => ({ ...f, required: true }));
  const fields = outputFields(await loadStructuredTask(taskPath, "the model is a structured specialist"));
  const mismatch = fieldMismatch(model.fields, fields.filter((f) => f.kind !== "teacher_only"));
  if (mismatch !== null) throw new CliError(`task file ${taskPath} does not match the model: ${mismatch}`);
  return fields;
}

function fieldMismatch(model: readonly OutputField[], task: readonly OutputField[]): string | null {
  const names = (fs: readonly OutputField[]) => fs.map((f) => f.name).join(", ");
  if (names(model) !== names(task)) return `the model's fields are ${names(model)}, the task's (teacher-only ones aside) ${names(task)}`;
  for (let i = 0; i < model.length; i++) {
    const [m, t] = [model[i], task[i]];
    if (m.kind !== t.kind) return `field ${m.name} is ${m.kind} in the model, ${t.kind} in the task`;
    if ((m.values ?? []).join("|") !== (t.values ?? []).join("|")) return `field ${m.name} has values ${JSON.stringify(m.values ?? [])} in the model, ${JSON.stringify(t.values ?? [])} in the task`;
  }
  return null;
}

export interface StructuredEvalResult extends StructuredEvaluation {
  predict_per_s: number;
}

/** The figures over the whole file on the model's fields, and predictions/s on one thread. */
export function evaluateStructuredModel(model: StructuredSpecialist, records: readonly ObjectRecord[]): StructuredEvalResult {
  if (records.length === 0) throw new CliError("no examples to evaluate");
  const texts = records.map((r) => r.text);
  const predictions = texts.map((text) => {
    const p = model.predict(text);
    return { object: p.object, confidence: p.confidence };
  });
  const evaluation = evaluateStructured(
    model.fields,
    records.map((r) => r.object),
    predictions,
  );
  return { ...evaluation, predict_per_s: Math.round(timePredictions((text) => model.predict(text), texts)) };
}

export function structuredEvaluationLines(r: StructuredEvalResult, title: string): string[] {
  const dash = "–";
  return [
    title,
    ...keyValues([
      ["objects", count(r.n)],
      ["exact match", `${percent(r.exact_match)} (right in every field)`],
      ["object ECE", `${fixed(r.object_ece)} (0: object confidences match how often the object is exactly right)`],
      ["predictions/s", `${count(r.predict_per_s)} (one thread, model loaded)`],
    ]),
    "",
    "Per field (accuracy: share of objects with the field exactly right; precision/recall/F1 over values)",
    ...table(
      [
        ["field", "kind", "accuracy", "precision", "recall", "F1", "values"],
        ...r.per_field.map((f) =>
          "accuracy" in f
            ? [f.field, f.kind, percent(f.accuracy), dash, dash, dash, dash]
            : [f.field, f.kind, percent(f.exact), fixed(f.precision), fixed(f.recall), fixed(f.f1), String(f.support)],
        ),
      ],
      "llrrrrr",
    ),
  ];
}

/** One `predict` line: the object, its probability, and each field's with the spans of its extracted values. */
export function structuredPredictionJson(text: string, p: StructuredPrediction): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(p.fields)) {
    fields[name] = f.spans === undefined ? { confidence: f.confidence } : { confidence: f.confidence, spans: f.spans.map(({ start, end, text: value, probability }) => ({ start, end, text: value, probability })) };
  }
  return { text, output: p.object, confidence: p.confidence, fields };
}
