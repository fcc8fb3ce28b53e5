// A task's request log over HTTP (admin only), for the dashboard's Requests page: pages of
// requests newest first, filtered by source, label, time and text, and one request with what the
// teacher said about it. Documented beside the handlers (requestRouteDocs, requestSchemas).
import type { FastifyInstance } from "fastify";
import { REQUEST_SOURCES, type RequestCursor, type RequestFilter, type RequestRecord, type RequestSource, type Store } from "../../store/index.js";
import { badRequest, notFound } from "../http/errors.js";
import { arrayOf, bool, epochMs, int, jsonReply, nullable, num, object, oneOfStrings, ref, str, type RouteDoc, type Schema } from "../docs/openapi-shapes.js";
import { enumParam, integerParam, singleValues, timeParam, type Query } from "../http/query-params.js";
import { MAX_TEXT_CHARS } from "./tasks.js";

export const DEFAULT_REQUEST_PAGE = 50;
export const MAX_REQUEST_PAGE = 200;
const SOURCE_FILTERS = ["any", ...REQUEST_SOURCES] as const;

/** `before` on the wire: `<created_at>:<id>` of the last request of the previous page. */
function cursorParam(raw: string | undefined): RequestCursor | null {
  if (raw === undefined) return null;
  const match = /^(\d{1,16}):(.{1,200})$/.exec(raw);
  if (match === null) throw badRequest(`before must be the "next_before" of a previous page (<time>:<id>), got ${JSON.stringify(raw)}`);
  return { created_at: Number(match[1]), id: match[2] };
}

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
  const admin = { config: { access: "admin" as const } };

  app.get<{ Params: { name: string }; Querystring: Query }>("/v1/tasks/:name/requests", admin, async (request) => {
    const params = singleValues(request.query, ["limit", "before", "source", "label", "since", "until", "q"]);
    const limit = integerParam(params, "limit", DEFAULT_REQUEST_PAGE, 1, MAX_REQUEST_PAGE);
    const after = cursorParam(params.get("before"));
    const source = enumParam(params, "source", SOURCE_FILTERS, "any");
    const text = params.get("q");
    if (text !== undefined && text.length > MAX_TEXT_CHARS) throw badRequest(`q is longer than ${MAX_TEXT_CHARS} characters`);
    const window = { ...timeParam(params.get("since"), "since"), ...timeParam(params.get("until"), "until") };
    const task = await store.tasks.get(request.params.name);
    if (task === null) throw notFound(`no task "${request.params.name}"`);
    if (text !== undefined && text !== "" && task.definition.privacy === "hash_inputs") {
      throw badRequest(`q: task "${task.name}" keeps only a hash of its inputs (privacy: hash_inputs), so its requests cannot be searched by text`);
    }
    const filter: RequestFilter = {
      ...window,
      ...(source === "any" ? {} : { source: source as RequestSource }),
      ...(params.has("label") ? { label: params.get("label")! } : {}),
      ...(text === undefined ? {} : { text }),
    };
    await app.requestLog.flush();
    const page = await store.requests.search(task.name, filter, limit, after);
    return { data: page.data.map(requestView), next_before: cursorText(page.next) };
  });

  app.get<{ Params: { name: string; id: string }; Querystring: Query }>("/v1/tasks/:name/requests/:id", admin, async (request) => {
    singleValues(request.query, []);
    const { name, id } = request.params;
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
  });
}

export function requestSchemas(): Record<string, Schema> {
  return {
    LoggedRequest: object({
      id: str("The request id (a prediction's `request_id`)."),
      created_at: epochMs("When the request arrived"),
      key_id: nullable(int("The API key that sent it (null: logged before keys were recorded).")),
      key_name: nullable(str("That key's name when the request was logged.")),
      input: nullable(str("The input; null when the task keeps only its hash (`privacy: hash_inputs`).")),
      label: nullable(str("The label answered; null when nobody could answer.")),
      source: oneOfStrings(REQUEST_SOURCES, "Who answered."),
      status: oneOfStrings(["ok", "teacher_invalid", "teacher_error", "degraded"]),
      confidence: nullable(num("The specialist's confidence in its answer; null when it did not answer.")),
      threshold: nullable(num("The router's confidence threshold when the request was answered; null without one, or for requests logged before it was recorded.")),
      model_version: nullable(int()),
      latency_ms: num(),
      cost: num("Teacher cost of the request, in the currency of the task's prices."),
      audited: bool("The teacher was also asked, to check the specialist's answer."),
      teacher_label: nullable(str("The teacher's label when it was asked and answered validly.")),
    }),
    RequestPage: object({
      data: arrayOf(ref("LoggedRequest"), { description: "Newest first." }),
      next_before: nullable(str("Pass as `before` for the next (older) page; null on the last page.")),
    }),
    LoggedRequestDetail: {
      allOf: [
        ref("LoggedRequest"),
        object({
          teacher_asked: bool("The teacher was called for this request (it answered, audited, or failed)."),
          audit_agreed: nullable(bool("Audited requests: whether the teacher's label is the one answered; null otherwise.")),
          example: nullable({
            ...object({ label: str(), source: oneOfStrings(["human", "feedback", "teacher", "import"]), origin: nullable(str()), updated_at: epochMs("Last change") }),
            description: "The example the task now holds for this input's text (e.g. after feedback); null when there is none or the input was not kept.",
          }),
        }),
      ],
    },
  };
}

export function requestRouteDocs(): RouteDoc[] {
  return [
    {
      method: "get",
      path: "/v1/tasks/{name}/requests",
      tag: "Requests",
      summary: "Search a task's request log, newest first, a page at a time",
      description:
        "Keyset pagination: pass the reply's `next_before` as `before` for the next page (stable while new requests arrive). " +
        "Rows are kept as long as retention allows (README \"Retention\").",
      access: "admin",
      query: [
        { name: "limit", description: `Page size, at most ${MAX_REQUEST_PAGE}.`, schema: { type: "integer", minimum: 1, maximum: MAX_REQUEST_PAGE, default: DEFAULT_REQUEST_PAGE } },
        { name: "before", description: "The previous page's `next_before`.", schema: str() },
        { name: "source", description: "Who answered.", schema: { ...oneOfStrings(SOURCE_FILTERS), default: "any" } },
        { name: "label", description: "Only requests answered with this label.", schema: str() },
        { name: "since", description: "Window start (inclusive): epoch milliseconds or an ISO 8601 date.", schema: str() },
        { name: "until", description: "Window end (exclusive): epoch milliseconds or an ISO 8601 date.", schema: str() },
        { name: "q", description: "Text the input contains, case-insensitive (ASCII letters only on SQLite). Refused (400) for tasks that keep only a hash of their inputs.", schema: str() },
      ],
      ok: { 200: jsonReply("A page of requests.", ref("RequestPage")) },
      errors: { 400: "A query parameter is invalid (the message names it).", 404: "No such task." },
    },
    {
      method: "get",
      path: "/v1/tasks/{name}/requests/{id}",
      tag: "Requests",
      summary: "One logged request, with the teacher's answer, the audit's result and the example its text became",
      description: "To correct its label, send the id to the feedback route.",
      access: "admin",
      pathParams: { id: { name: "id", description: "The request id.", schema: str(), example: "018f3a2b…" } },
      ok: { 200: jsonReply("The request.", ref("LoggedRequestDetail")) },
      errors: { 404: "No such task, or no such request for this task." },
    },
  ];
}
