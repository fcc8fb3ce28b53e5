// Task management, predictions, feedback and stats under /v1/tasks (examples: examples.ts).
import type { Readable } from "node:stream";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { StoreConflictError, StoreError, StoreNotFoundError, textHash, type Store } from "../../store/index.js";
import { textFault } from "../../data/text.js";
import { parseAnyTask, isCapturedTask, isStructuredTask, outputFields, type AnyTask } from "../../task/structured.js";
import { teacherOnlyNotices } from "../../task/output-fields.js";
import { fieldDifferences, parseCanonical, type OutputField } from "../../engine/structured-answer.js";
import { readJsonObjectBody } from "../http/body-stream.js";
import { badRequest, conflict, HttpError, notFound } from "../http/errors.js";
import type { GatewayMetrics } from "../operations/metrics.js";
import { timeParam } from "../http/query-params.js";
import { batchReply, predictMany, predictOne, routeMode } from "../runtime/predict.js";
import { AnswerError, givenAnswer, noneAnswerOf } from "../runtime/answers.js";
import { taskStats } from "../runtime/task-stats.js";
import { requireForceTeacher, taskBudgetUse } from "../runtime/teacher-budget.js";
import { RetrainBusyError, type TaskRuntime, type TaskRuntimes } from "../runtime/task-runtime.js";
import { isTaskRefusal, type TeacherRegistry } from "../runtime/teachers.js";

export const MAX_PREDICT_INPUTS = 1000;
/** Disagreeing audits a structured task's stats read per field (the most recent). */
const MAX_FIELD_AUDITS = 10_000;

/** Per field, how many of these disagreeing audits differ in it: where the specialist's object errors come from. */
function fieldDisagreements(fields: readonly OutputField[], audits: readonly { label: string; teacher_label: string }[]): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(fields.map((f) => [f.name, 0]));
  for (const a of audits) for (const f of fieldDifferences(fields, parseCanonical(a.label), parseCanonical(a.teacher_label))) counts[f]++;
  return counts;
}
export const MAX_TEXT_CHARS = 100_000;
/**
 * Characters of input in one predict batch. The default 5 MiB body carries at most about 5.2 M;
 * this bounds a batch's work when an operator raises server.body_limit_mb.
 */
export const MAX_BATCH_CHARS = 8_000_000;

export interface RouteDeps {
  store: Store;
  runtimes: TaskRuntimes;
  metrics?: GatewayMetrics;
}

export type NameParams = { Params: { name: string } };

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/**
 * The task in `body`, refused with a 400 naming the field; `checkTeacher` false keeps a stored
 * teacher block as it is. `hasUpstream`: whether `none.upstream_model` has an upstream to go to.
 */
function toTask(body: unknown, teachers: TeacherRegistry, hasUpstream: boolean, checkTeacher = true): AnyTask {
  let task: AnyTask;
  try {
    task = checkTeacher ? teachers.checkTask(body) : parseAnyTask(body);
  } catch (err) {
    if (isTaskRefusal(err)) throw badRequest(err.message);
    throw err;
  }
  if (!isStructuredTask(task) && task.none?.upstream_model !== undefined && !hasUpstream) {
    throw badRequest("invalid task: none.upstream_model: this gateway has no upstream LLM to pass none-of-these requests to (set APPRENTICE_UPSTREAM_BASE_URL or OPENAI_BASE_URL), so set none.answer instead");
  }
  return task;
}

export async function runtimeOf(runtimes: TaskRuntimes, name: string): Promise<TaskRuntime> {
  const rt = await runtimes.get(name);
  if (rt === null) throw notFound(`no task "${name}"`);
  return rt;
}

/**
 * The text a correction labels: the logged input, or under `privacy: hash_inputs` the caller's
 * copy, accepted only if it hashes to what was logged (a label must not land on another text).
 */
function feedbackText(logged: { input: string | null; input_hash: string }, given: string | undefined): string {
  if (logged.input !== null) {
    if (given !== undefined && given !== logged.input) throw badRequest('"text" differs from the logged input of this request');
    return logged.input;
  }
  if (given === undefined) throw conflict('this task keeps only a hash of its inputs: send the request\'s input as "text" with the label');
  if (textHash(given) !== logged.input_hash) throw badRequest('"text" is not the input of this request (its hash differs)');
  return given;
}

/** Why a text cannot be stored, or null: too long, or not stored as sent (textFault: U+0000, a lone surrogate). */
export function textProblem(x: string): string | null {
  if (x.length > MAX_TEXT_CHARS) return `is longer than ${MAX_TEXT_CHARS} characters`;
  return textFault(x);
}

export function checkText(x: unknown, what: string): string {
  if (typeof x !== "string" || x.length === 0) throw badRequest(`${what} must be a non-empty string`);
  const problem = textProblem(x);
  if (problem !== null) throw badRequest(`${what} ${problem}`);
  return x;
}

/** `teachers`: the operator's declared teachers, which tasks refer to by name; `hasUpstream`: whether a pass-through LLM is configured. */
export function registerTaskRoutes(app: FastifyInstance, deps: RouteDeps & { teachers: TeacherRegistry; hasUpstream: boolean }): void {
  const { store, runtimes, teachers, metrics, hasUpstream } = deps;
  const admin = { config: { access: "admin" as const } };
  const predict = { config: { access: "predict" as const } };

  app.post("/v1/tasks", admin, async (request, reply) => {
    const task = toTask(request.body, teachers, hasUpstream);
    try {
      const record = await store.tasks.create(task);
      // Fields only the teacher can answer are said at once: they keep every request on the teacher.
      const notices = isStructuredTask(task) ? teacherOnlyNotices(outputFields(task)) : [];
      return reply.code(201).send(notices.length === 0 ? record : { ...record, notices });
    } catch (err) {
      if (err instanceof StoreConflictError) throw conflict(err.message);
      throw err;
    }
  });

  app.get("/v1/tasks", admin, async () => ({ data: await store.tasks.list() }));

  app.get<NameParams>("/v1/tasks/:name", admin, async (request) => {
    const record = await store.tasks.get(request.params.name);
    if (record === null) throw notFound(`no task "${request.params.name}"`);
    const rt = await runtimes.get(record.name);
    const teacher = rt === null ? null : { ...teachers.describe(rt.task), on_failure: rt.task.teacher.on_failure, circuit: rt.breaker.snapshot() };
    // none_label: the answer that means "none of these", which people may give in reviews and corrections.
    return { ...record, none_label: noneAnswerOf(record.definition) ?? null, model_version: rt?.modelVersion ?? null, cascade: rt?.cascade.stats() ?? null, teacher };
  });

  app.patch<NameParams>("/v1/tasks/:name", admin, async (request) => {
    const { name } = request.params;
    const existing = await store.tasks.get(name);
    if (existing === null) throw notFound(`no task "${name}"`);
    if (!isObject(request.body)) throw badRequest("the body must be a JSON object with the task's fields to change");
    if (request.body.name !== undefined && request.body.name !== name) {
      // A captured task can be renamed (its data and calls move with it); a declared one is recreated under the new name.
      throw badRequest(isCapturedTask(existing.definition) ? `cannot rename task "${name}" here: it is a captured task, renamed with PATCH /v1/captured/${name} {"name": ...}` : `cannot rename task "${name}": create a new task instead`);
    }
    // A change that leaves the teacher block alone keeps it as stored (a task from before teachers were declared included).
    const task = toTask({ ...existing.definition, ...request.body, name }, teachers, hasUpstream, request.body.teacher !== undefined);
    try {
      const record = await store.tasks.update(name, task);
      await runtimes.drop(name);
      return record;
    } catch (err) {
      if (err instanceof StoreNotFoundError) throw notFound(err.message);
      throw err;
    }
  });

  app.delete<NameParams>("/v1/tasks/:name", admin, async (request, reply) => {
    const { name } = request.params;
    await runtimes.drop(name);
    const existed = await store.tasks.delete(name);
    if (!existed) throw notFound(`no task "${name}"`);
    return reply.code(204).send();
  });

  // Encapsulated: this route's JSON bodies are parsed as they arrive (a batch is up to the body
  // limit, 5 MiB by default), every other route keeps Fastify's parser.
  app.register(async (scope) => {
    scope.removeContentTypeParser("application/json");
    scope.addContentTypeParser("application/json", (request: FastifyRequest, payload: Readable) => readJsonObjectBody(request, payload));
    scope.post<NameParams>("/v1/tasks/:name/predict", predict, async (request, reply) => {
      const rt = await runtimeOf(runtimes, request.params.name);
      const body = request.body;
      if (!isObject(body)) throw badRequest('the body must be {"input": "..."} or {"inputs": ["...", ...]}');
      if (body.input !== undefined && body.inputs !== undefined) throw badRequest('give either "input" or "inputs", not both');
      const route = routeMode(body.route);
      if (route === "teacher") requireForceTeacher(request.apiKey);
      const options = { metrics, route, caller: { key: request.apiKey, via: "predict" as const } };
      if (body.input !== undefined) return predictOne(app.requestLog, rt, checkText(body.input, "input"), request.id, options);
      if (!Array.isArray(body.inputs)) throw badRequest('the body must be {"input": "..."} or {"inputs": ["...", ...]}');
      if (body.inputs.length === 0) throw badRequest('"inputs" is empty');
      if (body.inputs.length > MAX_PREDICT_INPUTS) throw badRequest(`at most ${MAX_PREDICT_INPUTS} inputs per request, got ${body.inputs.length}`);
      const inputs = body.inputs.map((x: unknown, i: number) => checkText(x, `inputs[${i}]`));
      const chars = inputs.reduce((n: number, x: string) => n + x.length, 0);
      if (chars > MAX_BATCH_CHARS) throw new HttpError(413, `"inputs" total ${chars} characters, over the limit of ${MAX_BATCH_CHARS} per request; split the batch`, "invalid_request_error", "batch_too_large");
      return batchReply(reply, await predictMany(app.requestLog, rt, inputs, options));
    });
  });

  app.post<NameParams>("/v1/tasks/:name/feedback", admin, async (request) => {
    const rt = await runtimeOf(runtimes, request.params.name);
    const body = request.body;
    const answerField = isStructuredTask(rt.task) ? '"output": {...}' : '"label": "..."';
    if (!isObject(body) || typeof body.request_id !== "string" || (body.text !== undefined && typeof body.text !== "string")) {
      throw badRequest(`the body must be {"request_id": "...", ${answerField}} (plus "text" for tasks that keep only a hash of inputs)`);
    }
    // Under hash_inputs a lone surrogate and U+FFFD hash alike: the text must be one that reads back as sent.
    if (body.text !== undefined) checkText(body.text, '"text"');
    const logged = await app.requestLog.get(body.request_id);
    if (logged === null || logged.task !== rt.task.name) throw notFound(`no request "${body.request_id}" for task "${rt.task.name}"`);
    const text = feedbackText(logged, body.text);
    let label: string;
    try {
      label = givenAnswer(rt.task, body, text);
    } catch (err) {
      if (err instanceof AnswerError) throw badRequest(err.message);
      throw err;
    }
    await rt.addHumanLabels([{ text, label }], "feedback", request.apiKey);
    rt.scheduleRetrain();
    return { ok: true, request_id: logged.id, label, previous_label: logged.label };
  });

  app.post<NameParams>("/v1/tasks/:name/retrain", admin, async (request) => {
    const rt = await runtimeOf(runtimes, request.params.name);
    try {
      const report = await rt.retrainNow();
      return { ...report, model_version: rt.modelVersion };
    } catch (err) {
      if (err instanceof RetrainBusyError) throw conflict(err.message);
      throw err;
    }
  });

  app.get<NameParams & { Querystring: { since?: string; until?: string } }>("/v1/tasks/:name/stats", admin, async (request) => {
    const rt = await runtimeOf(runtimes, request.params.name);
    const window = { ...timeParam(request.query.since, "since"), ...timeParam(request.query.until, "until") };
    try {
      await app.requestLog.flush();
      const stats = taskStats(await store.requests.stats(rt.task.name, { ...window, noneLabel: noneAnswerOf(rt.task) }), rt.task);
      if (isStructuredTask(rt.task)) {
        const disagreements = await store.requests.auditDisagreements(rt.task.name, window, MAX_FIELD_AUDITS);
        stats.audit = { ...stats.audit, field_disagreements: fieldDisagreements(outputFields(rt.task), disagreements) };
      }
      return { ...stats, model_version: rt.modelVersion, examples: rt.cascade.store.size, budget: await taskBudgetUse(store, rt.task) };
    } catch (err) {
      if (err instanceof StoreError) throw badRequest(err.message);
      throw err;
    }
  });
}
