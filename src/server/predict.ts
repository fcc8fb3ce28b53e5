// Answering prediction requests through a task's cascade: what each answer reports and the
// request-log row it leaves. Shared by the predict route and the OpenAI-compatible chat route.
import { NoSpecialistError, type CascadeAnswer } from "../cascade/cascade.js";
import type { RouteMode } from "../cascade/router.js";
import { textHash, type RequestInput } from "../store/index.js";
import { badRequest, conflict } from "./errors.js";
import type { GatewayMetrics } from "./metrics.js";
import { requestId } from "./request-id.js";
import type { RequestLogger } from "./request-log-buffer.js";
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
  status: "ok" | "teacher_invalid" | "teacher_error";
}

const ROUTE_MODES: readonly RouteMode[] = ["auto", "specialist", "teacher"];

export function routeMode(x: unknown): RouteMode {
  if (x === undefined) return "auto";
  if (typeof x === "string" && (ROUTE_MODES as readonly string[]).includes(x)) return x as RouteMode;
  throw badRequest(`"route" must be one of ${ROUTE_MODES.join(", ")}`);
}

async function answerOf(rt: TaskRuntime, input: string, route: RouteMode): Promise<CascadeAnswer> {
  try {
    return await rt.handle(input, route);
  } catch (err) {
    if (err instanceof NoSpecialistError) throw conflict(`${err.message}; use route "auto" or "teacher" until then`);
    throw err;
  }
}

/** Answers one input through the task's cascade; the caller logs the returned row. */
async function answerOne(rt: TaskRuntime, input: string, metrics: GatewayMetrics | undefined, route: RouteMode): Promise<{ result: PredictResult; row: RequestInput }> {
  const started = performance.now();
  // The request's own time: its row may be written a few milliseconds later (request-log-buffer.ts).
  const receivedAt = Date.now();
  const id = requestId(receivedAt);
  const answer = await answerOf(rt, input, route);
  const latency = Math.round((performance.now() - started) * 1000) / 1000;
  const teacher = answer.teacher;
  const status = answer.failed ? (teacher?.status === "invalid" ? "teacher_invalid" : "teacher_error") : "ok";
  const source = answer.failed ? "none" : answer.source;
  const version = answer.route.decision === "specialist" || answer.route.reason !== "no_specialist" ? rt.modelVersion : null;
  const confidence = answer.source === "specialist" ? (answer.route.confidence ?? null) : null;
  const row: RequestInput = {
    id,
    task: rt.task.name,
    ...(rt.task.privacy === "hash_inputs" ? { input: null, input_hash: textHash(input) } : { input }),
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
  };
  metrics?.predictions.inc({ task: rt.task.name, source });
  if (teacher !== undefined && teacher !== null) metrics?.teacherCalls.inc({ task: rt.task.name, status: teacher.status });
  rt.scheduleRetrain();
  const result: PredictResult = { input, label: answer.label, confidence, source, route, model_version: version, request_id: id, latency_ms: latency, status };
  return { result, row };
}

/** Answers one input and logs the request (only a hash of the input under `privacy: hash_inputs`). */
export async function predictOne(log: RequestLogger, rt: TaskRuntime, input: string, metrics?: GatewayMetrics, route: RouteMode = "auto"): Promise<PredictResult> {
  const { result, row } = await answerOne(rt, input, metrics, route);
  await log.log(row);
  return result;
}

/**
 * Answers inputs in order (a later input may be answered by what the teacher said about an
 * earlier one) and logs them together: a batch of 1,000 is one statement per few hundred rows
 * instead of a commit per input.
 */
export async function predictMany(log: RequestLogger, rt: TaskRuntime, inputs: readonly string[], metrics?: GatewayMetrics, route: RouteMode = "auto"): Promise<PredictResult[]> {
  const results: PredictResult[] = [];
  const rows: RequestInput[] = [];
  for (const input of inputs) {
    const { result, row } = await answerOne(rt, input, metrics, route);
    results.push(result);
    rows.push(row);
  }
  await log.logMany(rows);
  return results;
}

