// A route declared once, beside its handler: method, path, who may call it, what it is for, and
// zod schemas for its path parameters, query, body and replies. The schemas check the request (a
// 400 naming the parameter or field), give the handler its types, compile the serializer of hot
// replies, and are what /openapi.json documents: docs/openapi.ts reads each route's spec from its
// Fastify config, so a route registered through here is documented by construction and its
// documentation cannot drift from its checks.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import type { RouteAccess } from "./auth.js";
import { badRequest } from "./errors.js";
import type { Content, ErrorStatus } from "../docs/openapi-shapes.js";

export type Method = "GET" | "POST" | "PATCH" | "DELETE";

export interface ReplySpec {
  description: string;
  /** The reply's JSON body. */
  schema?: z.ZodType;
  /** Replies that are not (only) JSON: media type → schema, documented as given (CSV, event streams). */
  content?: Content;
  example?: unknown;
  headers?: Record<string, unknown>;
}

/** Media type → its schema (a CSV body's is a described z.string()) and an example. */
export type RawContent = Record<string, { schema: z.ZodType; example?: unknown }>;

export interface RouteSpec<P extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType> {
  method: Method;
  /** Fastify's form: `/v1/tasks/:name`. */
  url: string;
  access: RouteAccess;
  tag: string;
  summary: string;
  description?: string;
  /** The path parameters; absent: each is a string, and `:name` is documented as a task's (route-spec-docs.ts). */
  params?: P;
  /** The query parameters (a z.object, which refuses undeclared ones); absent: the route takes none and refuses any. */
  query?: Q;
  /** A JSON body, parsed before the handler runs. */
  body?: B;
  bodyExample?: unknown;
  /**
   * A body the handler reads itself, documented here (its components hoisted) and checked there:
   * streamed imports and several media types (RawContent), or a JSON body given as a zod schema
   * that documents it but does not parse it, when its checks need the task's definition (which
   * kind of answer it takes) or speak another API's language (OpenAI's errors, a pass-through body
   * that must reach the upstream untouched).
   */
  rawBody?: RawContent | z.ZodType;
  /** Success replies by status. */
  replies: Record<number, ReplySpec>;
  /** Statuses whose reply is written by a serializer compiled from its schema (hot routes; unknown keys are dropped). */
  serialize?: readonly number[];
  /** Error statuses particular to this route; those implied by its access and body are added by the document. */
  errors?: Partial<Record<ErrorStatus, string>>;
  bodyLimit?: number;
}

declare module "fastify" {
  interface FastifyContextConfig {
    /** The route's declaration, for the OpenAPI document. */
    spec?: RouteSpec;
  }
}

type Out<T extends z.ZodType | undefined, Fallback> = T extends z.ZodType ? z.output<T> : Fallback;

export interface RouteInput<P extends z.ZodType | undefined, Q extends z.ZodType | undefined, B extends z.ZodType | undefined> {
  params: Out<P, Record<string, string>>;
  query: Out<Q, Record<string, never>>;
  body: Out<B, unknown>;
}

/** The route takes no query parameters: any is refused, as a misspelt one would otherwise be ignored. */
const NO_QUERY = z.object({}).strict();

/**
 * The route reads no query parameters and ignores any: pages, probes and files (a cache-busting
 * `?v=` must not break them), and the OpenAI surface (a client's own, such as Azure's api-version).
 */
export const IGNORED_QUERY = z.looseObject({});

/** The first problem zod found, as one line naming where it is. */
export function requestProblem(error: z.ZodError, where: "path" | "query" | "body"): string {
  const issue = error.issues[0];
  const path = issue.path.map(String).join(".");
  if (issue.code === "unrecognized_keys") {
    const keys = issue.keys.map((k) => JSON.stringify(k)).join(", ");
    if (where === "query") return `unknown query parameter ${keys}`;
    return path === "" ? `unknown field ${keys} in the body` : `${path}: unknown field ${keys}`;
  }
  if (where === "body") return path === "" ? `the body: ${issue.message}` : `${path}: ${issue.message}`;
  return `${where === "query" ? "query parameter" : "path parameter"} ${path}: ${issue.message}`;
}

/**
 * The query schema as checked: a plain z.object refuses parameters it does not declare (a misspelt
 * `limt` must not be ignored); z.looseObject (IGNORED_QUERY) and z.strictObject are taken as given.
 */
function strictQuery(query: z.ZodType | undefined): z.ZodType {
  if (query === undefined) return NO_QUERY;
  return query instanceof z.ZodObject && query._zod.def.catchall === undefined ? query.strict() : query;
}

/**
 * `value` parsed by `schema`, or the 400 route() answers. Exported for the hooks that must refuse
 * a request before its body is read (a streamed import checks its query first).
 */
export function parsed<T extends z.ZodType>(schema: T, value: unknown, where: "path" | "query" | "body"): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw badRequest(requestProblem(result.error, where));
  return result.data;
}

/**
 * A reply schema as Fastify's serializer takes it: JSON Schema with every reference inlined.
 * Exported for routes that stream or write their reply themselves and want the same shape.
 */
export function serializerSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: "output", target: "draft-2020-12", unrepresentable: "any", reused: "inline" }) as Record<string, unknown>;
  return rest;
}

/** Registers `spec` on `app`; `handler` gets the parsed params, query and body. */
export function route<P extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined, B extends z.ZodType | undefined = undefined>(
  app: FastifyInstance,
  spec: RouteSpec<NonNullable<P> & z.ZodType, NonNullable<Q> & z.ZodType, NonNullable<B> & z.ZodType> & { params?: P; query?: Q; body?: B },
  handler: (input: RouteInput<P, Q, B>, request: FastifyRequest, reply: FastifyReply) => unknown,
): void {
  const response: Record<number, Record<string, unknown>> = {};
  for (const status of spec.serialize ?? []) {
    const schema = spec.replies[status]?.schema;
    if (schema === undefined) throw new Error(`${spec.method} ${spec.url}: reply ${status} has no schema to serialize with`);
    response[status] = serializerSchema(schema);
  }
  const query = strictQuery(spec.query);
  app.route({
    method: spec.method,
    url: spec.url,
    config: { access: spec.access, spec: spec as RouteSpec },
    ...(spec.bodyLimit === undefined ? {} : { bodyLimit: spec.bodyLimit }),
    ...(Object.keys(response).length === 0 ? {} : { schema: { response } }),
    handler: (request, reply) => {
      const input = {
        params: spec.params === undefined ? request.params : parsed(spec.params, request.params, "path"),
        query: parsed(query, request.query ?? {}, "query"),
        body: spec.body === undefined ? request.body : parsed(spec.body, request.body, "body"),
      } as RouteInput<P, Q, B>;
      return handler(input, request, reply);
    },
  });
}

/**
 * Development check (the test suite turns it on): every JSON reply of a declared route is parsed
 * with its declared schema, and one that does not match becomes a 500 naming the route and the
 * first mismatch, so documentation that drifts from the code fails the tests that touch it.
 */
export function checkRepliesAgainstSpecs(app: FastifyInstance): void {
  app.addHook("onSend", async (request, reply, payload) => {
    const spec = request.routeOptions.config?.spec;
    const schema = spec?.replies[reply.statusCode]?.schema;
    if (spec === undefined || schema === undefined || typeof payload !== "string") return payload;
    if (!String(reply.getHeader("content-type") ?? "").includes("json")) return payload;
    const result = schema.safeParse(JSON.parse(payload));
    if (result.success) return payload;
    const problem = requestProblem(result.error, "body").replace(/^the body: /, "");
    const status = reply.statusCode;
    void reply.code(500);
    return JSON.stringify({ error: { message: `reply ${status} of ${spec.method} ${spec.url} does not match its declared schema: ${problem}`, type: "server_error", code: "reply_schema_mismatch" } });
  });
}
