// What the dashboard reads about a task beyond its stats: traffic over time, the live model's
// report on the holdout, the queue of requests a person should review, and what the router would
// do with a text (without asking the teacher or logging anything).
import type { FastifyInstance } from "fastify";
import { assess } from "../../cascade/router.js";
import { REVIEW_KINDS, StoreError, type ReviewItem, type TrafficBucket } from "../../store/index.js";
import { noneAnswerOf } from "../runtime/answers.js";
import { badRequest, conflict, notFound } from "../http/errors.js";
import { modelReport } from "../runtime/model-report.js";
import { structuredModelReport } from "../runtime/structured-report.js";
import { TextClassifier } from "../../engine/classifier.js";
import { StructuredSpecialist } from "../../engine/structured-specialist.js";
import { fieldsView } from "../runtime/predict.js";
import { learnableFields } from "../../engine/structured-answer.js";
import { isStructuredTask, outputFields } from "../../task/structured.js";
import { enumParam, integerParam, singleValues, timeParam, type Query } from "../http/query-params.js";
import { checkText, runtimeOf, type RouteDeps } from "./tasks.js";
import { costPerTeacherCall, costSaved } from "../runtime/task-stats.js";
import type { TaskRuntime } from "../runtime/task-runtime.js";

export const BUCKET_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
export type BucketName = keyof typeof BUCKET_MS;
export const BUCKET_NAMES = Object.keys(BUCKET_MS) as BucketName[];
export const MAX_TRAFFIC_BUCKETS = 2000;
export const DEFAULT_TRAFFIC_WINDOW_MS = 24 * 3_600_000;
export const DEFAULT_REVIEW_LIMIT = 50;
export const MAX_REVIEW_LIMIT = 200;
/** Labels listed with their probabilities in review items and explanations. */
export const TOP_LABELS = 5;
const REVIEW_QUERY_KINDS = ["all", ...REVIEW_KINDS] as const;

/**
 * "Low confidence" in the review queue: a specialist answer whose confidence is closer to the
 * router's current threshold than to 1 (below threshold + (1 − threshold) / 2), or under the
 * threshold itself (forced answers, or a threshold raised since). Null without a threshold: then
 * every specialist answer counts.
 */
export function lowConfidenceBelow(threshold: number | null): number | null {
  return threshold === null ? null : threshold + (1 - threshold) / 2;
}

type InsightRoute = { Params: { name: string }; Querystring: Query };

interface TrafficPoint extends Omit<TrafficBucket, "teacher_calls"> {
  cost_saved: number | null;
}

export function registerInsightRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { store, runtimes } = deps;
  const admin = { config: { access: "admin" as const } };

  app.get<InsightRoute>("/v1/tasks/:name/traffic", admin, async (request) => {
    const { name } = request.params;
    const params = singleValues(request.query, ["since", "until", "bucket"]);
    const bucket = enumParam(params, "bucket", BUCKET_NAMES, "hour");
    const window = trafficWindow(params, BUCKET_MS[bucket]);
    // The task row, not its runtime: reading the log needs no model in memory.
    const record = await store.tasks.get(name);
    if (record === null) throw notFound(`no task "${name}"`);
    let buckets: TrafficBucket[];
    try {
      await app.requestLog.flush();
      buckets = await store.requests.series(name, { ...window, noneLabel: noneAnswerOf(record.definition) }, BUCKET_MS[bucket]);
    } catch (err) {
      if (err instanceof StoreError) throw badRequest(err.message);
      throw err;
    }
    return { bucket, bucket_ms: BUCKET_MS[bucket], ...window, series: withSavings(buckets) };
  });

  app.get<InsightRoute>("/v1/tasks/:name/report", admin, async (request) => {
    singleValues(request.query, []);
    const rt = await runtimeOf(runtimes, request.params.name);
    const model = rt.cascade.specialist;
    if (model === null) throw conflict(`task "${rt.task.name}" has no model yet: it trains once ${rt.task.training.min_examples} examples are stored`);
    const holdout = [...rt.cascade.store.values()].filter((e) => e.holdout);
    const threshold = rt.cascade.router.threshold;
    const { settings } = rt.cascade.router;
    const report = isStructuredTask(rt.task)
      ? structuredModelReport(model, holdout, settings, learnableFields(outputFields(rt.task)), threshold)
      : modelReport(model as TextClassifier, holdout, settings, rt.task.labels.map((l) => l.name), threshold);
    return { model_version: modelVersion(rt), threshold, threshold_reason: rt.cascade.thresholdChoice?.reason ?? "no threshold chosen yet", ...report };
  });

  app.get<InsightRoute>("/v1/tasks/:name/review", admin, async (request) => {
    const params = singleValues(request.query, ["kind", "limit"]);
    const kind = enumParam(params, "kind", REVIEW_QUERY_KINDS, "all");
    const limit = integerParam(params, "limit", DEFAULT_REVIEW_LIMIT, 1, MAX_REVIEW_LIMIT);
    const rt = await runtimeOf(runtimes, request.params.name);
    await app.requestLog.flush();
    const below = lowConfidenceBelow(rt.cascade.router.threshold);
    const options = below === null ? {} : { lowConfidenceBelow: below };
    const items = await store.requests.review(rt.task.name, kind, limit, options);
    const pending = await store.requests.reviewCounts(rt.task.name, options);
    return { data: items.map((item) => reviewView(rt, item)), pending, low_confidence_below: below };
  });

  app.post<{ Params: { name: string } }>("/v1/tasks/:name/explain", admin, async (request) => {
    const input = checkText((request.body as { input?: unknown } | null)?.input, '"input"');
    const rt = await runtimeOf(runtimes, request.params.name);
    return explain(rt, input);
  });
}

/** The window of a traffic request; 400 when it is empty or needs too many buckets. */
function trafficWindow(params: Map<string, string>, bucketMs: number): { since: number; until: number } {
  const until = timeParam(params.get("until"), "until").until ?? Date.now();
  // Without `since`: the 24 hours before `until` (before now when neither is given).
  const since = timeParam(params.get("since"), "since").since ?? until - DEFAULT_TRAFFIC_WINDOW_MS;
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
  const decision = router.decideFrom(a);
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
