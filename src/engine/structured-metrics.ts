// Evaluation figures for structured answers: exact match of whole objects (what the cascade's
// guarantee is stated on), how well the object's confidence ranks and is calibrated, and per
// field: accuracy for a choice or boolean, and precision/recall/F1 over the values of a tags or
// extracted field (an extracted value counts only when it is exactly the reference's string), each
// with the share of objects in which the field is exactly right. Pure, like the rest of the engine.
import { coverageAccuracyCurve, expectedCalibrationError, LabelTally, type CoveragePoint, type LabelMetrics, type ScoredPrediction } from "./metrics.js";
import { canonicalAnswer, fieldDifferences, learnableFields, type OutputField, type StructuredObject } from "./structured-answer.js";

/** A choice or boolean field: one value per object, right or wrong. */
export interface ChoiceFieldMetrics {
  field: string;
  kind: "choice" | "boolean";
  /** Share of objects whose value is the reference's. */
  accuracy: number;
}

/**
 * A tags or extracted field: any number of values per object (an extract field none or one).
 * Micro figures over values (nothing predicted has precision 1, nothing to find recall 1);
 * `support` is how many values the references hold.
 */
export interface ValuesFieldMetrics extends Omit<LabelMetrics, "label"> {
  field: string;
  kind: "tags" | "extract" | "extract_list";
  /** Share of objects whose values are exactly the reference's (none included). */
  exact: number;
}

export type FieldMetrics = ChoiceFieldMetrics | ValuesFieldMetrics;

export interface StructuredEvaluation {
  n: number;
  /** Share of objects right in every field. */
  exact_match: number;
  /** ECE of the object's confidence against "every field is right". */
  object_ece: number;
  /** Exact match of the most confident x% of objects. */
  coverage_exact_match: CoveragePoint[];
  /** In the fields' order. */
  per_field: FieldMetrics[];
}

export interface PredictedObject {
  object: StructuredObject;
  /** Probability that the whole object is right. */
  confidence: number;
}

/** A field's values as a set of strings: [] for null, a single value as one, tags and lists as they are. */
function valuesOf(v: unknown): Set<string> {
  if (v === null || v === undefined) return new Set();
  return new Set((Array.isArray(v) ? v : [v]).map(String));
}

/**
 * Figures of `predicted` against `reference` (the same objects' gold answers, same order) on the
 * learnable `fields`: a teacher-only field is no part of what a specialist answers, so not scored.
 */
export function evaluateStructured(allFields: readonly OutputField[], reference: readonly StructuredObject[], predicted: readonly PredictedObject[]): StructuredEvaluation {
  const fields = learnableFields(allFields);
  if (reference.length !== predicted.length) throw new RangeError("reference and predictions differ in length");
  const n = reference.length;
  const wrong = new Map<string, number>(fields.map((f) => [f.name, 0]));
  const tallies = new Map<string, LabelTally>();
  for (const f of fields) if (f.kind === "tags" || f.kind === "extract" || f.kind === "extract_list") tallies.set(f.name, new LabelTally());
  const objects: ScoredPrediction[] = [];
  reference.forEach((gold, i) => {
    const guess = predicted[i].object;
    for (const name of fieldDifferences(fields, guess, gold)) wrong.set(name, wrong.get(name)! + 1);
    for (const [name, tally] of tallies) {
      const wanted = valuesOf(gold[name]);
      for (let k = 0; k < wanted.size; k++) tally.addReference(name);
      for (const v of valuesOf(guess[name])) tally.addPrediction(name, wanted.has(v));
    }
    objects.push({ confidence: predicted[i].confidence, correct: canonicalAnswer(fields, guess) === canonicalAnswer(fields, gold) });
  });
  const share = (k: number) => (n === 0 ? 0 : k / n);
  const per_field = fields.map((f): FieldMetrics => {
    const right = share(n - wrong.get(f.name)!);
    if (f.kind === "choice" || f.kind === "boolean") return { field: f.name, kind: f.kind, accuracy: right };
    const { precision, recall, f1, perLabel } = tallies.get(f.name)!.summary();
    return { field: f.name, kind: f.kind as ValuesFieldMetrics["kind"], precision, recall, f1, support: perLabel[0]?.support ?? 0, exact: right };
  });
  return {
    n,
    exact_match: share(objects.filter((o) => o.correct).length),
    object_ece: expectedCalibrationError(objects),
    coverage_exact_match: coverageAccuracyCurve(objects),
    per_field,
  };
}
