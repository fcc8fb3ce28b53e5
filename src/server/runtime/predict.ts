// Answering prediction requests through a task's cascade: what each answer reports and the
// request-log row it leaves. Shared by the predict route and the OpenAI-compatible chat route.
import { Readable } from "node:stream";
import type { FastifyReply } from "fastify";
import { NoSpecialistError, type AskTeacher, type CascadeAnswer } from "../../cascade/cascade.js";
import type { RouteMode } from "../../cascade/router.js";
import { textHash, type RequestInput } from "../../store/index.js";
import { parseCanonical, type StructuredObject } from "../../engine/structured-answer.js";
import { StructuredSpecialist, type StructuredPrediction } from "../../engine/structured-specialist.js";
import { isStructuredTask } from "../../task/structured.js";
import type { TeacherAnswer } from "../../teacher/types.js";
import { conflict, HttpError } from "../http/errors.js";
import { sliceWait } from "../http/event-loop-share.js";
import type { GatewayMetrics } from "../operations/metrics.js";
import { requestId } from "../http/request-id.js";
import type { RequestLogger } from "./request-log-buffer.js";
import type { RequestCaller } from "./teacher-budget.js";
import type { TaskRuntime } from "./task-runtime.js";

export interface PredictResult {
  input: string;
  label: string | null;
  confidence: number | null;
  source: "specialist" | "teacher" | "none";
  route: "auto" | "specialist" | "teacher";
  model_version: number | null;
  request_id: string;
  latency_ms: number;
  /** `degraded`: the teacher failed and the specialist's prediction stands in (see the task's `teacher.on_failure`). */
  status: "ok" | "teacher_invalid" | "teacher_error" | "degraded";
  /** The answer is the specialist's fallback for a failed teacher: not checked, not learned from. */
  degraded: boolean;
  /** Structured tasks: the answer as an object (`label` is its canonical JSON); null without an answer. */
  output?: StructuredObject | null;
  /** Structured tasks, specialist answers: each field's probability, and where extracted values are in the input. */
  fields?: Record<string, { confidence: number; spans?: { start: number; end: number; text: string; probability: number }[] }>;
}

/**
 * A structured answer's object, and for a specialist answer its fields' probabilities and spans
 * (the specialist keeps its last prediction, the one the router just made for this text).
 */
function structuredParts(rt: TaskRuntime, input: string, answer: CascadeAnswer): Pick<PredictResult, "output" | "fields"> {
  if (!isStructuredTask(rt.task)) return {};
  const output = answer.label === null ? null : parseCanonical(answer.label);
  const specialist = rt.cascade.specialist;
  if (answer.source !== "specialist" || !(specialist instanceof StructuredSpecialist)) return { output };
  return { output, fields: fieldsView(specialist.predict(input)) };
}

/** Each field's probability and its values' spans, as predict and explain report them. */
export function fieldsView(prediction: StructuredPrediction): NonNullable<PredictResult["fields"]> {
  const fields: NonNullable<PredictResult["fields"]> = {};
  for (const [name, f] of Object.entries(prediction.fields)) {
    fields[name] = f.spans === undefined ? { confidence: f.confidence } : { confidence: f.confidence, spans: f.spans.map(({ start, end, text, probability }) => ({ start, end, text, probability })) };
  }
  return fields;
}

async function answerOf(rt: TaskRuntime, input: string, route: RouteMode, caller: RequestCaller | undefined, teacher: Pick<PredictOptions, "ask" | "shadow">): Promise<CascadeAnswer> {
  try {
    return await rt.handle(input, route, caller, teacher);
  } catch (err) {
    if (err instanceof NoSpecialistError) throw conflict(`${err.message}; use route "auto" or "teacher" until then`);
    throw err;
  }
}

export interface PredictOptions {
  metrics?: GatewayMetrics;
  route?: RouteMode;
  /** The request's key and route: budgets, the examples' provenance, whether the task learns from it. */
  caller?: RequestCaller;
  /** A captured call's own teacher, the upstream's answer to it (HandleOptions.ask). */
  ask?: AskTeacher;
  /** Shadow mode (HandleOptions.shadow): the teacher answers, the specialist's would-be answer is logged beside it. */
  shadow?: boolean;
}

/** Answers one input through the task's cascade; the caller logs the returned row under `id`. */
export async function answerOne(rt: TaskRuntime, input: string, id: string, options: PredictOptions): Promise<{ result: PredictResult; row: RequestInput; teacher: TeacherAnswer | undefined; answer: CascadeAnswer }> {
  const { metrics, route = "auto", caller, ask, shadow = false } = options;
  const started = performance.now();
  // The request's own time: its row may be written a few milliseconds later (request-log-buffer.ts).
  const receivedAt = Date.now();
  const answer = await answerOf(rt, input, route, caller, { ask, shadow });
  const latency = Math.round((performance.now() - started) * 1000) / 1000;
  const teacher = answer.teacher;
  const degraded = answer.degraded === true;
  const status = degraded ? "degraded" : answer.failed ? (teacher?.status === "invalid" ? "teacher_invalid" : "teacher_error") : "ok";
  const source = answer.failed ? "none" : answer.source;
  const version = answer.route.decision === "specialist" || answer.route.reason !== "no_specialist" ? rt.modelVersion : null;
  const confidence = answer.source === "specialist" ? (answer.route.confidence ?? null) : null;
  const hashed = rt.task.privacy === "hash_inputs";
  const row: RequestInput = {
    id,
    task: rt.task.name,
    // Under privacy: hash_inputs only the hash is kept (otherwise the store hashes the input).
    input: hashed ? null : input,
    input_hash: hashed ? textHash(input) : undefined,
    label: answer.label,
    confidence,
    source,
    model_version: version,
    latency_ms: latency,
    cost: answer.cost,
    audited: answer.audited,
    teacher_label: teacher?.label ?? null,
    status,
    created_at: receivedAt,
    key_id: caller?.key?.id ?? null,
    key_name: caller?.key?.name ?? null,
    // Read after answering: the threshold this answer was routed by (a retrain may move it later).
    threshold: rt.cascade.router.threshold,
    shadow,
    shadow_label: answer.shadow?.label ?? null,
  };
  metrics?.predictions.inc({ task: rt.task.name, source });
  if (teacher !== undefined && teacher !== null) metrics?.teacherCalls.inc({ task: rt.task.name, status: teacher.status });
  rt.scheduleRetrain();
  const result: PredictResult = { input, label: answer.label, confidence, source, route, model_version: version, request_id: id, latency_ms: latency, status, degraded, ...structuredParts(rt, input, answer) };
  return { result, row, teacher, answer };
}

/**
 * The error for a single prediction without an answer (already logged): 503 `teacher_unavailable`
 * when the teacher could not be reached or failed (with Retry-After while its circuit is open),
 * 502 `teacher_invalid` when it answered with no valid label. The teacher's reason is scrubbed of
 * its key by the teacher (scrub.ts).
 */
export function noAnswerError(rt: TaskRuntime, result: PredictResult, teacher: TeacherAnswer | undefined): HttpError {
  const reason = teacher?.reason ?? "no reason given";
  const fallback =
    result.route === "teacher"
      ? 'route "teacher" was asked for'
      : rt.task.teacher.on_failure === "fail"
        ? 'the task\'s teacher.on_failure is "fail"'
        : "the task has no specialist yet";
  const details = { request_id: result.request_id, status: result.status, reason };
  if (result.status === "teacher_invalid") {
    return new HttpError(502, `the teacher's answer is not a valid label (${reason}) and no specialist answer stands in (${fallback}); request ${result.request_id}`, "api_error", "teacher_invalid", details);
  }
  const retryAfter = teacher?.retry_after_ms;
  const headers = retryAfter === undefined ? undefined : { "retry-after": String(Math.max(1, Math.ceil(retryAfter / 1000))) };
  return new HttpError(503, `the teacher is unavailable (${reason}) and no specialist answer stands in (${fallback}); request ${result.request_id}`, "api_error", "teacher_unavailable", details, headers);
}

/**
 * Answers one input and logs the request (only a hash of the input under `privacy: hash_inputs`)
 * under `id`, the HTTP request's own id (app.ts makes those request ids too), so that a log line
 * and the logged prediction of one request carry the same id; throws noAnswerError() after
 * logging when there is no label to answer with.
 */
export async function predictOne(log: RequestLogger, rt: TaskRuntime, input: string, id: string, options: PredictOptions = {}): Promise<PredictResult> {
  const { result, row, teacher } = await answerOne(rt, input, id, options);
  await log.log(row);
  if (result.label === null) throw noAnswerError(rt, result, teacher);
  return result;
}

/**
 * Answers inputs in order (a later input may be answered by what the teacher said about an
 * earlier one), sharing the event loop with other requests between inputs (event-loop-share.ts:
 * a specialist's answer resolves through microtasks only, so a batch of 1,000 × 5,000 characters
 * held the loop, /healthz included, for over a second), and logs them
 * together: a batch of 1,000 is one statement per few hundred rows instead of a commit per input.
 * A teacher budget spent in the middle stops the batch: the inputs answered so far are logged,
 * and the 429 carries their results (`details.results`) so that the calls already paid for are
 * not lost; the others are not attempted.
 */
export async function predictMany(log: RequestLogger, rt: TaskRuntime, inputs: readonly string[], options: PredictOptions = {}): Promise<PredictResult[]> {
  const results: PredictResult[] = [];
  const rows: RequestInput[] = [];
  try {
    for (const input of inputs) {
      for (let wait = sliceWait(); wait !== null; wait = sliceWait()) await wait;
      // answerOne featurises and predicts before its first await: right after the check.
      const { result, row } = await answerOne(rt, input, requestId(), options);
      results.push(result);
      rows.push(row);
    }
  } catch (err) {
    await log.logMany(rows);
    if (err instanceof HttpError && err.code === "teacher_budget_exceeded") {
      const details = { ...(err.details as object), answered: results.length, of: inputs.length, results };
      throw new HttpError(err.statusCode, `${err.message} The batch stopped after ${results.length} of ${inputs.length} inputs (their results are in details.results).`, err.type, err.code, details, err.headers);
    }
    throw err;
  }
  await log.logMany(rows);
  return results;
}


/** Above this many characters of input a batch reply is streamed (batchReply). */
const STREAMED_REPLY_CHARS = 256 * 1024;

/**
 * The batch reply, `{"data": [results]}`. Each result echoes its input, so a batch of 1,000 ×
 * 5,000 characters is a 5 MB reply: serialized and written in one go it held the event loop for
 * tens of milliseconds. A big batch's reply is streamed instead, in pieces of about 64 KiB, each
 * serialized in a slice of the shared event loop (event-loop-share.ts) when the socket has taken
 * the previous one (one piece buffered: the default of 16 serialized a megabyte in one go). On
 * loopback the socket takes every piece at once, so without the slices the whole reply was still
 * serialized in one turn. A small reply is sent as before.
 */
export function batchReply(reply: FastifyReply, results: PredictResult[]): { data: PredictResult[] } | FastifyReply {
  let chars = 0;
  for (const r of results) chars += r.input.length;
  if (chars < STREAMED_REPLY_CHARS) return { data: results };
  return reply.type("application/json; charset=utf-8").send(Readable.from(replyPieces(results), { highWaterMark: 1 }));
}

async function* replyPieces(results: PredictResult[]): AsyncGenerator<string> {
  let piece = '{"data":[';
  for (let i = 0; i < results.length; i++) {
    for (let wait = sliceWait(); wait !== null; wait = sliceWait()) await wait;
    piece += (i === 0 ? "" : ",") + JSON.stringify(results[i]);
    if (piece.length >= 64 * 1024) {
      yield piece;
      piece = "";
    }
  }
  yield `${piece}]}`;
}
