// Money at the edge. Costs are floats, priced per token and summed in SQL and in JavaScript, so a
// sum of 0.1 and 0.002 arrives as 0.10200000000000001. Keeping integer micro-units in the store
// would change every column and budget counter; rounding once, where a reply is serialized, is
// enough for what callers read: every amount the API shows is rounded to MONEY_DECIMALS
// decimals (micro-units of the currency, finer than any teacher's price per call).
import type { FastifyInstance } from "fastify";

export const MONEY_DECIMALS = 6;
const SCALE = 10 ** MONEY_DECIMALS;

/**
 * The reply fields that hold an amount of money, wherever they appear. `used` is a spent budget
 * in a 429's details: calls or cost, and whole numbers of calls are unchanged by the rounding.
 */
export const MONEY_FIELDS: ReadonlySet<string> = new Set(["cost", "cost_saved", "teacher_only_cost", "cost_per_teacher_call", "cost_limit", "used"]);

/** An amount rounded to micro-units: the double nearest to the decimal, so it prints as one. */
export function roundMoney(amount: number): number {
  return Number.isFinite(amount) ? Math.round(amount * SCALE) / SCALE : amount;
}

/** A copy of `value` with every number under a money field rounded (anything else as it was). */
export function withMoneyRounded(value: unknown, field?: string): unknown {
  if (typeof value === "number") return field !== undefined && MONEY_FIELDS.has(field) ? roundMoney(value) : value;
  if (Array.isArray(value)) return value.map((item) => withMoneyRounded(item, field));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = withMoneyRounded(item, key);
  return out;
}

/**
 * Rounds the money in every admin route's reply and every error body (a budget's 429 carries
 * its spend), before serialization. Predict and chat replies carry no cost and skip the walk:
 * they are the hot path.
 */
export function registerMoneyRounding(app: FastifyInstance): void {
  app.addHook("preSerialization", async (request, reply, payload) => {
    // auth.ts treats a route without `access` as admin.
    const admin = (request.routeOptions.config.access ?? "admin") === "admin";
    return admin || reply.statusCode >= 400 ? withMoneyRounded(payload) : payload;
  });
}
