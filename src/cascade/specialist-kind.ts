// What the cascade needs to know about the kind of answer a task gives: how to train a specialist
// from stored examples and store it, which answers exist, and which answers a trained model has
// never seen. Everything else (routing, thresholds, audits, holdout, promotion) works on answers
// as strings: a label, or a structured object's canonical JSON (src/engine/structured-answer.ts),
// so the error guarantee is stated on whole answers for both.
import type { TextClassifier } from "../engine/classifier.js";
import { decodeModel, encodeModel } from "../engine/model-file.js";
import { canonicalAnswer, learnableFields, parseCanonical, type OutputField } from "../engine/structured-answer.js";
import { decodeStructuredModel, encodeStructuredModel } from "../engine/structured-model-file.js";
import type { StructuredSpecialist } from "../engine/structured-specialist.js";
import { trainStructuredSpecialist, type StructuredTrainOptions } from "../engine/structured-train.js";
import { trainClassifier, TrainingError, type TrainOptions } from "../engine/train.js";
import { answerLabels, labelNames, noneLabel, type Task } from "../task/definition.js";
import { answerGroup, answerGroupCount, noneAnswerTest } from "../task/output-fields.js";
import { isStructuredTask, outputFields, type AnyTask } from "../task/structured.js";
import type { LabelledText } from "./holdout-scores.js";

/** A trained specialist as the router uses it. */
export interface Specialist {
  predict(text: string): { label: string; index: number; confidence: number; unknownShare: number };
  /** The k most probable answers of the text predicted last (needed only by a specialist that can predict `none`). */
  lastTop?(k: number): { probability: number }[];
}

export type ClassifierTrainOptions = Partial<Omit<TrainOptions, "onProgress">>;

/**
 * Training and storing a kind of specialist: what a training worker needs, nothing about a task.
 * `fields` (structured only) is all it takes to make the same trainer elsewhere (trainerFor).
 */
export interface SpecialistTrainer<S extends Specialist> {
  /** Throws TrainingError (src/engine/train.ts) when the examples cannot make a model. */
  train(examples: readonly LabelledText[], options: ClassifierTrainOptions): S;
  encode(model: S): Uint8Array;
  /** Throws ModelFileError for a file that is not this kind's. */
  decode(bytes: Uint8Array): S;
  readonly fields?: readonly OutputField[];
}

export interface SpecialistKind<S extends Specialist> extends SpecialistTrainer<S> {
  /** Whether `answer` is one the task admits (a person's label, an import). */
  isAnswer(answer: string): boolean;
  /** Whether a gold answer is in the task's scope (not "none of these" nor outside its labels). */
  inScope(answer: string): boolean;
  /**
   * Whether an answer is "none of these" (absent: the task has no such answer): a label task's
   * none label, or a structured answer with a choice field answered NONE_LABEL. The specialist
   * never answers one: the router sends such a prediction to the teacher.
   */
  isNone?: (answer: string) => boolean;
  /** A label task's none label: the gold answer of an out-of-scope text (simulations). */
  none?: string;
  /** A predicate: whether the trained model knows every part of an answer (the shift guard's question). */
  knows(model: S): (answer: string) => boolean;
  /** The group of answers the surge guard counts an answer in: a label; a structured object's choices. */
  group(answer: string): string;
  /** How many groups the specialist's answers can fall in (at least 1): what answer holds share the confidence level among. */
  readonly groups: number;
}

export const classifierTrainer: SpecialistTrainer<TextClassifier> = {
  train: (examples, options) => trainClassifier(examples, options),
  encode: (model) => encodeModel(model),
  decode: (bytes) => decodeModel(bytes),
};

/** A structured task's trainer; `options` sets its tags and span models (the classifier options are given per call). */
export function structuredTrainer(fields: readonly OutputField[], options: Partial<Omit<StructuredTrainOptions, "classifier">> = {}): SpecialistTrainer<StructuredSpecialist> {
  const learnable = learnableFields(fields);
  const teacherOnly = fields.filter((f) => f.kind === "teacher_only").map((f) => f.name);
  return {
    fields,
    train(examples, classifier) {
      // The specialist could answer only part of the object, and a part is not an answer.
      if (teacherOnly.length > 0) throw new TrainingError(`teacher-only fields (${teacherOnly.join(", ")}): the teacher answers every request`);
      return trainStructuredSpecialist(
        learnable,
        examples.map((e) => ({ text: e.text, object: parseCanonical(e.label) })),
        { ...options, classifier },
      );
    },
    encode: (model) => encodeStructuredModel(model),
    decode: (bytes) => decodeStructuredModel(bytes),
  };
}

/** The trainer `fields` stand for: a structured one, or without fields the label classifier's. */
export function trainerFor(fields: readonly OutputField[] | undefined): SpecialistTrainer<Specialist> {
  return (fields === undefined ? classifierTrainer : structuredTrainer(fields)) as SpecialistTrainer<Specialist>;
}

/** A label task: one classifier over the labels. */
export function classifierKind(task: Pick<Task, "labels" | "out_of_scope_label">): SpecialistKind<TextClassifier> {
  const answers = new Set(answerLabels(task));
  const none = noneLabel(task);
  const labels = new Set(labelNames(task).filter((l) => l !== none));
  return {
    ...classifierTrainer,
    isAnswer: (answer) => answers.has(answer),
    inScope: (answer) => labels.has(answer),
    isNone: (answer) => answer === none,
    none,
    knows(model) {
      const known = new Set(model.labels);
      return (answer) => known.has(answer);
    },
    group: (answer) => answer,
    groups: Math.max(1, labels.size),
  };
}

/** A structured task: answers are canonical objects, the specialist one model per field kind. */
export function structuredKind(fields: readonly OutputField[], options: Partial<Omit<StructuredTrainOptions, "classifier">> = {}): SpecialistKind<StructuredSpecialist> {
  const isNone = noneAnswerTest(fields);
  return {
    ...structuredTrainer(fields, options),
    isAnswer(answer) {
      try {
        return canonicalAnswer(fields, parseCanonical(answer)) === answer;
      } catch {
        return false;
      }
    },
    inScope: isNone === undefined ? () => true : (answer) => !isNone(answer),
    ...(isNone === undefined ? {} : { isNone }),
    knows: (model) => (answer) => model.knows(answer),
    group: (answer) => answerGroup(fields, parseCanonical(answer)),
    groups: answerGroupCount(fields),
  };
}

/** The kind of a task of either kind. */
export function specialistKindOf(task: AnyTask): SpecialistKind<Specialist> {
  return (isStructuredTask(task) ? structuredKind(outputFields(task)) : classifierKind(task)) as SpecialistKind<Specialist>;
}
