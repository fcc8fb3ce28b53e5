// Task management under /v1/tasks: create, list, read, change and delete a task; the helpers the
// task's other routes share (predictions.ts, training.ts, examples.ts, insights.ts…). What each
// route answers is declared beside its handler (http/route.ts).
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { StoreConflictError, StoreNotFoundError, type Store } from "../../store/index.js";
import { textFault } from "../../data/text.js";
import { OUTPUT_EXAMPLE } from "../../task/output-schema.js";
import { parseAnyTask, isCapturedTask, isStructuredTask, outputFields, type AnyTask } from "../../task/structured.js";
import { teacherOnlyNotices } from "../../task/output-fields.js";
import { badRequest, conflict, notFound } from "../http/errors.js";
import { route } from "../http/route.js";
import type { GatewayMetrics } from "../operations/metrics.js";
import { noneAnswerOf } from "../runtime/answers.js";
import type { TaskRuntime, TaskRuntimes } from "../runtime/task-runtime.js";
import { isTaskRefusal, type TeacherRegistry } from "../runtime/teachers.js";
import { TaskCreatedSchema, TaskDetailSchema, TaskInputSchema, TaskPatchSchema, TaskRecordSchema } from "./task-schemas.js";

export const MAX_TEXT_CHARS = 100_000;

export interface RouteDeps {
  store: Store;
  runtimes: TaskRuntimes;
  metrics?: GatewayMetrics;
}

export const NOT_FOUND_TASK = "No such task.";

const TASK_EXAMPLE = {
  name: "banking-demo",
  instructions: "Classify the customer's message into one support intent.",
  labels: [{ name: "card_arrival", answer: "Cards usually arrive within a week." }, { name: "lost_card" }],
  teacher: { name: "default" },
  routing: { max_error: 0.05, confidence_level: 0.95 },
};
const STRUCTURED_TASK_EXAMPLE = { name: "transfers", instructions: "Read the banking app user's request.", output: OUTPUT_EXAMPLE };

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
  if (task.none?.upstream_model !== undefined && !hasUpstream) {
    throw badRequest("invalid task: none.upstream_model: this gateway has no upstream LLM to pass none-of-these requests to (set APPRENTICE_UPSTREAM_BASE_URL or OPENAI_BASE_URL), so set none.answer instead");
  }
  return task;
}

export async function runtimeOf(runtimes: TaskRuntimes, name: string): Promise<TaskRuntime> {
  const rt = await runtimes.get(name);
  if (rt === null) throw notFound(`no task "${name}"`);
  return rt;
}

/** Why a text cannot be stored, or null: too long, or not stored as sent (textFault: U+0000, a lone surrogate). */
export function textProblem(x: string): string | null {
  if (x.length > MAX_TEXT_CHARS) return `is longer than ${MAX_TEXT_CHARS} characters`;
  return textFault(x);
}

/** A text to answer or label: non-empty, and what textProblem accepts (the body schemas' field, and checkText's rule). */
export const InputTextSchema = z
  .string({ error: "must be a non-empty string" })
  .min(1, "must be a non-empty string")
  .max(MAX_TEXT_CHARS, `is longer than ${MAX_TEXT_CHARS} characters`)
  .superRefine((text, ctx) => {
    const fault = textFault(text);
    if (fault !== null) ctx.addIssue({ code: "custom", message: fault });
  });

/** `x` as a text to answer, or a 400 naming it as `what` (a text found inside a body, e.g. a chat message's). */
export function checkText(x: unknown, what: string): string {
  const result = InputTextSchema.safeParse(x);
  if (!result.success) throw badRequest(`${what} ${result.error.issues[0].message}`);
  return result.data;
}

/** `teachers`: the operator's declared teachers, which tasks refer to by name; `hasUpstream`: whether a pass-through LLM is configured. */
export function registerTaskRoutes(app: FastifyInstance, deps: RouteDeps & { teachers: TeacherRegistry; hasUpstream: boolean }): void {
  const { store, runtimes, teachers, hasUpstream } = deps;

  route(
    app,
    {
      method: "POST",
      url: "/v1/tasks",
      access: "admin",
      tag: "Tasks",
      summary: "Create a task",
      description:
        "Settings left out take their defaults; the stored definition has them all. " +
        "A label task names its `labels` (the example below); a structured task gives an `output` block instead, e.g. " +
        `\`${JSON.stringify(STRUCTURED_TASK_EXAMPLE)}\`. ` +
        "A structured field the specialist cannot learn (a free string, a number) is kept for the teacher alone and named in the reply's `notices`.",
      rawBody: TaskInputSchema,
      bodyExample: TASK_EXAMPLE,
      replies: { 201: { description: "Created; a structured task's reply may carry `notices`.", schema: TaskCreatedSchema } },
      errors: { 400: "The definition is invalid: every problem is named by its path (`invalid task: routing.max_error: …`).", 409: "A task with this name exists." },
    },
    async ({ body }, _request, reply) => {
      const task = toTask(body, teachers, hasUpstream);
      try {
        const record = await store.tasks.create(task);
        // Fields only the teacher can answer are said at once: they keep every request on the teacher.
        const notices = isStructuredTask(task) ? teacherOnlyNotices(outputFields(task)) : [];
        return reply.code(201).send(notices.length === 0 ? record : { ...record, notices });
      } catch (err) {
        if (err instanceof StoreConflictError) throw conflict(err.message);
        throw err;
      }
    },
  );

  route(
    app,
    { method: "GET", url: "/v1/tasks", access: "admin", tag: "Tasks", summary: "List the tasks", replies: { 200: { description: "The tasks.", schema: z.object({ data: z.array(TaskRecordSchema) }) } } },
    async () => ({ data: await store.tasks.list() }),
  );

  route(
    app,
    {
      method: "GET",
      url: "/v1/tasks/:name",
      access: "admin",
      tag: "Tasks",
      summary: "Get a task, its live model version and cascade counters",
      replies: { 200: { description: "The task.", schema: TaskDetailSchema } },
      errors: { 404: NOT_FOUND_TASK },
    },
    async ({ params: { name } }) => {
      const record = await store.tasks.get(name);
      if (record === null) throw notFound(`no task "${name}"`);
      const rt = await runtimes.get(record.name);
      const teacher = rt === null ? null : { ...teachers.describe(rt.task), on_failure: rt.task.teacher.on_failure, circuit: rt.breaker.snapshot() };
      return { ...record, none_label: noneAnswerOf(record.definition) ?? null, model_version: rt?.modelVersion ?? null, cascade: rt?.cascade.stats() ?? null, teacher };
    },
  );

  route(
    app,
    {
      method: "PATCH",
      url: "/v1/tasks/:name",
      access: "admin",
      tag: "Tasks",
      summary: "Change a task's settings",
      description: "Merges the given top-level fields into the stored definition and validates the result; the task's runtime reloads with it.",
      rawBody: TaskPatchSchema,
      bodyExample: { routing: { max_error: 0.02 } },
      replies: { 200: { description: "The updated task.", schema: TaskRecordSchema } },
      errors: { 400: "The body is not an object, renames the task, or the merged definition is invalid (every problem named by its path).", 404: NOT_FOUND_TASK },
    },
    async ({ params: { name }, body }) => {
      const existing = await store.tasks.get(name);
      if (existing === null) throw notFound(`no task "${name}"`);
      if (!isObject(body)) throw badRequest("the body must be a JSON object with the task's fields to change");
      if (body.name !== undefined && body.name !== name) {
        // A captured task can be renamed (its data and calls move with it); a declared one is recreated under the new name.
        throw badRequest(isCapturedTask(existing.definition) ? `cannot rename task "${name}" here: it is a captured task, renamed with PATCH /v1/captured/${name} {"name": ...}` : `cannot rename task "${name}": create a new task instead`);
      }
      // A change that leaves the teacher block alone keeps it as stored (a task from before teachers were declared included).
      const task = toTask({ ...existing.definition, ...body, name }, teachers, hasUpstream, body.teacher !== undefined);
      try {
        const record = await store.tasks.update(name, task);
        await runtimes.drop(name);
        return record;
      } catch (err) {
        if (err instanceof StoreNotFoundError) throw notFound(err.message);
        throw err;
      }
    },
  );

  route(
    app,
    {
      method: "DELETE",
      url: "/v1/tasks/:name",
      access: "admin",
      tag: "Tasks",
      summary: "Delete a task with its examples, requests and models",
      replies: { 204: { description: "Deleted." } },
      errors: { 404: NOT_FOUND_TASK },
    },
    async ({ params: { name } }, _request, reply) => {
      await runtimes.drop(name);
      const existed = await store.tasks.delete(name);
      if (!existed) throw notFound(`no task "${name}"`);
      return reply.code(204).send();
    },
  );
}
