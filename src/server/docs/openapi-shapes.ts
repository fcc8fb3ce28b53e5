// The vocabulary of the OpenAPI document (openapi.ts): how a route is described, schema
// shorthands and the shared error responses. Routes declared with http/route.ts use its error
// statuses, and its shorthands for the replies they document as given (a CSV file).
import type { RouteAccess } from "../http/auth.js";

export type Schema = Record<string, unknown>;
/** Media type → schema (and an example, shown on the docs page). */
export type Content = Record<string, { schema: Schema; example?: unknown }>;

export interface ParameterDoc {
  name: string;
  description: string;
  schema: Schema;
  example?: unknown;
}

export interface ResponseDoc {
  description: string;
  content?: Content;
  headers?: Record<string, unknown>;
}

export interface RouteDoc {
  method: "get" | "post" | "patch" | "delete";
  /** OpenAPI form: `{name}` for path parameters. */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  access: RouteAccess;
  query?: ParameterDoc[];
  body?: Content;
  /** Success responses by status code. */
  ok: Record<string, ResponseDoc>;
  /** Path parameters this route names differently from PATH_PARAMETERS in openapi.ts. */
  pathParams?: Record<string, ParameterDoc>;
  /** Error statuses specific to this route; the ones implied by access and body are added by errorStatuses(). */
  errors?: Partial<Record<ErrorStatus, string>>;
}

// ---------------------------------------------------------------------------------------------
// Schema shorthands

export const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
export const str = (description?: string): Schema => (description === undefined ? { type: "string" } : { type: "string", description });
export const int = (description?: string): Schema => (description === undefined ? { type: "integer" } : { type: "integer", description });
export const nullable = (s: Schema): Schema => ({ ...s, type: [s.type, "null"] });

/** An object whose properties are all required except the ones named in `optional`. */
export function object(properties: Record<string, Schema>, optional: string[] = [], extra: Schema = {}): Schema {
  return { type: "object", properties, required: Object.keys(properties).filter((k) => !optional.includes(k)), ...extra };
}

const json = (schema: Schema, example?: unknown): Content => ({ "application/json": example === undefined ? { schema } : { schema, example } });
export const jsonReply = (description: string, schema: Schema, example?: unknown): ResponseDoc => ({ description, content: json(schema, example) });


// ---------------------------------------------------------------------------------------------
// Errors: every error body has the same shape, so each status is one shared response component.

export const ERROR_RESPONSES = {
  400: { name: "BadRequest", description: "The request is malformed or invalid (the message says what is wrong)." },
  401: { name: "Unauthorized", description: "No API key, or an unknown one." },
  403: { name: "Forbidden", description: "The API key's role may not use this route (an admin key is needed)." },
  404: { name: "NotFound", description: "No such task, model version, request or API key." },
  409: { name: "Conflict", description: "The request conflicts with the current state." },
  413: { name: "PayloadTooLarge", description: "The body is larger than the gateway's body limit (5 MiB by default)." },
  415: { name: "UnsupportedMediaType", description: "The body's content type is not accepted by this route." },
  429: { name: "TooManyRequests", description: "This API key sent too many requests; retry after the number of seconds in `Retry-After`." },
  500: { name: "InternalError", description: "An unexpected error on the gateway (logged there)." },
  502: { name: "BadGateway", description: "The teacher answered with no valid label and no specialist answer stands in (code `teacher_invalid`), or the upstream LLM is unreachable." },
  503: {
    name: "ServiceUnavailable",
    description: "The teacher is unavailable (down, timed out, or its circuit breaker is open) and no specialist answer stands in (code `teacher_unavailable`; `details` has the request id and the teacher's reason).",
  },
} as const;

export type ErrorStatus = keyof typeof ERROR_RESPONSES;
