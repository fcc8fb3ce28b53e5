// Trains a structured specialist from objects: each choice or boolean field's classifier on the
// JSON of its values, each tags field's multi-label classifier, and one span extractor whose
// labels are the extract fields, on the values located in their texts.
import { trainMultiLabelClassifier, MultiLabelTrainingError, type MultiLabelTrainOptions } from "./multilabel-train.js";
import type { Span } from "./span-extractor.js";
import { tokenizeForSpans } from "./span-features.js";
import { trainSpanExtractor, SpanTrainingError, type SpanExample, type SpanTrainOptions } from "./span-train.js";
import { learnableFields, locateValue, type FieldValue, type OutputField, type StructuredObject } from "./structured-answer.js";
import { StructuredSpecialist, type ChoiceModel, type ConstantField, type TagsModel } from "./structured-specialist.js";
import { trainClassifier, TrainingError, type TrainOptions } from "./train.js";

export interface StructuredExample {
  text: string;
  object: StructuredObject;
}

export interface StructuredTrainOptions {
  classifier: Partial<Omit<TrainOptions, "onProgress">>;
  tags: Partial<Omit<MultiLabelTrainOptions, "onProgress">>;
  spans: Partial<Omit<SpanTrainOptions, "onProgress">>;
}

/** Throws TrainingError when there are too few examples to learn anything. */
export function trainStructuredSpecialist(fields: readonly OutputField[], examples: readonly StructuredExample[], options: Partial<StructuredTrainOptions> = {}): StructuredSpecialist {
  if (examples.length < 2) throw new TrainingError(`need at least 2 examples, got ${examples.length}`);
  const learnable = learnableFields(fields);
  const choices = new Map<string, ChoiceModel>();
  const tags = new Map<string, TagsModel>();
  for (const f of learnable) {
    if (f.kind === "choice" || f.kind === "boolean") choices.set(f.name, trainChoice(examples, f, options.classifier ?? {}));
    else if (f.kind === "tags") tags.set(f.name, trainTags(examples, f, options.tags ?? {}));
  }
  const extractFields = learnable.filter((f) => f.kind === "extract" || f.kind === "extract_list");
  const spans = extractFields.length === 0 ? null : trainSpans(examples, extractFields, options.spans ?? {});
  return new StructuredSpecialist(learnable, { choices, tags, spans });
}

/** The rule of succession: a value seen in all n answers is right next time with (n+1)/(n+2). */
function constant(value: FieldValue, n: number): ConstantField {
  return { value, probability: (n + 1) / (n + 2) };
}

function trainChoice(examples: readonly StructuredExample[], field: OutputField, options: Partial<TrainOptions>): ChoiceModel {
  const labelled = examples.map((e) => ({ text: e.text, label: JSON.stringify(e.object[field.name] ?? null) }));
  const distinct = new Set(labelled.map((e) => e.label));
  if (distinct.size === 1) return { constant: constant(JSON.parse(labelled[0].label) as FieldValue, labelled.length) };
  return { classifier: trainClassifier(labelled, options) };
}

function trainTags(examples: readonly StructuredExample[], field: OutputField, options: Partial<MultiLabelTrainOptions>): TagsModel {
  const labelled = examples.map((e) => ({ text: e.text, labels: tagValues(e.object[field.name]).map((v) => JSON.stringify(v)) }));
  const sets = new Set(labelled.map((e) => JSON.stringify([...e.labels].sort())));
  const only = (): TagsModel => ({ constant: constant(labelled[0].labels.map((l) => JSON.parse(l) as string), labelled.length) });
  if (sets.size === 1) return only();
  try {
    return { classifier: trainMultiLabelClassifier(labelled, options) };
  } catch (error) {
    if (error instanceof MultiLabelTrainingError) throw new TrainingError(`field "${field.name}": ${error.message}`);
    throw error;
  }
}

function tagValues(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : [];
}

/**
 * The extractor learns from the examples whose every value is found in their text, without
 * overlaps; the others are left out (a value the teacher did not copy from the text teaches the
 * extractor nothing it can reproduce). Null when no value was ever found: nothing to extract yet.
 */
function trainSpans(examples: readonly StructuredExample[], fields: readonly OutputField[], options: Partial<SpanTrainOptions>) {
  const usable: SpanExample[] = [];
  let values = 0;
  for (const e of examples) {
    const spans = locateSpans(e, fields);
    if (spans === null || sharesToken(e.text, spans)) continue;
    values += spans.length;
    usable.push({ text: e.text, spans });
  }
  if (values === 0) return null;
  try {
    return trainSpanExtractor(usable, options);
  } catch (error) {
    if (error instanceof SpanTrainingError) throw new TrainingError(`extracted fields: ${error.message}`);
    throw error;
  }
}

/** Whether two spans touch one token (the extractor tags tokens, so it could not tell them apart). */
function sharesToken(text: string, spans: readonly Span[]): boolean {
  if (spans.length < 2) return false;
  const { starts, ends } = tokenizeForSpans(text);
  let lastToken = -1;
  for (const s of spans) {
    let first = -1;
    let last = -1;
    for (let t = 0; t < starts.length; t++) {
      if (ends[t] <= s.start || starts[t] >= s.end) continue;
      if (first < 0) first = t;
      last = t;
    }
    if (first >= 0 && first <= lastToken) return true;
    if (last >= 0) lastToken = last;
  }
  return false;
}

/** The spans of an example's extracted values, or null when one is not in the text or two overlap. */
export function locateSpans(example: StructuredExample, fields: readonly OutputField[]): Span[] | null {
  const spans: Span[] = [];
  for (const f of fields) {
    const v = example.object[f.name];
    const vs = v === null || v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)];
    for (const value of vs) {
      let from = 0;
      let at = locateValue(example.text, value, from);
      // The same value twice (or a value inside another's span) takes its next occurrence.
      while (at !== null && spans.some((s) => at!.start < s.end && s.start < at!.end)) {
        from = at.start + 1;
        at = locateValue(example.text, value, from);
      }
      if (at === null) return null;
      spans.push({ ...at, label: f.name });
    }
  }
  return spans.sort((a, b) => a.start - b.start);
}
