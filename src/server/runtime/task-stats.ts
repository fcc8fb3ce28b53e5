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
  /** Label tasks: the audits by the specialist's answer, worst first (auditsByAnswer). */
  by_answer?: AnswerAudit[];
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

/**
 * An audit's status (AuditSummary.status) from its counts: `bound` is the upper bound at the
 * task's confidence level; "exceeded" needs the lower bound at `exceededLevel` above max_error.
 */
function auditStatus(audited: number, disagreements: number, bound: number, maxError: number, exceededLevel: number): AuditSummary["status"] {
  if (audited === 0) return "no_audits";
  if (bound < maxError) return "ok";
  if (clopperPearsonLower(disagreements, audited, exceededLevel) > maxError) return "exceeded";
  return disagreements / audited >= NEAR_FACTOR * maxError ? "near" : "unproven";
}

export function auditSummary(audited: number, disagreements: number, auditedNone: number, task: AnyTask): AuditSummary {
  const { max_error, confidence_level } = task.routing;
  const bound = audited === 0 ? 1 : clopperPearsonUpper(disagreements, audited, confidence_level);
  return {
    audited,
    disagreements,
    agreement: audited === 0 ? null : 1 - disagreements / audited,
    disagreement_upper_bound: bound,
    max_error,
    confidence_level,
    none_share: audited === 0 ? null : auditedNone / audited,
    status: auditStatus(audited, disagreements, bound, max_error, confidence_level),
  };
}

/** The live audits of one answer of a label task (AuditSummary.by_answer). */
export interface AnswerAudit {
  answer: string;
  /** Audits of the specialist giving this answer that the teacher answered validly, and how many it answered otherwise. */
  audited: number;
  disagreements: number;
  /** One-sided upper bound of this answer's disagreement rate at the task's confidence level. */
  disagreement_upper_bound: number;
  /** What the teacher answered most often instead, and how often (null, 0: it always agreed). */
  teacher_instead: string | null;
  teacher_instead_count: number;
  /**
   * As the task's status, but `exceeded` is claimed at confidence_level shared among the answers
   * audited (each tested at 1 − (1 − confidence_level) / answers), so that among many answers one
   * is not flagged by chance more often than the task's level allows.
   */
  status: AuditSummary["status"];
  /** Whether the live version holds this answer now (its own audits proved it wrong; README "Answer holds"): the teacher gives it until a new version. */
  on_hold: boolean;
}

/** Answers listed in by_answer, at most: the worst first. */
export const MAX_ANSWER_AUDITS = 50;

/**
 * The live audits of a label task by the specialist's answer, worst first (proven past max_error
 * or on hold, then by observed disagreement rate, then by audits), at most MAX_ANSWER_AUDITS: one
 * answer can go wrong while the task's whole audit stays within target. `held`: the answers the
 * live version holds now (Cascade stats' `held`).
 */
export function auditsByAnswer(pairs: readonly { label: string; teacher_label: string; count: number }[], task: AnyTask, held: ReadonlySet<string> = new Set()): AnswerAudit[] {
  const { max_error, confidence_level } = task.routing;
  const byAnswer = new Map<string, { audited: number; disagreements: number; instead: Map<string, number> }>();
  for (const p of pairs) {
    let a = byAnswer.get(p.label);
    if (a === undefined) byAnswer.set(p.label, (a = { audited: 0, disagreements: 0, instead: new Map() }));
    a.audited += p.count;
    if (p.teacher_label === p.label) continue;
    a.disagreements += p.count;
    a.instead.set(p.teacher_label, (a.instead.get(p.teacher_label) ?? 0) + p.count);
  }
  const exceededLevel = 1 - (1 - confidence_level) / Math.max(1, byAnswer.size);
  const rows = [...byAnswer].map(([answer, a]): AnswerAudit => {
    let instead: string | null = null;
    let insteadCount = 0;
    for (const [label, n] of a.instead) if (n > insteadCount || (n === insteadCount && instead !== null && label < instead)) [instead, insteadCount] = [label, n];
    const bound = clopperPearsonUpper(a.disagreements, a.audited, confidence_level);
    return { answer, audited: a.audited, disagreements: a.disagreements, disagreement_upper_bound: bound, teacher_instead: instead, teacher_instead_count: insteadCount, status: auditStatus(a.audited, a.disagreements, bound, max_error, exceededLevel), on_hold: held.has(answer) };
  });
  const rank = (r: AnswerAudit) => (r.status === "exceeded" || r.on_hold ? 1 : 0);
  rows.sort((x, y) => rank(y) - rank(x) || y.disagreements / y.audited - x.disagreements / x.audited || y.audited - x.audited || (x.answer < y.answer ? -1 : 1));
  return rows.slice(0, MAX_ANSWER_AUDITS);
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
