// The OpenAPI description of routes declared with http/route.ts: their zod schemas as JSON Schema.
// A zod schema given an id (`.meta({ id: "ApiKey", description })`) is a component of the
// document: hoisted into `components.schemas` and referred to by `$ref`.
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { RawContent, RouteSpec } from "../http/route.js";
import { taskNameSchema } from "../http/api-schemas.js";
import type { Content, ParameterDoc, ResponseDoc, RouteDoc, Schema } from "./openapi-shapes.js";

/** What collectRouteSpecs saw: the declared routes' specs, and any route registered without one ("GET /x"). */
export interface CollectedRoutes {
  specs: RouteSpec[];
  undeclared: string[];
}

/** The routes registered on `app` from now on, in registration order (call before registering them). */
export function collectRouteSpecs(app: FastifyInstance): CollectedRoutes {
  const routes: CollectedRoutes = { specs: [], undeclared: [] };
  app.addHook("onRoute", (options) => {
    // Not part of the API: the HEAD Fastify adds for every GET, and CORS preflights (http/cors.ts).
    const methods = (Array.isArray(options.method) ? options.method : [options.method]).filter((m) => m !== "HEAD" && m !== "OPTIONS");
    if (methods.length === 0) return;
    const spec = options.config?.spec;
    if (spec !== undefined) routes.specs.push(spec);
    else routes.undeclared.push(`${methods.join("|")} ${options.url}`);
  });
  return routes;
}

/** How a route that declares no params is documented: its `:name` is a task's (the only such parameter). */
const UNDECLARED_PARAMS = z.object({ name: taskNameSchema });

const DEFS = "#/$defs/";
const COMPONENTS = "#/components/schemas/";

/**
 * JSON Schema for `schema`, its components moved into `components` (a component whose input and
 * output forms differ is kept twice, the input one named `<id>Input`).
 */
export function jsonSchemaOf(schema: z.ZodType, io: "input" | "output", components: Record<string, Schema>): Schema {
  const generated = z.toJSONSchema(schema, { io, target: "draft-2020-12", unrepresentable: "any", cycles: "ref" }) as Schema;
  const { $schema: _s, $defs, ...root } = generated as Schema & { $defs?: Record<string, Schema> };
  const names = new Map<string, string>();
  const relink = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(relink);
    if (typeof node !== "object" || node === null) return node;
    const out: Schema = {};
    for (const [k, v] of Object.entries(node)) {
      // zod bounds every integer by the safe range; that says nothing to a reader.
      if ((k === "minimum" || k === "maximum") && Math.abs(v as number) === Number.MAX_SAFE_INTEGER) continue;
      out[k] = k === "$ref" && typeof v === "string" && v.startsWith(DEFS) ? COMPONENTS + (names.get(v.slice(DEFS.length)) ?? v.slice(DEFS.length)) : relink(v);
    }
    return out;
  };
  // Compared as stored (relinked): the raw form's refs and integer bounds would tell every second use apart.
  for (const [id, def] of Object.entries($defs ?? {})) {
    const existing = components[id];
    names.set(id, existing === undefined || JSON.stringify(existing) === JSON.stringify(relink(def)) ? id : `${id}Input`);
  }
  for (const [id, def] of Object.entries($defs ?? {})) components[names.get(id)!] ??= relink(def) as Schema;
  return relink(root) as Schema;
}

/** Each property of an object schema as a parameter. */
function parametersOf(schema: z.ZodType, components: Record<string, Schema>): ParameterDoc[] {
  const json = jsonSchemaOf(schema, "input", components);
  const properties = (json.properties ?? {}) as Record<string, Schema>;
  return Object.entries(properties).map(([name, property]) => {
    const { description, examples, ...rest } = property as Schema & { description?: string; examples?: unknown[] };
    return { name, description: description ?? "", schema: rest, ...(Array.isArray(examples) && examples.length > 0 ? { example: examples[0] } : {}) };
  });
}

/** `/v1/tasks/:name` → `/v1/tasks/{name}`: Fastify's path syntax to OpenAPI's. */
export function openApiPath(fastifyPath: string): string {
  return fastifyPath.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
}

/** The document's description of one declared route. */
export function routeDocOf(spec: RouteSpec, components: Record<string, Schema>): RouteDoc {
  const path = openApiPath(spec.url);
  const ok: Record<string, ResponseDoc> = {};
  for (const [status, reply] of Object.entries(spec.replies)) {
    const content: Content = { ...(reply.content ?? {}) };
    if (reply.schema !== undefined) content["application/json"] = { schema: jsonSchemaOf(reply.schema, "output", components), ...(reply.example === undefined ? {} : { example: reply.example }) };
    ok[status] = { description: reply.description, ...(Object.keys(content).length > 0 ? { content } : {}), ...(reply.headers === undefined ? {} : { headers: reply.headers }) };
  }
  const jsonBody = spec.body ?? (spec.rawBody instanceof z.ZodType ? spec.rawBody : undefined);
  const body: Content | undefined =
    jsonBody !== undefined
      ? { "application/json": { schema: jsonSchemaOf(jsonBody, "input", components), ...(spec.bodyExample === undefined ? {} : { example: spec.bodyExample }) } }
      : spec.rawBody === undefined
        ? undefined
        : Object.fromEntries(Object.entries(spec.rawBody as RawContent).map(([type, { schema, ...rest }]) => [type, { schema: jsonSchemaOf(schema, "input", components), ...rest }]));
  const pathParams = Object.fromEntries(parametersOf(spec.params ?? UNDECLARED_PARAMS, components).map((p) => [p.name, p]));
  const query = spec.query === undefined ? [] : parametersOf(spec.query, components);
  return {
    method: spec.method.toLowerCase() as RouteDoc["method"],
    path,
    tag: spec.tag,
    summary: spec.summary,
    ...(spec.description === undefined ? {} : { description: spec.description }),
    access: spec.access,
    ...(query.length > 0 ? { query } : {}),
    ...(body === undefined ? {} : { body }),
    ok,
    pathParams,
    errors: { 400: spec.query === undefined ? "The route takes no query parameters." : "A query parameter is invalid (the message names it).", ...spec.errors },
  };
}
