// What the console's "Discovered" page shows of a captured task: its call, its fields, a few of
// the LLM's answers, and what shadow mode measured — how much the specialist would have answered,
// how often it would have disagreed with the LLM (with the same Clopper–Pearson bound live
// routing is held to), and what that would save.
import { clopperPearsonUpper } from "../../cascade/binomial.js";
import { parseCanonical, type StructuredObject } from "../../engine/structured-answer.js";
import type { ServedStats, ShadowStats, Store, TaskRecord } from "../../store/index.js";
import { outputFields, type StructuredTask } from "../../task/structured.js";
import type { CaptureBlock } from "../../task/capture.js";
import { roundMoney } from "../http/money.js";
import type { TaskRuntime } from "../runtime/task-runtime.js";

/** The window the daily figures are averaged over. */
const WINDOW_DAYS = 7;
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const SAMPLES = 5;

export interface ShadowSummary extends ShadowStats {
  /** would_answer / requests (null without requests). */
  would_answer_share: number | null;
  /** The upper bound on the would-be answers' disagreement with the LLM, at the task's confidence level (null: none judged). */
  disagreement_bound: number | null;
  max_error: number;
  confidence_level: number;
  /** The bound is within max_error. */
  proven: boolean;
}

export interface DiscoveredTask {
  name: string;
  description: string | undefined;
  capture: CaptureBlock;
  created_at: number;
  /** Each output field: its kind, a choice's values, and the description the teacher reads (absent: none). */
  fields: { name: string; kind: string; values?: readonly string[]; description?: string }[];
  privacy: StructuredTask["privacy"];
  model_version: number | null;
  threshold: number | null;
  examples: number;
  /** Calls answered in serve mode over the window, and how many of them the specialist answered itself (the rest went to the LLM). */
  served: ServedStats;
  /** Calls this instance relayed since it started without learning them (too busy): not in the figures below. */
  shed_calls: number;
  /** Shadow mode over the last WINDOW_DAYS days, every version; and for the live version alone. */
  shadow: ShadowSummary;
  shadow_live_version: ShadowSummary | null;
  /** Per day over the window (or since the task was first seen, at least an hour): calls, the LLM's cost, and what the calls the specialist would have answered cost (the saving). */
  per_day: { calls: number; cost: number; saving: number; saved_calls: number };
  /** A few of the LLM's answers (none under privacy: hash_inputs). */
  samples: { text: string; output: StructuredObject }[];
}

export function shadowSummary(stats: ShadowStats, task: Pick<StructuredTask, "routing">): ShadowSummary {
  const { max_error, confidence_level } = task.routing;
  const bound = stats.would_answer_judged === 0 ? null : clopperPearsonUpper(stats.disagreements, stats.would_answer_judged, confidence_level);
  return {
    ...stats,
    cost: roundMoney(stats.cost),
    would_answer_cost: roundMoney(stats.would_answer_cost),
    would_answer_share: stats.requests === 0 ? null : stats.would_answer / stats.requests,
    disagreement_bound: bound,
    max_error,
    confidence_level,
    proven: bound !== null && bound <= max_error,
  };
}

export async function discoveredTask(store: Store, record: TaskRecord & { definition: StructuredTask & { capture: CaptureBlock } }, rt: TaskRuntime | null, shedCalls: number, now = Date.now()): Promise<DiscoveredTask> {
  const task = record.definition;
  const since = Math.max(record.created_at, now - WINDOW_DAYS * DAY_MS);
  // A task first seen an hour ago projects its day from that hour (not less: a few minutes say too little).
  const days = Math.max(HOUR_MS, now - since) / DAY_MS;
  const version = rt?.modelVersion ?? 0;
  const [all, served, live, examples, samples] = await Promise.all([
    store.requests.shadowStats(task.name, { since }),
    store.requests.servedStats(task.name, { since }),
    version === 0 ? null : store.requests.shadowStats(task.name, { version }),
    store.examples.count(task.name),
    task.privacy === "hash_inputs" ? [] : store.examples.page(task.name, { limit: SAMPLES, source: "teacher" }),
  ]);
  return {
    name: task.name,
    description: task.description,
    capture: task.capture,
    created_at: record.created_at,
    fields: outputFields(task).map((f) => ({ name: f.name, kind: f.kind, ...(f.values === undefined ? {} : { values: f.values }), ...(f.description ? { description: f.description } : {}) })),
    privacy: task.privacy,
    model_version: version === 0 ? null : version,
    threshold: rt?.cascade.router.threshold ?? null,
    examples,
    served: { ...served, cost: roundMoney(served.cost) },
    shed_calls: shedCalls,
    shadow: shadowSummary(all, task),
    shadow_live_version: live === null ? null : shadowSummary(live, task),
    per_day: {
      calls: all.requests / days,
      cost: roundMoney(all.cost / days),
      saving: roundMoney(all.would_answer_cost / days),
      saved_calls: all.would_answer / days,
    },
    samples: samples.map((e) => ({ text: e.text, output: parseCanonical(e.label) })),
  };
}
