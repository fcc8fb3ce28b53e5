// A task's training and its figures: retrain the specialist now, and the request log's statistics
// over a window (sources, teacher calls, cost and savings, the live audit, the teacher budget).
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { StoreError, REQUEST_SOURCES } from "../../store/index.js";
import { REQUEST_STATUSES } from "../../store/schema.js";
import { TeacherBudgetSchema } from "../../task/definition.js";
import { isStructuredTask, outputFields } from "../../task/structured.js";
import { fieldDifferences, parseCanonical, type OutputField } from "../../engine/structured-answer.js";
import { epochMsSchema } from "../http/api-schemas.js";
import { badRequest, conflict } from "../http/errors.js";
import { timeWindowQuery } from "../http/query-params.js";
import { route } from "../http/route.js";
import { noneAnswersOf } from "../runtime/answers.js";
import { RetrainBusyError } from "../runtime/task-runtime.js";
import { auditsByAnswer, MAX_ANSWER_AUDITS, taskStats } from "../runtime/task-stats.js";
import { taskBudgetUse } from "../runtime/teacher-budget.js";
import { NOT_FOUND_TASK, runtimeOf, type RouteDeps } from "./tasks.js";

/** Disagreeing audits a structured task's stats read per field (the most recent). */
const MAX_FIELD_AUDITS = 10_000;

/** Per field, how many of these disagreeing audits differ in it: where the specialist's object errors come from. */
function fieldDisagreements(fields: readonly OutputField[], audits: readonly { label: string; teacher_label: string }[]): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(fields.map((f) => [f.name, 0]));
  for (const a of audits) for (const f of fieldDifferences(fields, parseCanonical(a.label), parseCanonical(a.teacher_label))) counts[f]++;
  return counts;
}

const RetrainReplySchema = z
  .object({
    promoted: z.boolean().describe("The candidate became the live version."),
    version: z.number().int().describe("Live version after this retrain (0: still none)."),
    trainExamples: z.number().int(),
    holdoutExamples: z.number().int(),
    candidateAccuracy: z.number().nullable().describe("Candidate's holdout accuracy; null when training was impossible."),
    currentAccuracy: z.number().nullable().describe("The previous live version's accuracy on the same holdout."),
    threshold: z.record(z.string(), z.unknown()).nullable().describe("The live version's routing threshold and its proof."),
    seconds: z.number(),
    reason: z.string(),
    model_version: z.number().int().describe("The version serving now."),
  })
  .meta({ id: "RetrainReply" });

const count = z.number().int();
const money = (what: string) => z.number().nullable().describe(`${what}, in the currency of the task's prices; null before any paid teacher call in the window.`);

const StatsSchema = z
  .object({
    task: z.string(),
    since: epochMsSchema("Window start"),
    until: epochMsSchema("Window end (null: open)").nullable(),
    requests: count,
    by_source: z.record(z.enum(REQUEST_SOURCES), count),
    by_status: z.record(z.enum(REQUEST_STATUSES), count),
    teacher_calls: count.describe("Requests on which the teacher was called: answered by it, audited, or its answer was invalid or failed."),
    audited: count,
    disagreements: count.describe("Audits where the teacher disagreed with the answer given."),
    none_answers: count.describe('Requests answered "none of these" (the task\'s out_of_scope_label, else none_of_these; for a structured task, answers with a choice field `none_of_these`).'),
    none_share: z.number().describe("none_answers / requests (0 without requests)."),
    audited_none: count.describe('Audits the teacher answered "none of these": out-of-scope inputs the specialist gave a label (each also a disagreement); for a structured task, answers with a choice field `none_of_these`.'),
    cost: z.number().describe("Teacher cost, in the currency of the task's prices."),
    latency_p50_ms: z.number().nullable(),
    latency_p95_ms: z.number().nullable(),
    coverage: z.number().describe("Share of requests the specialist answered."),
    cost_per_teacher_call: money("Mean teacher cost per teacher call"),
    teacher_only_cost: money("Every request sent to the teacher at that mean cost"),
    cost_saved: money("What the specialist saved: teacher_only_cost minus cost"),
    audit: z.object({
      audited: count,
      disagreements: count,
      field_disagreements: z.record(z.string(), count).optional().describe("Structured tasks: per field, how many disagreeing audits differ in it (an audit compares whole objects)."),
      by_answer: z
        .array(
          z.object({
            answer: z.string().describe("An answer the specialist gave."),
            audited: count.describe("Audits of it that the teacher answered validly."),
            disagreements: count,
            disagreement_upper_bound: z.number().describe("One-sided upper bound of its disagreement rate at the task's confidence level."),
            teacher_instead: z.string().nullable().describe("What the teacher answered most often instead (null: it always agreed)."),
            teacher_instead_count: count,
            status: z
              .enum(["ok", "near", "exceeded", "unproven", "no_audits"])
              .describe("As the task's status; `exceeded` is claimed at the confidence level shared among the answers audited, so that one of many answers is not flagged by chance."),
            on_hold: z.boolean().describe("Whether the live version holds this answer now (its own audits proved it wrong): the teacher gives it until a new version."),
          }),
        )
        .optional()
        .describe(`Label tasks: the audits by the specialist's answer, worst first (proven past max_error or on hold, then by disagreement rate), at most ${MAX_ANSWER_AUDITS}: one answer can go wrong while the whole audit stays within target.`),
      agreement: z.number().nullable().describe("1 − disagreements / audited; null before any audit."),
      disagreement_upper_bound: z.number().describe("One-sided upper bound of the disagreement rate at the task's confidence level (1 before any audit)."),
      max_error: z.number(),
      confidence_level: z.number(),
      none_share: z.number().nullable().describe('Share of audits the teacher answered "none of these" (null before any audit): out-of-scope inputs the specialist gave a label.'),
      status: z
        .enum(["ok", "near", "exceeded", "unproven", "no_audits"])
        .describe("`ok`: the upper bound is below max_error; `exceeded`: the lower bound is above it; `near`: neither, and the observed rate is close to max_error; `unproven`: neither, with too few audits yet."),
    }),
    daily: z.array(
      z.object({
        day: z.string().describe("UTC day, YYYY-MM-DD"),
        start: epochMsSchema("Day start"),
        requests: count,
        specialist: count,
        teacher: count,
        cost: z.number(),
        cost_saved: money("The day's saving at the window's mean cost per teacher call"),
      }),
    ),
    model_version: count,
    examples: count,
    budget: z
      .object({
        limits: TeacherBudgetSchema,
        windows: z.array(
          z.object({
            period: z.enum(["hour", "day"]),
            calls: count,
            cost: z.number(),
            calls_limit: count.nullable(),
            cost_limit: z.number().nullable(),
            window_start: epochMsSchema("Window start"),
            resets_at: epochMsSchema("Window end"),
          }),
        ),
      })
      .nullable()
      .describe("The task's teacher budget and its use in the current UTC hour and day; null when the task has none."),
  })
  .meta({ id: "Stats" });

const WindowQuery = z.object(timeWindowQuery());

export function registerTrainingRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { store, runtimes } = deps;

  route(
    app,
    {
      method: "POST",
      url: "/v1/tasks/:name/retrain",
      access: "admin",
      tag: "Training",
      summary: "Retrain the specialist now",
      description:
        "Trains a candidate and promotes it only if it is not worse on the holdout. Gateway instances over one database take turns: while another one retrains the task, this answers 409 and serves the version that one promotes.",
      replies: { 200: { description: "What the retrain did.", schema: RetrainReplySchema } },
      errors: { 404: NOT_FOUND_TASK, 409: "Another gateway instance is retraining the task." },
    },
    async ({ params }) => {
      const rt = await runtimeOf(runtimes, params.name);
      try {
        const report = await rt.retrainNow();
        return { ...report, model_version: rt.modelVersion };
      } catch (err) {
        if (err instanceof RetrainBusyError) throw conflict(err.message);
        throw err;
      }
    },
  );

  route(
    app,
    {
      method: "GET",
      url: "/v1/tasks/:name/stats",
      access: "admin",
      tag: "Training",
      summary: "Request statistics: sources, teacher calls, cost, latency, per day",
      query: WindowQuery,
      replies: { 200: { description: "The statistics.", schema: StatsSchema } },
      errors: { 400: "`since` or `until` is not a time, or the window is invalid.", 404: NOT_FOUND_TASK },
    },
    async ({ params, query: window }) => {
      const rt = await runtimeOf(runtimes, params.name);
      try {
        await app.requestLog.flush();
        const stats = taskStats(await store.requests.stats(rt.task.name, { ...window, none: noneAnswersOf(rt.task) }), rt.task);
        if (isStructuredTask(rt.task)) {
          const disagreements = await store.requests.auditDisagreements(rt.task.name, window, MAX_FIELD_AUDITS);
          stats.audit = { ...stats.audit, field_disagreements: fieldDisagreements(outputFields(rt.task), disagreements) };
        } else {
          stats.audit = { ...stats.audit, by_answer: auditsByAnswer(await store.requests.auditPairs(rt.task.name, window), rt.task, new Set(rt.cascade.stats().held)) };
        }
        return { ...stats, model_version: rt.modelVersion, examples: rt.cascade.store.size, budget: await taskBudgetUse(store, rt.task) };
      } catch (err) {
        if (err instanceof StoreError) throw badRequest(err.message);
        throw err;
      }
    },
  );
}
