// What the dashboard reads about a task beyond its stats: traffic over time, the live model's
// report on the holdout, the queue of requests a person should review, and what the router would
// do with a text (without asking the teacher or logging anything).
import type { FastifyInstance } from "fastify";
import { assess } from "../../cascade/router.js";
import { StoreError, type ReviewItem, type TrafficBucket } from "../../store/index.js";
import { noneAnswersOf } from "../runtime/answers.js";
import { badRequest, conflict, notFound } from "../http/errors.js";
import { route } from "../http/route.js";
import { modelReport } from "../runtime/model-report.js";
import { structuredModelReport } from "../runtime/structured-report.js";
import { TextClassifier } from "../../engine/classifier.js";
import { StructuredSpecialist } from "../../engine/structured-specialist.js";
import { fieldsView } from "../runtime/predict.js";
import { learnableFields } from "../../engine/structured-answer.js";
import { isStructuredTask, outputFields } from "../../task/structured.js";
import { NOT_FOUND_TASK, runtimeOf, type RouteDeps } from "./tasks.js";
import { costPerTeacherCall, costSaved } from "../runtime/task-stats.js";
import type { TaskRuntime } from "../runtime/task-runtime.js";
import {
  BUCKET_MS,
  ExplainRequestSchema,
  ExplanationSchema,
  MAX_TRAFFIC_BUCKETS,
  ModelReportSchema,
  ReviewQuery,
  ReviewQueueSchema,
  TOP_LABELS,
  TrafficQuery,
  TrafficSchema,
} from "./insight-schemas.js";

const DEFAULT_TRAFFIC_WINDOW_MS = 24 * 3_600_000;

/**
 * "Low confidence" in the review queue: a specialist answer whose confidence is closer to the
 * router's current threshold than to 1 (below threshold + (1 − threshold) / 2), or under the
 * threshold itself (forced answers, or a threshold raised since). Null without a threshold: then
 * every specialist answer counts.
 */
export function lowConfidenceBelow(threshold: number | null): number | null {
  return threshold === null ? null : threshold + (1 - threshold) / 2;
}

interface TrafficPoint extends Omit<TrafficBucket, "teacher_calls"> {
  cost_saved: number | null;
}

export function registerInsightRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { store, runtimes } = deps;

  route(
    app,
    {
      method: "GET",
      url: "/v1/tasks/:name/traffic",
      access: "admin",
      tag: "Insights",
      summary: "Requests, sources, cost and savings over time, in buckets",
      query: TrafficQuery,
      replies: { 200: { description: "The series.", schema: TrafficSchema } },
      errors: { 400: `A parameter is invalid, \`since\` is not before \`until\`, or the window needs more than ${MAX_TRAFFIC_BUCKETS} buckets.`, 404: NOT_FOUND_TASK },
    },
    async ({ params: { name }, query }) => {
      const { bucket } = query;
      const window = trafficWindow(query, BUCKET_MS[bucket]);
      // The task row, not its runtime: reading the log needs no model in memory.
      const record = await store.tasks.get(name);
      if (record === null) throw notFound(`no task "${name}"`);
      let buckets: TrafficBucket[];
      try {
        await app.requestLog.flush();
        buckets = await store.requests.series(name, { ...window, none: noneAnswersOf(record.definition) }, BUCKET_MS[bucket]);
      } catch (err) {
        if (err instanceof StoreError) throw badRequest(err.message);
        throw err;
      }
      return { bucket, bucket_ms: BUCKET_MS[bucket], ...window, series: withSavings(buckets) };
    },
  );

  route(
    app,
    {
      method: "GET",
      url: "/v1/tasks/:name/report",
      access: "admin",
      tag: "Insights",
      summary: "The live model on the holdout: coverage–accuracy curve, confusion matrix, per-label figures",
      replies: { 200: { description: "The report: per label for a label task, per field for a structured task.", schema: ModelReportSchema } },
      errors: { 404: NOT_FOUND_TASK, 409: "The task has no model yet." },
    },
    async ({ params }) => {
      const rt = await runtimeOf(runtimes, params.name);
      const model = rt.cascade.specialist;
      if (model === null) throw conflict(`task "${rt.task.name}" has no model yet: it trains once ${rt.task.training.min_examples} examples are stored`);
      const holdout = [...rt.cascade.store.values()].filter((e) => e.holdout);
      const threshold = rt.cascade.router.threshold;
      const { settings } = rt.cascade.router;
      const report = isStructuredTask(rt.task)
        ? structuredModelReport(model, holdout, settings, learnableFields(outputFields(rt.task)), threshold)
        : modelReport(model as TextClassifier, holdout, settings, rt.task.labels.map((l) => l.name), threshold);
      return { model_version: modelVersion(rt), threshold, threshold_reason: rt.cascade.thresholdChoice?.reason ?? "no threshold chosen yet", ...report };
    },
  );

  route(
    app,
    {
      method: "GET",
      url: "/v1/tasks/:name/review",
      access: "admin",
      tag: "Insights",
      summary: "Requests to review: audit disagreements, low-confidence answers, invalid teacher answers",
      description:
        "A request leaves the queue once its text has a human or feedback example (e.g. after the feedback route). Requests whose input was not kept (`privacy: hash_inputs`) are never listed. " +
        "`all` lists disagreements, then invalid teacher answers, then low-confidence answers, each request once; disagreements and invalid answers newest first, low-confidence answers least confident first.",
      query: ReviewQuery,
      replies: { 200: { description: "The queue.", schema: ReviewQueueSchema } },
      errors: { 404: NOT_FOUND_TASK },
    },
    async ({ params, query: { kind, limit } }) => {
      const rt = await runtimeOf(runtimes, params.name);
      await app.requestLog.flush();
      const below = lowConfidenceBelow(rt.cascade.router.threshold);
      const options = below === null ? {} : { lowConfidenceBelow: below };
      const items = await store.requests.review(rt.task.name, kind, limit, options);
      const pending = await store.requests.reviewCounts(rt.task.name, options);
      return { data: items.map((item) => reviewView(rt, item)), pending, low_confidence_below: below };
    },
  );

  route(
    app,
    {
      method: "POST",
      url: "/v1/tasks/:name/explain",
      access: "admin",
      tag: "Insights",
      summary: "What the router would do with a text, without calling the teacher or logging",
      body: ExplainRequestSchema,
      bodyExample: { input: "my card has not arrived" },
      replies: { 200: { description: "The decision and the specialist's view of the text.", schema: ExplanationSchema } },
      errors: { 400: "`input` is missing, empty, too long or not storable as sent.", 404: NOT_FOUND_TASK },
    },
    async ({ params, body: { input } }) => explain(await runtimeOf(runtimes, params.name), input),
  );
}

/** The window of a traffic request; 400 when it is empty or needs too many buckets. */
function trafficWindow(given: { since?: number; until?: number }, bucketMs: number): { since: number; until: number } {
  const until = given.until ?? Date.now();
  // Without `since`: the 24 hours before `until` (before now when neither is given).
  const since = given.since ?? until - DEFAULT_TRAFFIC_WINDOW_MS;
  if (!(since < until)) throw badRequest(`"since" must be before "until", got ${since} and ${until}`);
  const buckets = Math.floor((until - 1) / bucketMs) - Math.floor(since / bucketMs) + 1;
  if (buckets > MAX_TRAFFIC_BUCKETS) {
    throw badRequest(`the window spans ${buckets} buckets of ${bucketMs} ms, more than the limit of ${MAX_TRAFFIC_BUCKETS}: narrow the window or use a larger bucket`);
  }
  return { since, until };
}

/** Each bucket's saving, priced at the whole window's mean cost per teacher call (as the stats route does). */
function withSavings(buckets: readonly TrafficBucket[]): TrafficPoint[] {
  const totals = buckets.reduce((t, b) => ({ calls: t.calls + b.teacher_calls, cost: t.cost + b.cost }), { calls: 0, cost: 0 });
  const perCall = costPerTeacherCall(totals.calls, totals.cost);
  return buckets.map(({ teacher_calls: _calls, ...b }) => ({ ...b, cost_saved: costSaved(perCall, b.requests, b.cost) }));
}

function modelVersion(rt: TaskRuntime): number | null {
  return rt.modelVersion === 0 ? null : rt.modelVersion;
}

/** The live specialist's most probable labels for a text (none before the first model). */
function topLabels(rt: TaskRuntime, text: string): { label: string; probability: number }[] {
  const specialist = rt.cascade.specialist;
  // A structured specialist has no ranking of whole objects to show.
  return specialist instanceof TextClassifier ? specialist.top(text, TOP_LABELS) : [];
}

function reviewView(rt: TaskRuntime, item: ReviewItem) {
  // review() lists only requests whose input was kept.
  const input = item.input ?? "";
  return {
    request_id: item.id,
    kind: item.kind,
    input,
    created_at: item.created_at,
    answer: { label: item.label, source: item.source, confidence: item.confidence },
    teacher_label: item.teacher_label,
    top: topLabels(rt, input),
  };
}

/** What the router would do with `input` now: the same decision as a prediction, with no audit drawn, no teacher call, no log. */
function explain(rt: TaskRuntime, input: string) {
  const { router, specialist } = rt.cascade;
  // The text is scored once: the decision and the top labels come from the same assessment.
  const a = specialist === null ? null : assess(specialist, input, router.settings);
  // As a request now would be: the surge guard may send what the threshold lets through to the teacher.
  const decision = rt.cascade.guarded(router.decideFrom(a));
  // A structured specialist's object and its fields (the prediction assess just made, kept by it).
  const structured = specialist instanceof StructuredSpecialist ? specialist.predict(input) : null;
  return {
    ...(structured === null ? {} : { output: structured.object, fields: fieldsView(structured) }),
    model_version: modelVersion(rt),
    label: a?.label ?? null,
    confidence: a?.confidence ?? null,
    top: specialist instanceof TextClassifier ? specialist.lastTop(TOP_LABELS) : [],
    unknown_share: a?.unknownShare ?? null,
    out_of_scope_max: rt.task.routing.out_of_scope_max,
    unknown_share_cut: router.unknownShareCut,
    scope_score: a?.score ?? null,
    threshold: router.threshold,
    route: { decision: decision.decision, reason: decision.reason },
  };
}
