// Teacher budgets' counters: calls and cost per scope (`task:<name>`, `key:<id>`) and calendar
// window (UTC hour, UTC day), kept in the store so that every worker process and gateway instance
// over the database draws on one budget. A call is reserved before the teacher is asked (all the
// counters it draws on in one transaction: each under its limit, or none incremented) and its cost
// added once known. Cost limits are checked at reservation, so calls already under way when the
// limit is reached may overshoot it by their own cost (README "Teacher spend").
import { sql } from "kysely";
import { inTransaction, toNumber, type StoreContext } from "./context.js";

export type SpendPeriod = "hour" | "day";
export const SPEND_PERIOD_MS: Readonly<Record<SpendPeriod, number>> = { hour: 3_600_000, day: 86_400_000 };

/** One budget a teacher call draws on: a scope and window, with its limits (absent: none). */
export interface SpendLimit {
  scope: string;
  period: SpendPeriod;
  calls?: number;
  cost?: number;
}

/** A counter's window: where a reserved call's cost goes. */
export interface SpendWindow {
  scope: string;
  period: SpendPeriod;
  /** Epoch milliseconds of the window's start (a multiple of the period). */
  start: number;
}

export interface SpendUsage extends SpendWindow {
  calls: number;
  cost: number;
  /** When the window ends and its counters start again from zero. */
  resets_at: number;
}

export type Reservation =
  | { ok: true; windows: SpendWindow[] }
  | { ok: false; limit: SpendLimit; kind: "calls" | "cost"; used: SpendUsage };

/** The spend scope of a task's teacher calls, and of an API key's: the budgets' counters are kept under these. */
export const taskScope = (task: string): string => `task:${task}`;
export const keyScope = (id: number): string => `key:${id}`;

export function windowStart(period: SpendPeriod, now: number): number {
  return Math.floor(now / SPEND_PERIOD_MS[period]) * SPEND_PERIOD_MS[period];
}

/** Thrown inside the reservation's transaction to roll back the counters already incremented. */
class Refused extends Error {
  constructor(readonly index: number) {
    super("teacher budget refused");
  }
}

export class TeacherSpendRepository {
  constructor(private readonly ctx: StoreContext) {}

  /** Counts one teacher call against every limit, or against none if one of them is spent. */
  async reserve(limits: readonly SpendLimit[]): Promise<Reservation> {
    const now = this.ctx.now();
    const windows = limits.map((l) => ({ scope: l.scope, period: l.period, start: windowStart(l.period, now) }));
    try {
      await inTransaction(this.ctx.db, async (trx) => {
        for (const [i, limit] of limits.entries()) {
          if (limit.calls === 0 || limit.cost === 0) throw new Refused(i);
          const w = windows[i];
          const row = await trx
            .insertInto("teacher_spend")
            .values({ ...w, calls: 1, cost: 0 })
            .onConflict((oc) =>
              oc
                .columns(["scope", "period", "start"])
                .doUpdateSet({ calls: sql<number>`teacher_spend.calls + 1` })
                .where((eb) =>
                  eb.and([
                    ...(limit.calls === undefined ? [] : [eb("teacher_spend.calls", "<", limit.calls)]),
                    ...(limit.cost === undefined ? [] : [eb("teacher_spend.cost", "<", limit.cost)]),
                  ]),
                ),
            )
            .returning("calls")
            .executeTakeFirst();
          if (row === undefined) throw new Refused(i);
        }
      });
    } catch (err) {
      if (!(err instanceof Refused)) throw err;
      const limit = limits[err.index];
      const used = await this.usage(limit.scope, limit.period);
      const kind = limit.calls !== undefined && used.calls >= limit.calls ? "calls" : "cost";
      return { ok: false, limit, kind, used };
    }
    return { ok: true, windows };
  }

  /** Adds a finished call's cost to the windows it was reserved in. */
  async addCost(windows: readonly SpendWindow[], cost: number): Promise<void> {
    if (!(cost > 0) || windows.length === 0) return;
    await inTransaction(this.ctx.db, async (trx) => {
      for (const w of windows) {
        await trx
          .updateTable("teacher_spend")
          .set({ cost: sql<number>`cost + ${cost}` })
          .where("scope", "=", w.scope)
          .where("period", "=", w.period)
          .where("start", "=", w.start)
          .execute();
      }
    });
  }

  /** The current window's counters of a scope (zeros when nothing was spent in it). */
  async usage(scope: string, period: SpendPeriod): Promise<SpendUsage> {
    const start = windowStart(period, this.ctx.now());
    const row = await this.ctx.db
      .selectFrom("teacher_spend")
      .select(["calls", "cost"])
      .where("scope", "=", scope)
      .where("period", "=", period)
      .where("start", "=", start)
      .executeTakeFirst();
    return { scope, period, start, calls: toNumber(row?.calls), cost: row?.cost ?? 0, resets_at: start + SPEND_PERIOD_MS[period] };
  }

  /** Deletes the counters of windows that started before `before`; returns how many. */
  async prune(before: number): Promise<number> {
    const result = await this.ctx.db.deleteFrom("teacher_spend").where("start", "<", before).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
