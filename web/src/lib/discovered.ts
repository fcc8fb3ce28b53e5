// What the Discovered page says about a captured task, in plain sentences: what shadow mode
// measured (how much the specialist would have answered, how often it would have disagreed with
// the LLM, with the bound and its confidence), what that would save a day, and what a change of
// mode does before it is confirmed.
import type { CaptureChange, CaptureMode, DiscoveredTask, ShadowSummary } from "../api/types.js";
import { TASK_NAME_PATTERN, TASK_NAME_RULE } from "../../../src/task/task-name.js";
import { money, num, pct } from "./format.js";

export const MODE_TEXT: Record<CaptureMode, { title: string; effect: string }> = {
  shadow: { title: "Shadow", effect: "the LLM answers every call; the specialist only learns and records what it would have answered" },
  serve: { title: "Serve", effect: "the specialist answers the calls it is sure enough of; the others still go to the LLM" },
  off: { title: "Off", effect: "calls pass through to the LLM untouched, and nothing is learned from them" },
};

const calls = (n: number) => `${num(n)} call${n === 1 ? "" : "s"}`;

/** Whether the upstream's prices are configured: without them every cost is 0 and savings are counted in calls. */
export function isPriced(task: Pick<DiscoveredTask, "shadow">): boolean {
  return task.shadow.cost > 0;
}

/** What the specialist would save a day: in money when prices are configured, else in LLM calls. */
export function dailySaving(task: Pick<DiscoveredTask, "shadow" | "per_day">): string {
  return isPriced(task) ? `${money(task.per_day.saving)} a day` : `${num(task.per_day.saved_calls)} LLM call${Math.round(task.per_day.saved_calls) === 1 ? "" : "s"} a day`;
}

/** "The specialist would have answered 64% of these 1,000 calls, disagreeing with the LLM on ≤ 3.4% (95% confidence), saving USD 0.0097 a day." */
export function shadowSentence(task: Pick<DiscoveredTask, "shadow" | "per_day" | "model_version" | "threshold">): string {
  const s = task.shadow;
  if (s.requests === 0) return "No calls in shadow mode in the last 7 days: there is nothing to compare the specialist with yet.";
  if (s.would_answer === 0) {
    const why = task.threshold === null ? "it has too few checked answers to prove a confidence threshold yet" : "it was not sure enough of any yet";
    return task.model_version === null
      ? `No specialist yet: it learns from the LLM's answers to these ${calls(s.requests)} and trains once it has enough of them.`
      : `The specialist would not have answered any of these ${calls(s.requests)}: ${why}.`;
  }
  const disagreement =
    s.disagreement_bound === null
      ? "with none of its answers checked against the LLM's yet"
      : `disagreeing with the LLM on ≤ ${pct(s.disagreement_bound)} (${pct(s.confidence_level, 0)} confidence)`;
  return `The specialist would have answered ${pct(s.would_answer_share, 0)} of these ${calls(s.requests)}, ${disagreement}, saving ${dailySaving(task)}.`;
}

/** Whether the bound is proven within max_error, in words. */
export function proofText(s: ShadowSummary): string {
  if (s.disagreement_bound === null) return `Not proven yet: none of the specialist's would-be answers could be checked (max error ${pct(s.max_error)}).`;
  const figures = `${num(s.disagreements)} disagreement${s.disagreements === 1 ? "" : "s"} in ${num(s.would_answer_judged)} checked answers, bound ${pct(s.disagreement_bound)} at ${pct(s.confidence_level, 0)} confidence`;
  return s.proven ? `Proven: ${figures}, within the max error of ${pct(s.max_error)}.` : `Not proven yet: ${figures}, above the max error of ${pct(s.max_error)}.`;
}

/** The confirmation's title and what the change does, for `task`. */
export function changeText(task: Pick<DiscoveredTask, "name" | "capture" | "shadow_live_version">, change: CaptureChange): { title: string; body: string; warning: string | null } {
  if (change.mode !== undefined) {
    const mode = MODE_TEXT[change.mode];
    const unproven = change.mode === "serve" && task.shadow_live_version?.proven !== true;
    return {
      title: `Switch “${task.name}” to ${mode.title.toLowerCase()}?`,
      body: `${mode.title}: ${mode.effect}. Calls to ${task.capture.model} are affected from the next one on.`,
      warning: unproven ? "Shadow mode has not proven the live model's disagreement with the LLM within max error yet: the specialist still answers only where its threshold allows." : null,
    };
  }
  const on = change.auto_serve === true;
  return {
    title: `${on ? "Turn on" : "Turn off"} auto-serve for “${task.name}”?`,
    body: on
      ? "The task switches from shadow to serve by itself once enough shadow calls prove the live model's disagreement with the LLM within max error."
      : "The task stays in its mode until an admin switches it.",
    warning: null,
  };
}

/** Why `name` cannot be a task's new name, in the gateway's words; null when it can. */
export function renameProblem(name: string, current: string): string | null {
  if (name === current) return "That is already its name.";
  return TASK_NAME_PATTERN.test(name) ? null : `${TASK_NAME_RULE[0].toUpperCase()}${TASK_NAME_RULE.slice(1)}.`;
}

type Fields = DiscoveredTask["fields"];

/**
 * Whether two captured tasks answer with the same fields, in any order (a merge rewrites stored
 * answers into the target's order): names, kinds, choice values. The gateway checks the rest.
 */
export function sameFields(a: Fields, b: Fields): boolean {
  const values = (f: Fields[number]) => JSON.stringify([...(f.values ?? [])].sort());
  const byName = new Map(b.map((f) => [f.name, f]));
  return a.length === b.length && a.every((f) => byName.get(f.name)?.kind === f.kind && values(f) === values(byName.get(f.name)!));
}

/** The other captured tasks that could be merged into `task`. */
export function mergeCandidates(task: Pick<DiscoveredTask, "name" | "fields">, all: readonly DiscoveredTask[]): DiscoveredTask[] {
  return all.filter((t) => t.name !== task.name && sameFields(t.fields, task.fields));
}

/** The descriptions form: the task's own, and each output field's. */
export interface DescriptionsForm {
  task: string;
  fields: Record<string, string>;
}

export function descriptionsOf(task: Pick<DiscoveredTask, "description" | "fields">): DescriptionsForm {
  return { task: task.description ?? "", fields: Object.fromEntries(task.fields.map((f) => [f.name, f.description ?? ""])) };
}

/** What the form changes: the task's description (undefined: unchanged) and the fields' ("" removes one); only what differs. */
export function describedChanges(task: Pick<DiscoveredTask, "description" | "fields">, form: DescriptionsForm): { description: string | undefined; descriptions: Record<string, string> } {
  const before = descriptionsOf(task);
  const descriptions = Object.fromEntries(Object.entries(form.fields).filter(([field, text]) => text.trim() !== before.fields[field]).map(([field, text]) => [field, text.trim()]));
  return { description: form.task.trim() === before.task ? undefined : form.task.trim(), descriptions };
}
