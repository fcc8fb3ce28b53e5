// A captured task as GET /v1/captured lists it, for the Discovered page's tests.
import type { DiscoveredTask, ShadowSummary } from "../../web/src/api/types.js";

export const NAME = "transfer-8b1c21c7e8";

export function shadow(overrides: Partial<ShadowSummary> = {}): ShadowSummary {
  return {
    requests: 1000,
    judged: 1000,
    would_answer: 640,
    would_answer_judged: 600,
    disagreements: 11,
    cost: 0.5,
    would_answer_cost: 0.32,
    would_answer_share: 0.64,
    disagreement_bound: 0.0312,
    max_error: 0.05,
    confidence_level: 0.95,
    proven: true,
    ...overrides,
  };
}

export function task(overrides: Partial<DiscoveredTask> = {}): DiscoveredTask {
  return {
    name: NAME,
    description: "Captured from calls to gpt-4o-mini (schema transfer).",
    capture: { mode: "shadow", fingerprints: ["8b1c21c7e8".padEnd(64, "0")], model: "gpt-4o-mini", via: "response_format", schema_name: "transfer" },
    created_at: Date.UTC(2026, 0, 5),
    fields: [
      { name: "intent", kind: "choice", values: ["send_money", "request_money"] },
      { name: "recipient", kind: "extract" },
    ],
    privacy: "keep_inputs",
    model_version: 3,
    served: { requests: 0, by_specialist: 0, cost: 0 },
    shed_calls: 0,
    threshold: 0.9,
    examples: 817,
    shadow: shadow(),
    shadow_live_version: shadow({ requests: 50, would_answer: 50, would_answer_judged: 50, disagreements: 0, disagreement_bound: 0.058, proven: false }),
    per_day: { calls: 1000, cost: 0.5, saving: 0.32, saved_calls: 640 },
    samples: [{ text: "send 40 euros to <b>Anna</b>", output: { intent: "send_money", recipient: "<b>Anna</b>" } }],
    ...overrides,
  };
}
