// A specialist for structured answers: one model per field kind (a classifier per choice or
// boolean, a multi-label classifier per tags field, one span extractor for every extracted field),
// and the whole object's probability, which is what the router thresholds. Pure, like its parts.
import { TextClassifier } from "./classifier.js";
import type { Featurizer } from "./featurizer.js";
import { MultiLabelClassifier } from "./multilabel-classifier.js";
import type { PredictedSpan, SpanExtractor } from "./span-extractor.js";
import { canonicalAnswer, parseCanonical, type FieldValue, type OutputField, type StructuredObject } from "./structured-answer.js";

/**
 * A field whose training answers were all the same: it predicts that answer with the probability
 * the rule of succession gives it, so a field never seen to vary does not make the object certain.
 */
export interface ConstantField {
  value: FieldValue;
  probability: number;
}

/** The model of one choice or boolean field; its labels are the JSON of each value ("\"a\"", "true", "null"). */
export type ChoiceModel = { classifier: TextClassifier } | { constant: ConstantField };
/** The model of one tags field. */
export type TagsModel = { classifier: MultiLabelClassifier } | { constant: ConstantField };

export interface StructuredParts {
  choices: Map<string, ChoiceModel>;
  tags: Map<string, TagsModel>;
  /** Labels are the extract fields' names; null when the task has none or no value was ever seen. */
  spans: SpanExtractor | null;
}

export interface FieldPrediction {
  value: FieldValue;
  confidence: number;
  /** For extract fields: where each value is in the text. */
  spans?: PredictedSpan[];
}

export interface StructuredPrediction {
  /** The object's canonical answer (canonicalAnswer): what the cascade compares and stores. */
  label: string;
  index: number;
  /** Probability that the whole object is right: the product of its fields'. */
  confidence: number;
  /** Share of the text's n-grams the field classifiers never learned (0 without a classifier). */
  unknownShare: number;
  object: StructuredObject;
  fields: Record<string, FieldPrediction>;
}

/**
 * The parts with every field classifier whose featurizer equals an earlier one's reading that
 * earlier instance. A specialist's field classifiers are fitted on the same texts, so their
 * featurizers are the same; sharing one, a text is featurised once for all of them (Featurizer
 * keeps its last text's features), where each used to featurise it again (about 7 µs a field:
 * the transfers demo's prediction took 24 µs instead of 31).
 */
function sharingFeaturizers(parts: StructuredParts): StructuredParts {
  const shared: Featurizer[] = [];
  /** `c` itself, or `c` rebuilt on an equal featurizer seen before. */
  const reading = <C extends TextClassifier | MultiLabelClassifier>(c: C, rebuild: (f: Featurizer) => C): C => {
    const found = shared.find((g) => g.sameAs(c.featurizer));
    if (found === undefined) shared.push(c.featurizer);
    return found === undefined || found === c.featurizer ? c : rebuild(found);
  };
  const choices = new Map<string, ChoiceModel>();
  for (const [name, m] of parts.choices) choices.set(name, "constant" in m ? m : { classifier: reading(m.classifier, (f) => new TextClassifier(m.classifier.header, f, m.classifier.linear)) });
  const tags = new Map<string, TagsModel>();
  for (const [name, m] of parts.tags) tags.set(name, "constant" in m ? m : { classifier: reading(m.classifier, (f) => new MultiLabelClassifier(m.classifier.header, f, m.classifier.linear)) });
  return { choices, tags, spans: parts.spans };
}

export class StructuredSpecialist {
  readonly parts: StructuredParts;
  /** Choice and tags values each field's model knows (the cascade's shift guard watches for others). */
  readonly #known = new Map<string, Set<string>>();
  /** The text predicted last and its prediction (see predict). */
  #last: { text: string; prediction: StructuredPrediction } | null = null;

  constructor(
    /** The learnable fields, in schema order. */
    readonly fields: readonly OutputField[],
    parts: StructuredParts,
  ) {
    this.parts = sharingFeaturizers(parts);
    for (const f of fields) {
      if (f.kind === "extract" || f.kind === "extract_list") continue;
      const model = f.kind === "tags" ? this.parts.tags.get(f.name) : this.parts.choices.get(f.name);
      if (model === undefined) throw new Error(`no model for field "${f.name}"`);
      // Classifier labels are the JSON of each value; a constant knows its own value (each of its tags).
      const constant = "constant" in model ? model.constant.value : null;
      const values = "classifier" in model ? model.classifier.labels : (f.kind === "tags" ? (constant as string[]) : [constant]).map((v) => JSON.stringify(v));
      this.#known.set(f.name, new Set(values));
    }
  }

  /**
   * The prediction for `text`. The last one is kept: a request's route and its reply (the fields'
   * probabilities and spans) read the same text's prediction, and a model predicts a text the
   * same way every time, so the second read costs nothing. Callers must not change it.
   */
  predict(text: string): StructuredPrediction {
    const last = this.#last;
    if (last !== null && last.text === text) return last.prediction;
    const prediction = this.#predict(text);
    this.#last = { text, prediction };
    return prediction;
  }

  #predict(text: string): StructuredPrediction {
    const object: StructuredObject = {};
    const fields: Record<string, FieldPrediction> = {};
    let confidence = 1;
    let unknownShare: number | null = null;
    const spans = this.parts.spans?.predict(text) ?? null;
    for (const f of this.fields) {
      let p: FieldPrediction;
      if (f.kind === "extract" || f.kind === "extract_list") {
        const mine = spans === null ? [] : spans.spans.filter((s) => s.label === f.name);
        // Kept in text order; a single-valued field takes its most probable span.
        const chosen = f.kind === "extract" && mine.length > 1 ? [mine.reduce((a, b) => (b.probability > a.probability ? b : a))] : mine;
        p = { value: f.kind === "extract" ? (chosen[0]?.text ?? null) : chosen.map((s) => s.text), confidence: 1, spans: chosen };
      } else if (f.kind === "tags") {
        const model = this.parts.tags.get(f.name)!;
        if ("constant" in model) p = { value: model.constant.value, confidence: model.constant.probability };
        else {
          const t = model.classifier.predict(text);
          unknownShare ??= t.unknownShare;
          p = { value: t.labels.map((l) => JSON.parse(l.label) as string), confidence: t.probability };
        }
      } else {
        const model = this.parts.choices.get(f.name)!;
        if ("constant" in model) p = { value: model.constant.value, confidence: model.constant.probability };
        else {
          const c = model.classifier.predict(text);
          unknownShare ??= c.unknownShare;
          p = { value: JSON.parse(c.label) as FieldValue, confidence: c.confidence };
        }
      }
      confidence *= p.confidence;
      object[f.name] = p.value;
      fields[f.name] = p;
    }
    // The extractor's probability is of its whole answer: every span of every extract field.
    if (spans !== null) confidence *= spans.probability;
    return { label: canonicalAnswer(this.fields, object), index: 0, confidence, unknownShare: unknownShare ?? 0, object, fields };
  }

  /**
   * Whether every choice and tag in `answer` (a canonical answer) is one this specialist was
   * trained on. Extracted values are not asked: a text's values are new every time.
   */
  knows(answer: string): boolean {
    const object = parseCanonical(answer);
    for (const [name, known] of this.#known) {
      const v = object[name];
      const values = Array.isArray(v) ? v : [v];
      if (!values.every((x) => known.has(JSON.stringify(x ?? null)))) return false;
    }
    return true;
  }
}
