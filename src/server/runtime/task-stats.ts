// What GET /v1/tasks/:name/stats adds to the request log's counts: coverage, what the traffic would
// have cost with the teacher alone and so what the specialist saved, and the live audit's
// agreement with its Clopper–Pearson bound against the task's max_error. Computed from the log,
// so the figures survive restarts and agree between gateway instances.
import { clopperPearsonLower, clopperPearsonUpper } from "../../cascade/binomial.js";
import type { RequestStats } from "../../store/index.js";
import type { AnyTask } from "../../task/structured.js";

/** An observed disagreement rate from this share of max_error on is reported as "near". */
export const NEAR_FACTOR = 0.8;

export interface AuditSummary {
  audited: number;
  disagreements: number;
  /** Structured tasks: per field, how many disagreeing audits differ in it (an audit compares whole objects). */
  field_disagreements?: Record<string, number>;
  /** 1 − disagreements / audited; null before any audit. */
  agreement: number | null;
  /** One-sided upper bound of the disagreement rate at the task's confidence level (1 before any audit). */
  disagreement_upper_bound: number;
  max_error: number;
  confidence_level: number;
  /**
   * Share of audits the teacher answered "none of these" (null before any audit): out-of-scope
   * inputs the specialist gave a label. Each counts as a disagreement; a share growing past its
   * usual level says the traffic brings more messages that fit no label (README "Out of scope").
   */
  none_share: number | null;
  /**
   * `ok`: the upper bound is below max_error (proven within target); `exceeded`: the lower bound is
   * above it (proven past it); `near`: neither, and the observed rate is at least NEAR_FACTOR ×
   * max_error; `unproven`: neither, with no sign of trouble (too few audits yet); `no_audits`.
   */
  status: "ok" | "near" | "exceeded" | "unproven" | "no_audits";
}

export interface TaskStats extends Omit<RequestStats, "daily"> {
  /** Share of requests the specialist answered. */
  coverage: number;
  /** Share of requests answered "none of these" (0 without requests). */
  none_share: number;
  /** Mean teacher cost per teacher call in the window (null before any paid call). */
  cost_per_teacher_call: number | null;
  /** Every request sent to the teacher at that mean cost. */
  teacher_only_cost: number | null;
  cost_saved: number | null;
  audit: AuditSummary;
  daily: (RequestStats["daily"][number] & { cost_saved: number | null })[];
}

export function auditSummary(audited: number, disagreements: number, auditedNone: number, task: AnyTask): AuditSummary {
  const { max_error, confidence_level } = task.routing;
  const bound = audited === 0 ? 1 : clopperPearsonUpper(disagreements, audited, confidence_level);
  let status: AuditSummary["status"];
  if (audited === 0) status = "no_audits";
  else if (bound < max_error) status = "ok";
  else if (clopperPearsonLower(disagreements, audited, confidence_level) > max_error) status = "exceeded";
  else status = disagreements / audited >= NEAR_FACTOR * max_error ? "near" : "unproven";
  return {
    audited,
    disagreements,
    agreement: audited === 0 ? null : 1 - disagreements / audited,
    disagreement_upper_bound: bound,
    max_error,
    confidence_level,
    none_share: audited === 0 ? null : auditedNone / audited,
    status,
  };
}

/** Mean teacher cost per teacher call over a window; null before any paid call. */
export function costPerTeacherCall(teacherCalls: number, cost: number): number | null {
  return teacherCalls > 0 && cost > 0 ? cost / teacherCalls : null;
}

/**
 * What the specialist saved on `requests` that cost `cost`: the same requests at `perCall` each
 * (the whole window's mean, so a quiet bucket is priced like the rest) minus what they cost.
 */
export function costSaved(perCall: number | null, requests: number, cost: number): number | null {
  return perCall === null ? null : perCall * requests - cost;
}

export function taskStats(stats: RequestStats, task: AnyTask): TaskStats {
  const perCall = costPerTeacherCall(stats.teacher_calls, stats.cost);
  const saved = (requests: number, cost: number) => costSaved(perCall, requests, cost);
  return {
    ...stats,
    coverage: stats.requests === 0 ? 0 : stats.by_source.specialist / stats.requests,
    none_share: stats.requests === 0 ? 0 : stats.none_answers / stats.requests,
    cost_per_teacher_call: perCall,
    teacher_only_cost: perCall === null ? null : perCall * stats.requests,
    cost_saved: saved(stats.requests, stats.cost),
    audit: auditSummary(stats.audited, stats.disagreements, stats.audited_none, task),
    daily: stats.daily.map((d) => ({ ...d, cost_saved: saved(d.requests, d.cost) })),
  };
}
