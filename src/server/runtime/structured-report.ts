// GET /v1/tasks/:name/report for a structured task: the live specialist judged on the held-out
// objects — whole-object exact match and its coverage curve (what the threshold bounds), and per
// field how often the specialist's value agrees with the reference, so a person sees which field
// holds the object back.
import { assess, type RouterSettings } from "../../cascade/router.js";
import type { LabelledText } from "../../cascade/holdout-scores.js";
import { coverageAtThreshold, thresholdCurve, type CoveragePoint, type ScoredPrediction } from "../../engine/metrics.js";
import { fieldDifferences, parseCanonical, type OutputField } from "../../engine/structured-answer.js";
import type { Specialist } from "../../cascade/specialist-kind.js";
import { CURVE_POINTS } from "./model-report.js";

export interface StructuredModelReport {
  kind: "structured";
  holdout_examples: number;
  /** Share of held-out objects the specialist gets right in every field. */
  exact_match: number;
  curve: CoveragePoint[];
  chosen: CoveragePoint | null;
  /** Per field, in the task's order: agreement with the reference, and how many references give it a value. */
  per_field: { field: string; agreement: number; with_value: number }[];
}

export function structuredModelReport(model: Specialist, holdout: readonly LabelledText[], settings: RouterSettings, fields: readonly OutputField[], threshold: number | null): StructuredModelReport {
  const answerable: ScoredPrediction[] = [];
  const wrong = new Map<string, number>(fields.map((f) => [f.name, 0]));
  const withValue = new Map<string, number>(fields.map((f) => [f.name, 0]));
  let exact = 0;
  for (const e of holdout) {
    const a = assess(model, e.text, settings);
    const correct = a.label === e.label;
    if (correct) exact++;
    if (a.scope === "in_scope") answerable.push({ confidence: a.confidence, correct });
    const reference = parseCanonical(e.label);
    for (const f of fields) {
      const v = reference[f.name];
      if (v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0)) withValue.set(f.name, withValue.get(f.name)! + 1);
    }
    for (const f of fieldDifferences(fields, parseCanonical(a.label), reference)) wrong.set(f, wrong.get(f)! + 1);
  }
  const n = holdout.length;
  return {
    kind: "structured",
    holdout_examples: n,
    exact_match: n === 0 ? 0 : exact / n,
    curve: thresholdCurve(answerable, CURVE_POINTS, n),
    chosen: threshold === null ? null : coverageAtThreshold(answerable, threshold, n),
    per_field: fields.map((f) => ({ field: f.name, agreement: n === 0 ? 0 : 1 - wrong.get(f.name)! / n, with_value: withValue.get(f.name)! })),
  };
}
