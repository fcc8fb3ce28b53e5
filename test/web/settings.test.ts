import { describe, expect, it } from "vitest";
import { changedFields, formFrom, settingsPatch, validateSettings } from "../../web/src/lib/settings.js";

const def = {
  routing: { max_error: 0.05, confidence_level: 0.95, audit_rate: 0.05, out_of_scope_max: 0.9 },
  training: { retrain_every: 250, min_examples: 100, holdout_fraction: 0.2, seed: 1 },
};

describe("settings form", () => {
  it("starts valid and unchanged", () => {
    const form = formFrom(def);
    expect(validateSettings(form)).toEqual({});
    expect(changedFields(def, form)).toEqual([]);
  });

  it("checks each field against the task schema's bounds", () => {
    const form = { ...formFrom(def), max_error: "1", confidence_level: "0.5", audit_rate: "-0.1", out_of_scope_max: "abc", retrain_every: "2.5", min_examples: "", holdout_fraction: "0.9", seed: "1.5" };
    const errors = validateSettings(form);
    expect(Object.keys(errors).sort()).toEqual(["audit_rate", "confidence_level", "holdout_fraction", "max_error", "min_examples", "out_of_scope_max", "retrain_every", "seed"]);
    expect(errors.holdout_fraction).toMatch(/less than 0\.9/);
    expect(errors.out_of_scope_max).toBe("Enter a number.");
    expect(errors.retrain_every).toMatch(/whole number/);
    expect(validateSettings({ ...formFrom(def), max_error: "0.1", audit_rate: "1", out_of_scope_max: "0", holdout_fraction: "0.5", seed: "-7" })).toEqual({});
  });

  it("sends whole routing and training objects (the gateway merges top-level fields only)", () => {
    const form = { ...formFrom(def), max_error: "0.1", retrain_every: "50", seed: "7" };
    expect(changedFields(def, form)).toEqual(["max_error", "retrain_every", "seed"]);
    expect(settingsPatch(def, form)).toEqual({
      routing: { max_error: 0.1, confidence_level: 0.95, audit_rate: 0.05, out_of_scope_max: 0.9 },
      training: { retrain_every: 50, min_examples: 100, holdout_fraction: 0.2, seed: 7 },
    });
  });
});
