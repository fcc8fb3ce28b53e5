// Query-string and path parameters shared by the routes: one value per name, integers in a range,
// times. The zod schemas (…Schema) are for routes declared with route.ts; their messages follow
// the parameter's name (route.ts's requestProblem puts it first).
import { z } from "zod";
import { badRequest } from "./errors.js";

/** Decimal digits as the number they spell; anything else ("1e3", "", " 5") is left for the number schema to refuse. */
const digitsToNumber = (value: unknown) => (typeof value === "string" && /^\d{1,15}$/.test(value) ? Number(value) : value);

/** A path segment or query value that must be a positive integer (a record's id). */
export function positiveIdSchema(description: string, example: number) {
  const message = "must be a positive integer";
  // Metadata other than the description goes on the inner schema: zod documents a preprocess by it.
  return z.preprocess(digitsToNumber, z.number({ error: message }).int(message).min(1, message).meta({ examples: [example] })).describe(description);
}

/** An integer query parameter from `min` to `max`, `fallback` when absent. */
export function integerSchema(description: string, min: number, max: number, fallback: number) {
  const message = `must be an integer from ${min} to ${max}`;
  return z
    .preprocess(digitsToNumber, z.number({ error: message }).int(message).min(min, message).max(max, message).meta({ default: fallback }))
    .default(fallback)
    .describe(description);
}

/** One of `values`, `fallback` when absent. */
export function enumSchema<const T extends readonly [string, ...string[]]>(description: string, values: T, fallback: T[number]) {
  return z.enum(values, { error: `must be one of ${values.join(", ")}` }).default(fallback as never).describe(description);
}

/** A string query parameter: given at most once (a repeated one arrives as an array, refused here). */
export function stringSchema() {
  return z.string({ error: "must be given at most once" });
}

/** `?since=`/`?until=`: epoch milliseconds or an ISO 8601 date, as epoch milliseconds. */
export function timeSchema(description: string) {
  return z
    .string()
    .transform((value, ctx) => {
      const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
      if (Number.isFinite(ms)) return ms;
      ctx.addIssue({ code: "custom", message: `must be epoch milliseconds or an ISO 8601 date, got "${value}"` });
      return z.NEVER;
    })
    .optional()
    .describe(description);
}

export type Query = Record<string, string | string[] | undefined>;

/** The query as one value per name; a misspelt or repeated parameter is an error, not ignored. */
export function singleValues(query: Query | undefined, allowed: readonly string[]): Map<string, string> {
  const values = new Map<string, string>();
  for (const [name, value] of Object.entries(query ?? {})) {
    if (!allowed.includes(name)) throw badRequest(`unknown query parameter ${JSON.stringify(name)}; this route takes ${allowed.join(", ")}`);
    if (Array.isArray(value)) throw badRequest(`query parameter ${name} is given more than once`);
    if (value !== undefined) values.set(name, value);
  }
  return values;
}

export function integerParam(params: Map<string, string>, name: string, fallback: number, min: number, max: number): number {
  const raw = params.get(name);
  if (raw === undefined) return fallback;
  const value = /^\d{1,16}$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= min && value <= max)) throw badRequest(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return value;
}

/** One of `values`, or `fallback` when absent. */
export function enumParam<T extends string>(params: Map<string, string>, name: string, values: readonly T[], fallback: T): T {
  const raw = params.get(name);
  if (raw === undefined) return fallback;
  if (!(values as readonly string[]).includes(raw)) throw badRequest(`${name} must be one of ${values.join(", ")}, got ${JSON.stringify(raw)}`);
  return raw as T;
}

/** `?since=`/`?until=`: epoch milliseconds or an ISO 8601 date. */
export function timeParam(value: string | undefined, name: "since" | "until"): { since?: number; until?: number } {
  if (value === undefined) return {};
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms)) throw badRequest(`"${name}" must be epoch milliseconds or an ISO 8601 date, got "${value}"`);
  return { [name]: ms };
}
