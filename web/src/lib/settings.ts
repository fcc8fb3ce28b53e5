// The task settings form: its fields, their validation (the same bounds as the gateway's task
// schema) and the PATCH body, which carries whole `routing` / `training` objects because the
// gateway merges a task's fields at the top level only.
import type { RoutingSettings, TaskDefinition, TrainingSettings } from "../api/types.js";

export type SettingsField = "max_error" | "confidence_level" | "audit_rate" | "out_of_scope_max" | "retrain_every" | "min_examples" | "holdout_fraction" | "seed";

export type SettingsForm = Record<SettingsField, string>;

export const FIELD_INFO: Record<SettingsField, { label: string; hint: string; group: "routing" | "training"; step: string }> = {
  max_error: { label: "Max error", hint: "Highest error rate accepted on the answers the specialist gives (between 0 and 1, e.g. 0.05).", group: "routing", step: "0.005" },
  confidence_level: { label: "Confidence level", hint: "Probability with which the error bound must hold (above 0.5 and below 1, e.g. 0.95).", group: "routing", step: "0.01" },
  audit_rate: { label: "Audit rate", hint: "Share of specialist answers also sent to the teacher to audit it live (0 to 1).", group: "routing", step: "0.01" },
  out_of_scope_max: { label: "Out-of-scope max", hint: "Inputs whose out-of-scope score is above this go to the teacher (0 to 1; 1 turns the check off).", group: "routing", step: "0.01" },
  retrain_every: { label: "Retrain every", hint: "Retrain after this many new examples (a whole number ≥ 1).", group: "training", step: "1" },
  min_examples: { label: "Minimum examples", hint: "No specialist is trained before this many examples (a whole number ≥ 1).", group: "training", step: "1" },
  holdout_fraction: { label: "Holdout fraction", hint: "Share of examples kept out of training to choose the threshold and compare versions (above 0, below 0.9; e.g. 0.2).", group: "training", step: "0.05" },
  seed: { label: "Seed", hint: "Random seed of training and of the holdout draw (a whole number): the same examples and seed give the same model.", group: "training", step: "1" },
};

export const FIELDS = Object.keys(FIELD_INFO) as SettingsField[];

export function formFrom(def: Pick<TaskDefinition, "routing" | "training">): SettingsForm {
  return {
    max_error: String(def.routing.max_error),
    confidence_level: String(def.routing.confidence_level),
    audit_rate: String(def.routing.audit_rate),
    out_of_scope_max: String(def.routing.out_of_scope_max),
    retrain_every: String(def.training.retrain_every),
    min_examples: String(def.training.min_examples),
    holdout_fraction: String(def.training.holdout_fraction),
    seed: String(def.training.seed),
  };
}

function parseNumber(raw: string): number | null {
  const t = raw.trim();
  if (t === "" || !/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return null;
  return Number(t);
}

export function validateSettings(form: SettingsForm): Partial<Record<SettingsField, string>> {
  const errors: Partial<Record<SettingsField, string>> = {};
  const n = (f: SettingsField) => parseNumber(form[f]);
  const check = (f: SettingsField, ok: (x: number) => boolean, message: string) => {
    const x = n(f);
    if (x === null) errors[f] = "Enter a number.";
    else if (!ok(x)) errors[f] = message;
  };
  check("max_error", (x) => x > 0 && x < 1, "Must be greater than 0 and less than 1.");
  check("confidence_level", (x) => x > 0.5 && x < 1, "Must be greater than 0.5 and less than 1.");
  check("audit_rate", (x) => x >= 0 && x <= 1, "Must be from 0 to 1.");
  check("out_of_scope_max", (x) => x >= 0 && x <= 1, "Must be from 0 to 1.");
  check("retrain_every", (x) => Number.isInteger(x) && x >= 1, "Must be a whole number of at least 1.");
  check("min_examples", (x) => Number.isInteger(x) && x >= 1, "Must be a whole number of at least 1.");
  check("holdout_fraction", (x) => x > 0 && x < 0.9, "Must be greater than 0 and less than 0.9.");
  check("seed", (x) => Number.isSafeInteger(x), "Must be a whole number.");
  return errors;
}

/** The PATCH body: the task's current routing and training objects with the form's values. */
export function settingsPatch(def: Pick<TaskDefinition, "routing" | "training">, form: SettingsForm): { routing: RoutingSettings; training: TrainingSettings } {
  return {
    routing: { ...def.routing, max_error: Number(form.max_error), confidence_level: Number(form.confidence_level), audit_rate: Number(form.audit_rate), out_of_scope_max: Number(form.out_of_scope_max) },
    training: { ...def.training, retrain_every: Number(form.retrain_every), min_examples: Number(form.min_examples), holdout_fraction: Number(form.holdout_fraction), seed: Number(form.seed) },
  };
}

export function changedFields(def: Pick<TaskDefinition, "routing" | "training">, form: SettingsForm): SettingsField[] {
  const before = formFrom(def);
  return FIELDS.filter((f) => Number(before[f]) !== Number(form[f]) || (form[f].trim() === "" && before[f] !== ""));
}
