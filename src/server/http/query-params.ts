// Query-string parameters shared by the routes: one value per name, integers in a range, times.
import { badRequest } from "./errors.js";

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

/** A path segment that must be a positive integer id (an API key's, an example's): 400 naming `what` otherwise. */
export function positiveId(raw: string, what: string): number {
  const id = /^\d{1,15}$/.test(raw) ? Number(raw) : NaN;
  if (!(id >= 1)) throw badRequest(`${what} must be a positive integer, got ${JSON.stringify(raw)}`);
  return id;
}
