// Query-string and path parameters shared by the routes, as zod schemas for route.ts: ids, integers
// in a range, enums, times. Their messages follow the parameter's name (requestProblem puts it first).
import { z } from "zod";

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
  return stringSchema()
    .transform((value, ctx) => {
      const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
      if (Number.isFinite(ms)) return ms;
      ctx.addIssue({ code: "custom", message: `must be epoch milliseconds or an ISO 8601 date, got "${value}"` });
      return z.NEVER;
    })
    .optional()
    .describe(description);
}

/**
 * A window of time as `?since=` (inclusive) and `?until=` (exclusive) query parameters, each epoch
 * milliseconds or an ISO 8601 date; `defaults` says what an absent end means, when the route gives it one.
 */
export function timeWindowQuery(defaults: { since?: string; until?: string } = {}) {
  const end = (what: string, fallback: string | undefined) =>
    timeSchema(`${what}: epoch milliseconds or an ISO 8601 date, e.g. \`2025-01-01\`.${fallback === undefined ? "" : ` Default: ${fallback}.`}`);
  return { since: end("Window start (inclusive)", defaults.since), until: end("Window end (exclusive)", defaults.until) };
}
