// A task's request log over HTTP (admin only), for the dashboard's Requests page: pages of
// requests newest first, filtered by source, label, time and text, and one request with what the
// teacher said about it.
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { REQUEST_SOURCES, type RequestCursor, type RequestFilter, type RequestRecord, type Store } from "../../store/index.js";
import { EXAMPLE_SOURCES, REQUEST_STATUSES } from "../../store/schema.js";
import { epochMsSchema, taskNameSchema } from "../http/api-schemas.js";
import { badRequest, notFound } from "../http/errors.js";
import { enumSchema, integerSchema, stringSchema, timeWindowQuery } from "../http/query-params.js";
import { route } from "../http/route.js";
import { MAX_TEXT_CHARS } from "./tasks.js";

export const DEFAULT_REQUEST_PAGE = 50;
export const MAX_REQUEST_PAGE = 200;
const SOURCE_FILTERS = ["any", ...REQUEST_SOURCES] as const;

/** `before` on the wire: `<created_at>:<id>` of the last request of the previous page. */
const CursorSchema = stringSchema().transform((raw, ctx): RequestCursor => {
  const match = /^(\d{1,16}):(.{1,200})$/.exec(raw);
  if (match !== null) return { created_at: Number(match[1]), id: match[2] };
  ctx.addIssue({ code: "custom", message: `must be the "next_before" of a previous page (<time>:<id>), got ${JSON.stringify(raw)}` });
  return z.NEVER;
});

const RequestSearchQuery = z
  .object({
    limit: integerSchema(`Page size, at most ${MAX_REQUEST_PAGE}.`, 1, MAX_REQUEST_PAGE, DEFAULT_REQUEST_PAGE),
    before: CursorSchema.optional().describe("The previous page's `next_before`."),
    source: enumSchema("Who answered.", SOURCE_FILTERS, "any"),
    label: stringSchema().optional().describe("Only requests answered with this label."),
    ...timeWindowQuery(),
    q: stringSchema()
      .max(MAX_TEXT_CHARS, `is longer than ${MAX_TEXT_CHARS} characters`)
      .optional()
      .describe("Text the input contains, case-insensitive (ASCII letters only on SQLite). Refused (400) for tasks that keep only a hash of their inputs."),
  });

const LoggedRequestSchema = z
  .object({
    id: z.string().describe("The request id (a prediction's `request_id`)."),
    created_at: epochMsSchema("When the request arrived"),
    key_id: z.number().int().nullable().describe("The API key that sent it (null: logged before keys were recorded)."),
    key_name: z.string().nullable().describe("That key's name when the request was logged."),
    input: z.string().nullable().describe("The input; null when the task keeps only its hash (`privacy: hash_inputs`)."),
    label: z.string().nullable().describe("The label answered; null when nobody could answer."),
    source: z.enum(REQUEST_SOURCES).describe("Who answered."),
    status: z.enum(REQUEST_STATUSES),
    confidence: z.number().nullable().describe("The specialist's confidence in its answer; null when it did not answer."),
    threshold: z.number().nullable().describe("The router's confidence threshold when the request was answered; null without one, or for requests logged before it was recorded."),
    model_version: z.number().int().nullable(),
    latency_ms: z.number(),
    cost: z.number().describe("Teacher cost of the request, in the currency of the task's prices."),
    audited: z.boolean().describe("The teacher was also asked, to check the specialist's answer."),
    teacher_label: z.string().nullable().describe("The teacher's label when it was asked and answered validly."),
  })
  .meta({ id: "LoggedRequest" });

const RequestPageSchema = z
  .object({
    data: z.array(LoggedRequestSchema).describe("Newest first."),
    next_before: z.string().nullable().describe("Pass as `before` for the next (older) page; null on the last page."),
  })
  .meta({ id: "RequestPage" });

const LoggedRequestDetailSchema = z
  .intersection(
    LoggedRequestSchema,
    z.object({
      teacher_asked: z.boolean().describe("The teacher was called for this request (it answered, audited, or failed)."),
      audit_agreed: z.boolean().nullable().describe("Audited requests: whether the teacher's label is the one answered; null otherwise."),
      example: z
        .object({ label: z.string(), source: z.enum(EXAMPLE_SOURCES), origin: z.string().nullable(), updated_at: epochMsSchema("Last change") })
        .nullable()
        .describe("The example the task now holds for this input's text (e.g. after feedback); null when there is none or the input was not kept."),
    }),
  )
  .meta({ id: "LoggedRequestDetail" });

const cursorText = (cursor: RequestCursor | null): string | null => (cursor === null ? null : `${cursor.created_at}:${cursor.id}`);

/** A logged request as the API shows it (the dashboard's type too). */
export type LoggedRequest = ReturnType<typeof requestView>;

function requestView(r: RequestRecord) {
  return {
    id: r.id,
    created_at: r.created_at,
    key_id: r.key_id,
    key_name: r.key_name,
    input: r.input,
    label: r.label,
    source: r.source,
    status: r.status,
    confidence: r.confidence,
    threshold: r.threshold,
    model_version: r.model_version,
    latency_ms: r.latency_ms,
    cost: r.cost,
    audited: r.audited,
    teacher_label: r.teacher_label,
  };
}

export function registerRequestRoutes(app: FastifyInstance, store: Store): void {
  route(
    app,
    {
      method: "GET",
      url: "/v1/tasks/:name/requests",
      access: "admin",
      tag: "Requests",
      summary: "Search a task's request log, newest first, a page at a time",
      description:
        "Keyset pagination: pass the reply's `next_before` as `before` for the next page (stable while new requests arrive). " +
        'Rows are kept as long as retention allows (README "Retention").',
      query: RequestSearchQuery,
      replies: { 200: { description: "A page of requests.", schema: RequestPageSchema } },
      errors: { 404: "No such task." },
    },
    async ({ params: { name }, query: { limit, before, source, label, since, until, q } }) => {
      const task = await store.tasks.get(name);
      if (task === null) throw notFound(`no task "${name}"`);
      if (q !== undefined && q !== "" && task.definition.privacy === "hash_inputs") {
        throw badRequest(`q: task "${task.name}" keeps only a hash of its inputs (privacy: hash_inputs), so its requests cannot be searched by text`);
      }
      const filter: RequestFilter = {
        ...(since === undefined ? {} : { since }),
        ...(until === undefined ? {} : { until }),
        ...(source === "any" ? {} : { source }),
        ...(label === undefined ? {} : { label }),
        ...(q === undefined ? {} : { text: q }),
      };
      await app.requestLog.flush();
      const page = await store.requests.search(task.name, filter, limit, before ?? null);
      return { data: page.data.map(requestView), next_before: cursorText(page.next) };
    },
  );

  route(
    app,
    {
      method: "GET",
      url: "/v1/tasks/:name/requests/:id",
      access: "admin",
      tag: "Requests",
      summary: "One logged request, with the teacher's answer, the audit's result and the example its text became",
      description: "To correct its label, send the id to the feedback route.",
      params: z.object({ name: taskNameSchema, id: z.string().meta({ description: "The request id.", examples: ["018f3a2b…"] }) }),
      replies: { 200: { description: "The request.", schema: LoggedRequestDetailSchema } },
      errors: { 404: "No such task, or no such request for this task." },
    },
    async ({ params: { name, id } }) => {
      if ((await store.tasks.get(name)) === null) throw notFound(`no task "${name}"`);
      // The logger first: a request answered in the last few milliseconds may not be written yet.
      const logged = await app.requestLog.get(id);
      if (logged === null || logged.task !== name) throw notFound(`no request "${id}" for task "${name}"`);
      const example = logged.input === null ? null : await store.examples.get(name, logged.input);
      return {
        ...requestView(logged),
        teacher_asked: logged.source === "teacher" || logged.audited || logged.status === "teacher_invalid" || logged.status === "teacher_error",
        audit_agreed: logged.audited && logged.teacher_label !== null && logged.label !== null ? logged.teacher_label === logged.label : null,
        example: example === null ? null : { label: example.label, source: example.source, origin: example.origin, updated_at: example.updated_at },
      };
    },
  );
}
