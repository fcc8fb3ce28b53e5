// Teacher spend under control (README "Teacher spend"): the budgets a request's teacher calls draw
// on (its task's and its API key's, per UTC hour and day, counted in the store so that every worker
// and instance shares them), the 429 a spent budget answers, and whose requests a task learns from.
// Nothing here runs for a request the specialist answers without an audit: the store is asked only
// before a teacher call, and only when a budget applies to it.
import type { TeacherGate } from "../../cascade/cascade.js";
import { keyScope, taskScope, type ApiKeyRecord, type Reservation, type SpendLimit, type SpendPeriod, type Store } from "../../store/index.js";
import type { TeacherBudget } from "../../task/definition.js";
import type { AnyTask } from "../../task/structured.js";
import { HttpError } from "../http/errors.js";
import { roundMoney } from "../http/money.js";

/** Who sent a prediction request, and through which route. */
export interface RequestCaller {
  key: ApiKeyRecord | null;
  via: "predict" | "chat" | "capture";
}

const PERIODS: readonly SpendPeriod[] = ["hour", "day"];

function limitsOf(scope: string, budget: TeacherBudget | null | undefined): SpendLimit[] {
  if (budget === null || budget === undefined) return [];
  const out: SpendLimit[] = [];
  for (const period of PERIODS) {
    const calls = budget[`calls_per_${period}`];
    const cost = budget[`cost_per_${period}`];
    if (calls !== undefined || cost !== undefined) out.push({ scope, period, ...(calls === undefined ? {} : { calls }), ...(cost === undefined ? {} : { cost }) });
  }
  return out;
}

/** Every budget a teacher call for this task and key draws on (empty: none applies). */
export function budgetLimits(task: AnyTask, key: ApiKeyRecord | null): SpendLimit[] {
  return [...limitsOf(taskScope(task.name), task.budget), ...(key === null ? [] : limitsOf(keyScope(key.id), key.teacher_budget))];
}

/** A spent budget: 429 naming the budget (task or key, calls or cost, window) and when it resets. */
export function budgetExceeded(task: AnyTask, key: ApiKeyRecord | null, refusal: Extract<Reservation, { ok: false }>, now = Date.now()): HttpError {
  const { limit, kind, used } = refusal;
  const isTask = limit.scope.startsWith("task:");
  const owner = isTask ? `task "${task.name}"` : `API key "${key?.name ?? "?"}" (#${key?.id ?? "?"})`;
  const allowed = kind === "calls" ? `${limit.calls} teacher calls` : `teacher cost ${limit.cost}`;
  const spent = kind === "calls" ? `${used.calls} calls` : `cost ${roundMoney(used.cost)}`;
  const resets = new Date(used.resets_at).toISOString();
  const retryAfter = Math.max(1, Math.ceil((used.resets_at - now) / 1000));
  return new HttpError(
    429,
    `teacher budget spent: ${owner} allows ${allowed} per ${limit.period} (UTC calendar ${limit.period}), and ${spent} were used since ${new Date(used.start).toISOString()}; it resets at ${resets}. Requests the specialist answers are still served.`,
    "rate_limit_error",
    "teacher_budget_exceeded",
    {
      budget: {
        scope: isTask ? "task" : "key",
        name: isTask ? task.name : (key?.name ?? null),
        kind,
        period: limit.period,
        limit: kind === "calls" ? limit.calls : limit.cost,
        used: kind === "calls" ? used.calls : used.cost,
        window_start: used.start,
        resets_at: used.resets_at,
      },
    },
    { "retry-after": String(retryAfter) },
  );
}

/**
 * The gate a request's teacher calls pass (see Cascade.handle), or undefined when no budget
 * applies. Each call is reserved in the store first; its cost is added when known (a failure to
 * add it is reported to `onError`, the call having happened).
 */
export function teacherGate(store: Store, task: AnyTask, key: ApiKeyRecord | null, onError: (err: unknown) => void): TeacherGate | undefined {
  // The common case, for every request: nothing to build.
  if (task.budget === undefined && (key === null || key.teacher_budget === null)) return undefined;
  const limits = budgetLimits(task, key);
  if (limits.length === 0) return undefined;
  return async () => {
    const reservation = await store.teacherSpend.reserve(limits);
    if (!reservation.ok) throw budgetExceeded(task, key, reservation);
    return (cost) => void store.teacherSpend.addCost(reservation.windows, cost).catch(onError);
  };
}

/** Whether the task learns from this key's requests (`training.learn_from_keys`; absent: every key). */
export function learnsFrom(task: AnyTask, key: ApiKeyRecord | null): boolean {
  const trusted = task.training.learn_from_keys;
  return trusted === undefined || (key !== null && trusted.includes(key.name));
}

export interface BudgetWindowUse {
  period: SpendPeriod;
  calls: number;
  cost: number;
  calls_limit: number | null;
  cost_limit: number | null;
  window_start: number;
  resets_at: number;
}

/** The task budget's use in the current hour and day (for stats), or null when the task has none. */
export async function taskBudgetUse(store: Store, task: AnyTask): Promise<{ limits: TeacherBudget; windows: BudgetWindowUse[] } | null> {
  const budget = task.budget;
  if (budget === undefined) return null;
  const windows: BudgetWindowUse[] = [];
  for (const limit of limitsOf(taskScope(task.name), budget)) {
    const used = await store.teacherSpend.usage(limit.scope, limit.period);
    windows.push({ period: limit.period, calls: used.calls, cost: used.cost, calls_limit: limit.calls ?? null, cost_limit: limit.cost ?? null, window_start: used.start, resets_at: used.resets_at });
  }
  return { limits: budget, windows };
}

/** 403 unless the key may force the teacher (`route: "teacher"`), a permission set when the key is created. */
export function requireForceTeacher(key: ApiKeyRecord | null): void {
  if (key?.force_teacher === true) return;
  throw new HttpError(
    403,
    `this API key lacks the "force_teacher" permission, which route "teacher" needs (it makes every input a paid teacher call); use route "auto", or a key created with it (apprentice keys create --force-teacher, or force_teacher: true in the configuration file)`,
    "permission_error",
    "forbidden",
  );
}
