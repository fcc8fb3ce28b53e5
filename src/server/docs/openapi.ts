// The gateway's OpenAPI 3.1 document (GET /openapi.json) and a docs page that renders it (GET /docs).
// Most routes are described here by hand, in one table, because their files carry no schemas; the
// newer route files declare their documentation beside their handlers (keyRouteDocs,
// requestRouteDocs) and it is collected here. test/server/openapi.test.ts compares the table with
// the routes Fastify actually registered
// (method, path and `config.access`), so a route added without documentation fails the tests.
import { readFileSync } from "node:fs";
import type { FastifyInstance } from "fastify";
import { EXAMPLE_ORIGINS, EXAMPLE_SOURCES } from "../../store/schema.js";
import type { RouteAccess } from "../http/auth.js";
import { docsPage } from "./docs-page.js";
import type { RouteSpec } from "../http/route.js";
import { routeDocOf } from "./route-spec-docs.js";
import {
  arrayOf,
  bool,
  epochMs,
  ERROR_RESPONSES,
  int,
  jsonReply,
  nullable,
  object,
  oneOfStrings,
  ref,
  str,
  type Content,
  type ErrorStatus,
  type ParameterDoc,
  type ResponseDoc,
  type RouteDoc,
  type Schema,
} from "./openapi-shapes.js";
import { requestRouteDocs, requestSchemas } from "../routes/requests.js";
import { exampleEditRouteDocs, exampleEditSchemas } from "../routes/example-edits.js";
import { exampleExportRouteDocs } from "../routes/example-export.js";
import { captureRouteDocs, captureSchemas } from "../capture/capture-routes.js";
import { DEFAULT_PAGE_LIMIT, exampleFilterDocs, IMPORT_BODY_LIMIT, IMPORT_MEDIA_TYPES, MAX_IMPORT_ROWS, MAX_PAGE_LIMIT } from "../routes/examples.js";
import { NOT_FOUND_TASK } from "../routes/tasks.js";

export const ROLE_EXTENSION = "x-apprentice-role";

const errorRef = (status: ErrorStatus): Schema => ({ $ref: `#/components/responses/${ERROR_RESPONSES[status].name}` });

function errorResponseComponents(): Record<string, ResponseDoc> {
  const components: Record<string, ResponseDoc> = {};
  for (const [status, { name, description }] of Object.entries(ERROR_RESPONSES)) {
    const example = { error: { message: description, type: Number(status) >= 500 ? "api_error" : "invalid_request_error", code: null } };
    components[name] = jsonReply(description, ref("Error"), example);
  }
  components.Unauthorized.headers = { "WWW-Authenticate": { description: 'Always `Bearer realm="apprentice"`.', schema: str() } };
  components.ServiceUnavailable.headers = { "Retry-After": { description: "While the teacher's circuit breaker is open: whole seconds until it lets a probe through.", schema: int() } };
  components.TooManyRequests.headers = {
    "Retry-After": { description: "Whole seconds to wait before retrying.", schema: int() },
    "X-RateLimit-Limit": { description: "The key's burst size.", schema: int() },
    "X-RateLimit-Remaining": { description: "Requests the key may still send at once.", schema: int() },
  };
  return components;
}

/** The error statuses a route can return: its own, plus those implied by its role and its body. */
function errorStatuses(route: RouteDoc): Map<ErrorStatus, string | undefined> {
  const statuses = new Map<ErrorStatus, string | undefined>();
  if (route.body !== undefined) for (const s of [400, 413, 415] as const) statuses.set(s, undefined);
  if (route.access !== "open") for (const s of [401, 429] as const) statuses.set(s, undefined);
  if (route.access === "admin") statuses.set(403, undefined);
  for (const [s, description] of Object.entries(route.errors ?? {})) statuses.set(Number(s) as ErrorStatus, description);
  statuses.set(500, undefined);
  return new Map([...statuses].sort(([a], [b]) => a - b));
}

// ---------------------------------------------------------------------------------------------
// Component schemas

function componentSchemas(): Record<string, Schema> {
  return {
    Error: object({
      error: object(
        {
          message: str("What went wrong, for people."),
          type: str("OpenAI-style error type, e.g. `invalid_request_error`, `authentication_error`, `permission_error`."),
          code: nullable(str("A stable code for programs, e.g. `not_found`, `conflict`, `invalid_api_key`.")),
          details: { description: "Extra detail when there is some, e.g. the invalid rows of an import." },
        },
        ["details"],
      ),
    }),
    Health: object({ ok: bool() }),
    LabelledText: object({ text: str(), label: str() }),
    StructuredText: object({ text: str(), output: ref("StructuredObject") }),
    ExampleImport: object({
      format: oneOfStrings([...new Set(Object.values(IMPORT_MEDIA_TYPES))], "The body format that was read."),
      rows: int("Rows read from the body."),
      accepted: int("Rows that passed validation."),
      rejected: arrayOf(object({ line: int("The row's line in the body (for a JSON array: its position)."), reason: str("Why; for a structured task's row it names the field, e.g. `output: field amount: \"40\" does not occur in the input`.") }), { description: "Invalid rows; with `partial=true` the valid ones are imported anyway." }),
      added: int("Texts stored for the first time."),
      unchanged_or_updated: int("Accepted rows whose text was already stored."),
      examples: int("The task's example count after the import."),
    }),
    Example: object({
      id: int(),
      text: str(),
      label: str("The label; for a structured task, its object as canonical JSON (fields in task order)."),
      source: oneOfStrings(EXAMPLE_SOURCES),
      holdout: bool("Held out from training: used for the routing threshold and to compare versions."),
      audited: bool("Came from a live audit of the specialist."),
      created_at: epochMs("Creation time"),
      updated_at: epochMs("When its label or source last changed"),
      origin: nullable(oneOfStrings(EXAMPLE_ORIGINS, "What caused the current label: an import, feedback, a teacher answer through predict or chat completions, an audit, or an admin's edit; null for examples stored before this was recorded.")),
      key_id: nullable(int("The API key whose request caused it (null: none, e.g. the configuration file's import).")),
      key_name: nullable(str("That key's name.")),
    }),
    ExamplePage: object({
      data: arrayOf(ref("Example")),
      next_after: nullable(int("Pass as `after` for the next page; null on the last page.")),
      total: int("Examples matching the filters."),
    }),
    ...captureSchemas(),
    ...requestSchemas(),
    ...exampleEditSchemas(),
  };
}

// ---------------------------------------------------------------------------------------------
// The routes

/** The import route's bodies, one per media type it accepts (same rows in each format). */
function importBodies(): Content {
  const rows = [
    { text: "my card has not arrived", label: "card_arrival" },
    { text: "I lost my card", label: "lost_card" },
  ];
  const byFormat: Record<string, { schema: Schema; example: unknown }> = {
    json: { schema: { oneOf: [arrayOf(ref("LabelledText"), { minItems: 1, description: "A label task's rows." }), arrayOf(ref("StructuredText"), { minItems: 1, description: "A structured task's rows." })] }, example: rows },
    jsonl: { schema: str("One JSON object a line: `{text, label}` for a label task, `{text, output: {...}}` for a structured task."), example: rows.map((r) => JSON.stringify(r)).join("\n") + "\n" },
    csv: {
      schema: str(
        "RFC 4180 CSV with a header row. A label task: `text` and `label` columns. A structured task: `text` and one column per field (an optional field's may be left out; no other columns): " +
          "tags and lists as `a|b`, booleans `true`/`false`, numbers as written, an empty cell for null (an empty list).",
      ),
      example: ["text,label", ...rows.map((r) => `${r.text},${r.label}`)].join("\n") + "\n",
    },
  };
  return Object.fromEntries(Object.entries(IMPORT_MEDIA_TYPES).map(([mediaType, format]) => [mediaType, byFormat[format]]));
}

function routes(): RouteDoc[] {
  const opsRoutes: RouteDoc[] = [
    { method: "get", path: "/healthz", tag: "Operations", summary: "Liveness: the process answers", access: "open", ok: { 200: jsonReply("Alive.", ref("Health"), { ok: true }) } },
    {
      method: "get",
      path: "/readyz",
      tag: "Operations",
      summary: "Readiness: the database answers",
      access: "open",
      ok: {
        200: jsonReply("Ready.", ref("Health"), { ok: true }),
        503: jsonReply("The database is unreachable.", object({ ok: { const: false }, error: str() }), { ok: false, error: "database unreachable" }),
      },
    },
    {
      method: "get",
      path: "/metrics",
      tag: "Operations",
      summary: "Prometheus metrics",
      description: "Predictions by task and source, teacher calls, upstream requests and request latency: counts and task names only, never inputs or keys.",
      access: "open",
      ok: { 200: { description: "Prometheus text exposition format.", content: { "text/plain": { schema: str() } } } },
    },
    { method: "get", path: "/openapi.json", tag: "Documentation", summary: "This OpenAPI document", access: "open", ok: { 200: jsonReply("The OpenAPI 3.1 document.", { type: "object" }) } },
    { method: "get", path: "/docs", tag: "Documentation", summary: "The API documentation as a web page", access: "open", ok: { 200: { description: "A self-contained HTML page that renders /openapi.json.", content: { "text/html": { schema: str() } } } } },
    {
      method: "get",
      path: "/",
      tag: "Dashboard",
      summary: "The dashboard (a single-page app; it asks for an admin key itself)",
      description: "web/dist/index.html, built by `npm run build:web`, under a strict Content-Security-Policy; 503 with a plain-text hint when the dashboard is not built.",
      access: "open",
      ok: {
        200: { description: "The dashboard's HTML page.", content: { "text/html": { schema: str() } } },
        503: { description: "The dashboard is not built (run `npm run build:web`).", content: { "text/plain": { schema: str() } } },
      },
    },
    {
      method: "get",
      path: "/assets/*",
      tag: "Dashboard",
      summary: "The dashboard's scripts and styles (content-hashed names, cached for a year)",
      access: "open",
      ok: {
        200: { description: "The file, with `Cache-Control: public, max-age=31536000, immutable`.", content: { "text/javascript": { schema: str() }, "text/css": { schema: str() } } },
        404: { description: "No such file (paths outside the assets directory are refused).", content: { "text/plain": { schema: str() } } },
      },
    },
  ];

  const exampleRoutes: RouteDoc[] = [
    {
      method: "post",
      path: "/v1/tasks/{name}/examples",
      tag: "Examples",
      summary: "Import labelled examples",
      description:
        "A JSON array of `{text, label}`, NDJSON/JSONL (one such object a line) or CSV with a header row naming `text` and `label` columns, in UTF-8. " +
        "For a structured task each row carries its object instead: `{text, output: {...}}` in JSON and JSONL, one column per field in CSV (e.g. `text,intent,amount,urgent`), " +
        "each object checked as a teacher's answer is (a row whose extracted value is not in its text is rejected, naming the field); `label_column` is refused. " +
        `At most ${MAX_IMPORT_ROWS} rows and ${IMPORT_BODY_LIMIT / 1024 / 1024} MiB per request. ` +
        "Without `partial=true` the import is all or nothing: any invalid row gives 400 with every bad row listed in `error.details`. " +
        "A text already stored keeps one example (a new human label replaces a teacher's).",
      access: "admin",
      query: [
        { name: "partial", description: "`true`: import the valid rows and list the rejected ones in the reply.", schema: { type: "boolean", default: false } },
        { name: "text_column", description: "The column (CSV) or field (JSONL, JSON) holding the text; an unknown one gives 400 naming the columns present.", schema: { ...str(), default: "text" } },
        { name: "label_column", description: "The column or field holding the label; default the first of `label`, `category`, `intent`, `class`.", schema: str() },
      ],
      body: importBodies(),
      ok: { 200: jsonReply("What was imported.", ref("ExampleImport"), { format: "json", rows: 1, accepted: 1, rejected: [], added: 1, unchanged_or_updated: 0, examples: 301 }) },
      errors: { 404: NOT_FOUND_TASK, 413: `The body is larger than ${IMPORT_BODY_LIMIT / 1024 / 1024} MiB or has more than ${MAX_IMPORT_ROWS} rows.`, 415: "Not one of the accepted media types, or not UTF-8." },
    },
    {
      method: "get",
      path: "/v1/tasks/{name}/examples",
      tag: "Examples",
      summary: "Page through a task's examples",
      description: "Ordered by id; pass the reply's `next_after` as `after` for the next page.",
      access: "admin",
      query: [
        { name: "limit", description: `Page size, at most ${MAX_PAGE_LIMIT}.`, schema: { type: "integer", minimum: 1, maximum: MAX_PAGE_LIMIT, default: DEFAULT_PAGE_LIMIT } },
        { name: "after", description: "Return examples with an id greater than this.", schema: { type: "integer", minimum: 0 } },
        ...exampleFilterDocs(),
      ],
      ok: { 200: jsonReply("A page of examples.", ref("ExamplePage")) },
      errors: { 400: "A query parameter is invalid.", 404: NOT_FOUND_TASK },
    },
  ];

  return [...opsRoutes, ...exampleRoutes, ...exampleEditRouteDocs(), ...exampleExportRouteDocs(), ...requestRouteDocs(), ...captureRouteDocs()];
}

// ---------------------------------------------------------------------------------------------
// Assembling the document

const PATH_PARAMETERS: Record<string, ParameterDoc> = {
  name: { name: "name", description: "The task's name.", schema: { type: "string", pattern: "^[a-z0-9][a-z0-9_-]{0,63}$" }, example: "banking-demo" },
};

const ROLE_TEXT: Record<RouteAccess, string> = {
  open: "Open: no API key needed.",
  predict: "Needs an API key with the `predict` or `admin` role.",
  admin: "Needs an API key with the `admin` role.",
};

/** `/v1/tasks/:name` → `/v1/tasks/{name}`: Fastify's path syntax to OpenAPI's. */
export function openApiPath(fastifyPath: string): string {
  return fastifyPath.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
}

function pathParameters(route: RouteDoc): Schema[] {
  return [...route.path.matchAll(/\{([^}]+)\}/g)].map(([, name]) => {
    const p = route.pathParams?.[name] ?? PATH_PARAMETERS[name] ?? { name, description: "", schema: str() };
    return { ...p, in: "path", required: true };
  });
}

function operation(route: RouteDoc): Schema {
  const responses: Record<string, unknown> = { ...route.ok };
  for (const [status, description] of errorStatuses(route)) {
    responses[status] = description === undefined ? errorRef(status) : { ...errorRef(status), description };
  }
  const parameters = [...pathParameters(route), ...(route.query ?? []).map((q) => ({ ...q, in: "query", required: false }))];
  return {
    operationId: `${route.method}${route.path.replace(/[{}]/g, "").replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? "").toUpperCase())}`,
    tags: [route.tag],
    summary: route.summary,
    description: [route.description, ROLE_TEXT[route.access]].filter((s) => s !== undefined).join("\n\n"),
    [ROLE_EXTENSION]: route.access,
    // Open routes override the document-wide bearer requirement.
    ...(route.access === "open" ? { security: [] } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body !== undefined ? { requestBody: { required: true, content: route.body } } : {}),
    responses,
  };
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version?: string };
  return pkg.version ?? "0.0.0";
}

/** The document for the hand-described routes below and the declared ones in `specs` (http/route.ts). */
export function buildOpenApiDocument(specs: readonly RouteSpec[] = []): Schema {
  const declaredSchemas: Record<string, Schema> = {};
  const declared = specs.map((spec) => routeDocOf(spec, declaredSchemas));
  const declaredKeys = new Set(declared.map((r) => `${r.method} ${r.path}`));
  const paths: Record<string, Record<string, Schema>> = {};
  for (const route of [...routes().filter((r) => !declaredKeys.has(`${r.method} ${r.path}`)), ...declared]) (paths[route.path] ??= {})[route.method] = operation(route);
  return {
    openapi: "3.1.0",
    info: {
      title: "Apprentice gateway",
      version: packageVersion(),
      description:
        "Trains small text classifiers (specialists) from a general LLM's answers (the teacher) and routes requests to them when they are sure enough. " +
        "Errors have the OpenAI shape `{error: {message, type, code}}` on every route.",
      license: { name: "Apache-2.0", identifier: "Apache-2.0" },
    },
    tags: [
      { name: "Tasks", description: "Create and manage classification tasks." },
      { name: "Examples", description: "Labelled examples the specialist learns from." },
      { name: "Predictions", description: "Classify inputs and correct the answers." },
      { name: "Training", description: "Retraining and request statistics." },
      { name: "Models", description: "A task's trained model versions." },
      { name: "Requests", description: "A task's request log, searched and paged (for the dashboard's Requests page)." },
      { name: "Keys", description: "The gateway's API keys: create (the secret is shown once), list, revoke." },
      { name: "Insights", description: "Traffic over time, the live model's report, the review queue and routing explanations (for the dashboard)." },
      { name: "Capture", description: "Tasks found in forwarded chat completions that ask for a structured answer: shadow figures, and the switch to serve." },
      { name: "OpenAI-compatible", description: "Use any OpenAI client with `baseURL: <gateway>/v1` and `model: \"task:<name>\"`." },
      { name: "Operations", description: "Health checks and metrics (no key)." },
      { name: "Documentation", description: "This document and its web page (no key)." },
      { name: "Dashboard", description: "The web dashboard at `/` (no key to load it; it signs in with an admin key)." },
    ],
    security: [{ apiKey: [] }],
    paths,
    components: {
      securitySchemes: {
        apiKey: {
          type: "http",
          scheme: "bearer",
          description:
            "An API key created with `apprentice keys create --role admin|predict`, sent as `Authorization: Bearer <key>`. " +
            "The `admin` role may use every route; the `predict` role may classify (predict), use chat completions and list models. " +
            "A missing or unknown key gets 401, a key whose role may not use the route 403, too many requests from one key 429 with `Retry-After`.",
        },
      },
      schemas: { ...componentSchemas(), ...declaredSchemas },
      responses: errorResponseComponents(),
    },
  };
}

/** Serves GET /openapi.json and GET /docs, both open. Register after the other routes. */
export function registerOpenApi(app: FastifyInstance, specs: readonly RouteSpec[]): void {
  // Built once the gateway is ready: routes registered in plugins (predict's own body parser) are added only then.
  let document = "";
  app.addHook("onReady", async () => {
    document = JSON.stringify(buildOpenApiDocument(specs));
  });
  const page = docsPage();
  const open = { config: { access: "open" as const } };
  app.get("/openapi.json", open, async (_request, reply) => reply.header("content-type", "application/json; charset=utf-8").send(document));
  app.get("/docs", open, async (_request, reply) =>
    reply
      .header("content-type", "text/html; charset=utf-8")
      .header("content-security-policy", page.csp)
      .header("x-content-type-options", "nosniff")
      .header("referrer-policy", "no-referrer")
      .send(page.html),
  );
}
