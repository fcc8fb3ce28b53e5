// The gateway's OpenAPI 3.1 document (GET /openapi.json) and a docs page that renders it (GET /docs).
// Every route is declared with http/route.ts and described from its spec (route-spec-docs.ts);
// what is written here is the document's frame: its tags, the security scheme, the error body
// every route shares and the error statuses a route's role and body imply. A route registered
// without a spec stops the gateway at start (collectRouteSpecs), so none can go undocumented.
import { readFileSync } from "node:fs";
import type { FastifyInstance } from "fastify";
import type { RouteAccess } from "../http/auth.js";
import { docsPage } from "./docs-page.js";
import { IGNORED_QUERY, route, type RouteSpec } from "../http/route.js";
import { routeDocOf, type CollectedRoutes } from "./route-spec-docs.js";
import { ERROR_RESPONSES, int, jsonReply, nullable, object, ref, str, type ErrorStatus, type ResponseDoc, type RouteDoc, type Schema } from "./openapi-shapes.js";

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

/** The error body of every route (http/errors.ts errorBody). */
function errorSchema(): Schema {
  return object({
    error: object(
      {
        message: str("What went wrong, for people."),
        type: str("OpenAI-style error type, e.g. `invalid_request_error`, `authentication_error`, `permission_error`."),
        code: nullable(str("A stable code for programs, e.g. `not_found`, `conflict`, `invalid_api_key`.")),
        details: { description: "Extra detail when there is some, e.g. the invalid rows of an import." },
      },
      ["details"],
    ),
  });
}

// ---------------------------------------------------------------------------------------------
// Assembling the document

const ROLE_TEXT: Record<RouteAccess, string> = {
  open: "Open: no API key needed.",
  predict: "Needs an API key with the `predict` or `admin` role.",
  admin: "Needs an API key with the `admin` role.",
};

function pathParameters(route: RouteDoc): Schema[] {
  return [...route.path.matchAll(/\{([^}]+)\}/g)].map(([, name]) => {
    const p = route.pathParams?.[name] ?? { name, description: "", schema: str() };
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

/** The document describing the declared routes `specs` (http/route.ts). */
export function buildOpenApiDocument(specs: readonly RouteSpec[]): Schema {
  const schemas: Record<string, Schema> = { Error: errorSchema() };
  const paths: Record<string, Record<string, Schema>> = {};
  for (const spec of specs) {
    const doc = routeDocOf(spec, schemas);
    (paths[doc.path] ??= {})[doc.method] = operation(doc);
  }
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
      schemas,
      responses: errorResponseComponents(),
    },
  };
}

/**
 * Serves GET /openapi.json and GET /docs, both open. The document is built once the app is ready
 * (a route registered in a plugin, such as predict with its own body parser, exists only then),
 * and building it refuses a route registered without a spec.
 */
export function registerOpenApi(app: FastifyInstance, routes: CollectedRoutes): void {
  let document = "";
  app.addHook("onReady", async () => {
    if (routes.undeclared.length > 0) throw new Error(`routes registered without route() and its spec, so undocumented: ${routes.undeclared.join(", ")}`);
    document = JSON.stringify(buildOpenApiDocument(routes.specs));
  });
  const doc = { method: "GET", access: "open", tag: "Documentation", query: IGNORED_QUERY } as const;
  const json = { "application/json": { schema: { type: "object" } } };
  route(app, { ...doc, url: "/openapi.json", summary: "This OpenAPI document", replies: { 200: { description: "The OpenAPI 3.1 document.", content: json } } }, async (_input, _request, reply) =>
    reply.header("content-type", "application/json; charset=utf-8").send(document),
  );
  const page = docsPage();
  const html = { "text/html": { schema: { type: "string" } } };
  route(app, { ...doc, url: "/docs", summary: "The API documentation as a web page", replies: { 200: { description: "A self-contained HTML page that renders /openapi.json.", content: html } } }, async (_input, _request, reply) =>
    reply
      .header("content-type", "text/html; charset=utf-8")
      .header("content-security-policy", page.csp)
      .header("x-content-type-options", "nosniff")
      .header("referrer-policy", "no-referrer")
      .send(page.html),
  );
}
