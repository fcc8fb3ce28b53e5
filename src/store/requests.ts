// The request log: one row per gateway request, written after the answer, read for statistics.
import { CompiledQuery, sql, type Expression, type ExpressionBuilder, type Kysely, type Selectable, type SqlBool } from "kysely";
import { executeInBackground, inTransaction, toNullableNumber, toNumber, type StoreContext, type StoreDialect } from "./context.js";
import { StoreConflictError, StoreError } from "./errors.js";
import { textHash } from "./hash.js";
import { searchRows, type RequestCursor, type RequestFilter } from "./request-search.js";
import {
  REQUEST_SOURCES,
  REQUEST_STATUSES,
  type Database,
  type RequestSource,
  type RequestStatus,
  type RequestsTable,
} from "./schema.js";

/** The rows of merged task `from` logged at or before `notAfter` (epoch ms), moving to `into`. */
export interface PlannedMove {
  from: string;
  into: string;
  notAfter: number;
}

export interface RequestInput {
  /** The request id, unique. */
  id: string;
  task: string;
  /** The input text, or null when the task keeps only its hash (then `input_hash` is required). */
  input: string | null;
  /** Default: the SHA-256 of `input`. */
  input_hash?: string;
  label?: string | null;
  confidence?: number | null;
  source: RequestSource;
  model_version?: number | null;
  latency_ms: number;
  /** Default 0. */
  cost?: number;
  /** Default false. */
  audited?: boolean;
  teacher_label?: string | null;
  status: RequestStatus;
  /** Epoch milliseconds; default now. */
  created_at?: number;
  /** The API key that sent it, and its name (default null: none). */
  key_id?: number | null;
  key_name?: string | null;
  /** The router's confidence threshold when it was answered (default null: none). */
  threshold?: number | null;
  /** Answered in shadow mode (default false), and there the specialist's would-be answer (see migration 008). */
  shadow?: boolean;
  shadow_label?: string | null;
}

/**
 * What shadow mode measured over a window: how many of the shadow requests the specialist would
 * have answered, and how often the LLM's answer differed from its would-be answer.
 */
export interface ShadowStats {
  requests: number;
  /** Shadow requests the LLM answered validly: the ones agreement can be judged on. */
  judged: number;
  /** Requests the router would have let the specialist answer, and those the LLM answered validly. */
  would_answer: number;
  would_answer_judged: number;
  /** Of those judged, how many the LLM answered differently. */
  disagreements: number;
  /** The LLM's cost over the shadow requests, and over the ones the specialist would have answered. */
  cost: number;
  would_answer_cost: number;
}

/** What serve mode did for a task (its requests that were not shadow calls). */
export interface ServedStats {
  requests: number;
  /** Of them, answered by the specialist. */
  by_specialist: number;
  /** The teacher's (the LLM's) cost over them. */
  cost: number;
}

/** A logged request as the repository returns it: the table's row with a real boolean and numbers for the time and key id. */
export type RequestRecord = Omit<RequestsTable, "audited" | "created_at" | "key_id" | "shadow"> & { audited: boolean; created_at: number; key_id: number | null; shadow: boolean };

export interface DailyRequestStats {
  /** The UTC day, `YYYY-MM-DD`. */
  day: string;
  /** Epoch milliseconds of the day's start (00:00 UTC). */
  start: number;
  requests: number;
  specialist: number;
  teacher: number;
  cost: number;
}

export interface RequestStats {
  task: string;
  /** The window, epoch milliseconds: since ≤ created_at < until (until null = open). */
  since: number;
  until: number | null;
  requests: number;
  by_source: Record<RequestSource, number>;
  by_status: Record<RequestStatus, number>;
  /**
   * Requests on which the teacher was called: answered by the teacher, audited, or the teacher's
   * answer was invalid or failed.
   */
  teacher_calls: number;
  audited: number;
  /** Audited requests where the teacher's label differs from the returned one. */
  disagreements: number;
  /** Requests answered "none of these" (the window's `none`; 0 when it gives none). */
  none_answers: number;
  /** Audited requests the teacher answered "none of these": the specialist gave a label to an out-of-scope input. */
  audited_none: number;
  cost: number;
  /** Nearest-rank percentiles of latency_ms; null without requests. */
  latency_p50_ms: number | null;
  latency_p95_ms: number | null;
  /** One entry per UTC day from the first to the last day with requests (days without any included, as zeros). */
  daily: DailyRequestStats[];
}

/** Traffic in one time bucket of a series (see RequestLog.series). */
export interface TrafficBucket {
  /** Epoch milliseconds of the bucket's start: a multiple of the bucket size, so buckets align to UTC. */
  start: number;
  requests: number;
  specialist: number;
  teacher: number;
  none: number;
  /** Requests answered "none of these" (the series' `none`; 0 when it gives none). */
  none_of_these: number;
  /** Requests on which the teacher was called (as RequestStats.teacher_calls counts them). */
  teacher_calls: number;
  cost: number;
}

/**
 * Logged requests a person should look at: `disagreement`, an audit where the teacher's label
 * differs from the one returned; `low_confidence`, a specialist answer with a confidence below
 * ReviewOptions.lowConfidenceBelow (every specialist answer without it), least confident first;
 * `teacher_invalid`, a teacher answer outside the label set.
 */
export type ReviewKind = "disagreement" | "low_confidence" | "teacher_invalid";
export const REVIEW_KINDS: readonly ReviewKind[] = ["disagreement", "low_confidence", "teacher_invalid"];

export type ReviewItem = RequestRecord & { kind: ReviewKind };

export interface ReviewOptions {
  /** The confidence under which a specialist answer counts as low (the caller derives it from the threshold). */
  lowConfidenceBelow?: number;
}

const DAY_MS = 86_400_000;
/** Example sources that settle a text's label: once one exists, its requests leave the review queue. */
const REVIEWED_SOURCES = ["human", "feedback"] as const;

type EB = ExpressionBuilder<Database, "requests">;

// SUM(CASE WHEN … THEN 1 ELSE 0 END): counts rows matching a condition on both dialects.
const countWhen = (eb: EB, cond: Expression<SqlBool>) => eb.fn.sum<number | string | null>(eb.case().when(cond).then(eb.lit(1)).else(eb.lit(0)).end());

/** The teacher was called: it answered, audited, or its answer was invalid or failed. */
const teacherCalled = (eb: EB) => eb.or([eb("source", "=", "teacher"), eb("audited", "=", 1), eb("status", "in", ["teacher_invalid", "teacher_error"])]);

/** An audit whose teacher label differs from the label returned. */
const disagreed = (eb: EB) => eb.and([eb("audited", "=", 1), eb("teacher_label", "is not", null), eb("label", "is not", null), eb("teacher_label", "<>", eb.ref("label"))]);

function reviewConditions(options: ReviewOptions): Record<ReviewKind, (eb: EB) => Expression<SqlBool>> {
  const below = options.lowConfidenceBelow;
  if (below !== undefined && !Number.isFinite(below)) throw new StoreError(`lowConfidenceBelow must be a finite number, got ${below}`);
  return {
    disagreement: disagreed,
    low_confidence: (eb) => eb.and([eb("source", "=", "specialist"), below === undefined ? eb("confidence", "is not", null) : eb("confidence", "<", below)]),
    teacher_invalid: (eb) => eb("status", "=", "teacher_invalid"),
  };
}

/** A validated row, ready for the requests table. */
type RequestRow = Omit<RequestsTable, "audited" | "created_at" | "key_id" | "shadow"> & { audited: 0 | 1; created_at: number; key_id: number | null; shadow: 0 | 1 };

/** The columns in the order the compiled bulk inserts bind them. */
const ROW_COLUMNS = ["id", "task", "input", "input_hash", "label", "confidence", "source", "model_version", "latency_ms", "cost", "audited", "teacher_label", "status", "created_at", "key_id", "key_name", "threshold", "shadow", "shadow_label"] as const satisfies readonly (keyof RequestRow)[];
/** Rows per bulk INSERT statement, largest first: a batch is cut into these sizes (see #bulkInsert). */
const BULK_SIZES = [256, 64, 16, 4, 1] as const;

/** The values of rows [from, to), row after row in ROW_COLUMNS order: an INSERT's parameters. */
function parametersOf(rows: readonly RequestRow[], from: number, to: number): unknown[] {
  const parameters: unknown[] = [];
  for (let i = from; i < to; i++) for (const column of ROW_COLUMNS) parameters.push(rows[i][column]);
  return parameters;
}

interface QueuedInsert {
  row: RequestRow;
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * What stats and series count as a "none of these" answer: a label task's none label, or a
 * structured answer (canonical JSON) holding any of `markers`, one per choice field offering none
 * (noneMarkers, src/task/output-fields.ts: `"intent":"none_of_these"`, which no value can fake).
 */
export type NoneAnswers = { label: string } | { markers: readonly string[] };

/** The window option that says what counts as a none answer (absent: nothing does). */
export interface NoneWindow {
  none?: NoneAnswers;
}

/** Whether `column` holds a none answer (false for every row when nothing counts as one). */
function isNoneAnswer(eb: EB, column: "label" | "teacher_label", window: NoneWindow, dialect: StoreDialect): Expression<SqlBool> {
  const { none } = window;
  if (none === undefined) return eb.lit(false);
  if ("label" in none) return eb(column, "=", none.label);
  if (none.markers.length === 0) return eb.lit(false);
  // A case-sensitive substring test on both dialects (LIKE folds case on SQLite, and _ is a wildcard).
  const position = dialect === "postgres" ? "strpos" : "instr";
  return eb.or(none.markers.map((m) => sql<SqlBool>`${sql.raw(position)}(${sql.ref(column)}, ${m}) > 0`));
}

export class RequestLog {
  /** Single inserts waiting for the next group commit (see insert()). */
  #queue: QueuedInsert[] = [];
  #flushScheduled = false;

  /** Bulk INSERT … ON CONFLICT (id) DO NOTHING texts by row count (negative: with RETURNING id), compiled on first use. */
  readonly #bulkSql = new Map<number, string>();

  constructor(private readonly ctx: StoreContext) {}

  /**
   * Logs one request; resolves once the row is committed. Throws StoreConflictError if the id is
   * already logged.
   *
   * Group commit: the gateway logs every request before replying, and one transaction per row
   * (SQL built by Kysely, a statement prepared, a WAL commit) was most of a prediction's cost under
   * load. Inserts issued in the same turn of the event loop (concurrent requests) are written
   * together, in one transaction, at the next setImmediate; each caller still waits for its own
   * row's commit, so an acknowledged request is logged. Inside a caller's transaction the row is
   * written at once (it must commit or roll back with that transaction).
   */
  async insert(row: RequestInput): Promise<void> {
    const values = this.#toRow(row, 0);
    if (this.ctx.db.isTransaction) return this.#insertOne(values);
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ row: values, resolve, reject });
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(() => void this.#flush());
      }
    });
  }

  async #insertOne(values: RequestRow): Promise<void> {
    const written = await this.ctx.db
      .insertInto("requests")
      .values(values)
      .onConflict((oc) => oc.column("id").doNothing())
      .returning("id")
      .executeTakeFirst();
    if (written === undefined) throw new StoreConflictError(`request "${values.id}" is already logged`);
  }

  async #flush(): Promise<void> {
    const queued = this.#queue;
    this.#queue = [];
    this.#flushScheduled = false;
    if (queued.length === 1) {
      // Nothing to group with: the plain insert, without a transaction around it.
      const q = queued[0];
      return this.#insertOne(q.row).then(q.resolve, q.reject);
    }
    // A second row with an id already in this batch is a conflict whatever happens to the first.
    const seen = new Set<string>();
    const batch: QueuedInsert[] = [];
    for (const q of queued) {
      if (seen.has(q.row.id)) q.reject(new StoreConflictError(`request "${q.row.id}" is already logged`));
      else {
        seen.add(q.row.id);
        batch.push(q);
      }
    }
    let written: Set<string>;
    try {
      written = await inTransaction(this.ctx.db, async (trx) => {
        const ids = new Set<string>();
        await this.#bulkInsert(trx, batch.map((q) => q.row), (id) => ids.add(id));
        return ids;
      });
    } catch {
      // One bad row (a task deleted meanwhile, say) must not fail the others: one at a time, so
      // each caller gets its own row's outcome.
      for (const q of batch) await this.#insertOne(q.row).then(q.resolve, q.reject);
      return;
    }
    for (const q of batch) {
      if (written.has(q.row.id)) q.resolve();
      else q.reject(new StoreConflictError(`request "${q.row.id}" is already logged`));
    }
  }

  /**
   * Logs a batch in one transaction (all or nothing), in statements of a few fixed sizes. Ids
   * already logged are skipped, so re-sending a batch after a failed flush is harmless; returns how
   * many rows were new.
   */
  async insertMany(rows: readonly RequestInput[]): Promise<{ inserted: number }> {
    const values = rows.map((r, i) => this.#toRow(r, i));
    if (values.length === 0) return { inserted: 0 };
    // A SQLite file: off the event loop (sqlite-thread-writer.ts), unless inside a caller's
    // transaction (the rows must commit or roll back with it) or the thread has failed.
    const writer = this.ctx.db.isTransaction ? undefined : this.ctx.threadWriter?.(this.#bulkInsertSql(1, false), ROW_COLUMNS.length);
    if (writer !== undefined && !writer.broken) {
      return { inserted: await writer.write(parametersOf(values, 0, values.length)) };
    }
    return inTransaction(this.ctx.db, async (trx) => ({ inserted: await this.#bulkInsert(trx, values) }));
  }

  /**
   * Inserts rows, skipping ids already logged; returns how many it inserted and, given
   * `onInserted`, which ones (a RETURNING clause: a few µs a row, so only the group commit asks).
   * Every logged request goes through here (request-log-buffer.ts and the group commit above), in
   * batches of whatever arrived in the last few milliseconds. Built by Kysely, each batch was an
   * expression tree per value and, its row count being new, a new SQL text that missed the
   * prepared-statement cache and was compiled by SQLite again. Instead a batch is cut into a few
   * fixed sizes whose SQL is compiled once (by the dialect, so it runs on both) and bound with the
   * rows' values.
   */
  async #bulkInsert(db: Kysely<Database>, rows: readonly RequestRow[], onInserted?: (id: string) => void): Promise<number> {
    let inserted = 0;
    let next = 0;
    for (const size of BULK_SIZES) {
      while (rows.length - next >= size) {
        const result = await db.executeQuery<{ id: string }>(CompiledQuery.raw(this.#bulkInsertSql(size, onInserted !== undefined), parametersOf(rows, next, next + size)));
        if (onInserted === undefined) inserted += Number(result.numAffectedRows ?? 0n);
        else {
          for (const row of result.rows) onInserted(row.id);
          inserted += result.rows.length;
        }
        next += size;
      }
    }
    return inserted;
  }

  #bulkInsertSql(size: number, returning: boolean): string {
    const key = returning ? -size : size;
    let text = this.#bulkSql.get(key);
    if (text === undefined) {
      const template = Object.fromEntries(ROW_COLUMNS.map((c) => [c, null])) as unknown as RequestRow;
      const insert = this.ctx.db
        .insertInto("requests")
        .values(Array.from({ length: size }, () => template))
        .onConflict((oc) => oc.column("id").doNothing());
      text = (returning ? insert.returning("id") : insert).compile().sql;
      this.#bulkSql.set(key, text);
    }
    return text;
  }

  /**
   * The task names the log holds rows for, deleted tasks' included: a skip-scan of the
   * (task, created_at) index (one lookup per task), not a scan of the rows.
   */
  async loggedTasks(): Promise<string[]> {
    const query = sql<{ name: string | null }>`with recursive t(name) as (
        select min(task) from requests
        union all
        select (select min(task) from requests where task > t.name) from t where t.name is not null
      ) select name from t where name is not null`.compile(this.ctx.db);
    const { rows } = await executeInBackground<{ name: string | null }>(this.ctx, query);
    return rows.map((r) => r.name!);
  }

  /**
   * Deletes up to `limit` of the task's oldest rows logged before `before` (epoch ms), in one
   * statement (one transaction); returns how many. Retention calls it in small batches.
   */
  async deleteOlder(task: string, before: number, limit: number): Promise<number> {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new StoreError(`delete limit must be a positive integer, got ${limit}`);
    const query = this.ctx.db
      .deleteFrom("requests")
      .where("id", "in", (eb) => eb.selectFrom("requests").select("id").where("task", "=", task).where("created_at", "<", before).orderBy("created_at").limit(limit))
      .compile();
    return Number((await executeInBackground(this.ctx, query)).numAffectedRows ?? 0n);
  }

  /**
   * The time before which the task's rows must go for at most `keep` to remain: just past the
   * (keep + 1)-th newest row's time, or null when the task has at most `keep` rows. Walks `keep`
   * entries of the (task, created_at) index.
   */
  async keepCutoff(task: string, keep: number): Promise<number | null> {
    if (!Number.isSafeInteger(keep) || keep < 0) throw new StoreError(`rows to keep must be a non-negative integer, got ${keep}`);
    const query = this.ctx.db.selectFrom("requests").select("created_at").where("task", "=", task).orderBy("created_at", "desc").limit(1).offset(keep).compile();
    const row = (await executeInBackground<{ created_at: number | string }>(this.ctx, query)).rows[0];
    return row === undefined ? null : toNumber(row.created_at) + 1;
  }

  /**
   * Moves up to `limit` of `from`'s newest rows logged at or before `notAfter` (epoch ms; absent:
   * any) to `into` (a merge), in one statement; returns how many moved and how many such rows of
   * `from` are left. Bounded because a move holds both tasks' write locks, and on SQLite the
   * database's: an unbounded UPDATE of a log up to retention's row cap (1 M by default) would
   * stall every writer for seconds, so a big log moves in several calls. `notAfter` keeps the rows
   * of a task founded later under the same name where they are. Rows keep their id, answers and time.
   */
  async moveNewest(from: string, into: string, limit: number, notAfter?: number): Promise<{ moved: number; left: number }> {
    if (!Number.isSafeInteger(limit) || limit < 0) throw new StoreError(`move limit must be a non-negative integer, got ${limit}`);
    return inTransaction(this.ctx.db, async (trx) => {
      const movable = trx
        .selectFrom("requests")
        .where("task", "=", from)
        .$if(notAfter !== undefined, (qb) => qb.where("created_at", "<=", notAfter!));
      const newest = movable.select("id").orderBy("created_at", "desc").limit(limit);
      const moved = limit === 0 ? 0 : Number((await trx.updateTable("requests").set({ task: into }).where("id", "in", newest).executeTakeFirst()).numUpdatedRows);
      // A count on the (task, created_at) index: a read, far cheaper than moving the rows.
      const left = await movable.select((eb) => eb.fn.countAll<number | string>().as("n")).executeTakeFirst();
      return { moved, left: toNumber(left?.n) };
    });
  }

  /** Records that `from`'s rows logged at or before `notAfter` are still to move to `into` (the rest of a merge's). */
  async planMove(move: PlannedMove): Promise<void> {
    await this.ctx.db
      .insertInto("request_log_moves")
      .values({ from_task: move.from, into_task: move.into, not_after: move.notAfter })
      .onConflict((oc) => oc.columns(["from_task", "not_after"]).doNothing())
      .execute();
  }

  /** The moves planned and not yet finished, oldest first. */
  async plannedMoves(): Promise<PlannedMove[]> {
    const rows = await this.ctx.db.selectFrom("request_log_moves").selectAll().orderBy("not_after").orderBy("from_task").execute();
    return rows.map((r) => ({ from: r.from_task, into: r.into_task, notAfter: toNumber(r.not_after) }));
  }

  /** Forgets a planned move whose rows have all moved. */
  async finishMove(move: PlannedMove): Promise<void> {
    await this.ctx.db.deleteFrom("request_log_moves").where("from_task", "=", move.from).where("not_after", "=", move.notAfter).execute();
  }

  /** How many rows the task has in the log (off the event loop where it can be). */
  async count(task: string): Promise<number> {
    const query = this.ctx.db.selectFrom("requests").select((eb) => eb.fn.countAll<number | string>().as("n")).where("task", "=", task).compile();
    return toNumber((await executeInBackground<{ n: number | string }>(this.ctx, query)).rows[0]?.n);
  }

  /**
   * The inputs of the task's last `limit` logged requests, oldest first; rows that keep only the
   * input's hash are skipped. What the surge guard compares new traffic with after a restart.
   */
  async recentInputs(task: string, limit: number): Promise<string[]> {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new StoreError(`limit must be a positive integer, got ${limit}`);
    const query = this.ctx.db
      .selectFrom("requests")
      .select("input")
      .where("task", "=", task)
      .where("input", "is not", null)
      .orderBy("created_at", "desc")
      .orderBy("id", "desc")
      .limit(limit)
      .compile();
    const rows = (await executeInBackground<{ input: string }>(this.ctx, query)).rows;
    return rows.map((r) => r.input).reverse();
  }

  /**
   * A page of the task's requests matching `filter`, newest first, starting after `after` (the
   * previous page's `next`); `next` is null on the last page.
   */
  async search(task: string, filter: RequestFilter, limit: number, after: RequestCursor | null = null): Promise<{ data: RequestRecord[]; next: RequestCursor | null }> {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new StoreError(`page size must be a positive integer, got ${limit}`);
    // One row more than asked: whether there is a next page, without a count.
    const rows = await searchRows(this.ctx.db, task, filter, limit + 1, after);
    const data = rows.slice(0, limit).map(toRecord);
    const last = data[data.length - 1];
    return { data, next: rows.length > limit ? { created_at: last.created_at, id: last.id } : null };
  }

  async get(id: string): Promise<RequestRecord | null> {
    const row = await this.ctx.db.selectFrom("requests").selectAll().where("id", "=", id).executeTakeFirst();
    return row === undefined ? null : toRecord(row);
  }

  /** Counts, cost, latency and a daily series for one task over [since, until). */
  async stats(task: string, window: { since?: number | Date; until?: number | Date } & NoneWindow = {}): Promise<RequestStats> {
    const since = window.since === undefined ? 0 : +window.since;
    const until = window.until === undefined ? null : +window.until;
    const base = () => this.#window(task, since, until);
    const dialect = this.ctx.dialect;

    const totals = await base()
      .select((eb) => [
        eb.fn.countAll<number | string>().as("requests"),
        ...REQUEST_SOURCES.map((s) => countWhen(eb, eb("source", "=", s)).as(`source_${s}`)),
        ...REQUEST_STATUSES.map((s) => countWhen(eb, eb("status", "=", s)).as(`status_${s}`)),
        countWhen(eb, teacherCalled(eb)).as("teacher_calls"),
        countWhen(eb, eb("audited", "=", 1)).as("audited"),
        countWhen(eb, disagreed(eb)).as("disagreements"),
        countWhen(eb, isNoneAnswer(eb, "label", window, dialect)).as("none_answers"),
        countWhen(eb, eb.and([eb("audited", "=", 1), isNoneAnswer(eb, "teacher_label", window, dialect)])).as("audited_none"),
        eb.fn.sum<number | string | null>("cost").as("cost"),
      ])
      .executeTakeFirstOrThrow();
    const t = totals as unknown as Record<string, number | string | null>;
    const requests = toNumber(t.requests);

    const percentile = async (p: number): Promise<number | null> => {
      if (requests === 0) return null;
      const row = await base()
        .select("latency_ms")
        .orderBy("latency_ms")
        .limit(1)
        .offset(Math.max(0, Math.ceil(p * requests) - 1))
        .executeTakeFirst();
      return row === undefined ? null : row.latency_ms;
    };

    const days = await this.#buckets(task, since, until, DAY_MS, window);

    return {
      task,
      since,
      until,
      requests,
      by_source: Object.fromEntries(REQUEST_SOURCES.map((s) => [s, toNumber(t[`source_${s}`])])) as Record<RequestSource, number>,
      by_status: Object.fromEntries(REQUEST_STATUSES.map((s) => [s, toNumber(t[`status_${s}`])])) as Record<RequestStatus, number>,
      teacher_calls: toNumber(t.teacher_calls),
      audited: toNumber(t.audited),
      disagreements: toNumber(t.disagreements),
      none_answers: toNumber(t.none_answers),
      audited_none: toNumber(t.audited_none),
      cost: toNumber(t.cost),
      latency_p50_ms: await percentile(0.5),
      latency_p95_ms: await percentile(0.95),
      daily: days.length === 0 ? [] : fillBuckets(days, days[0].start, days[days.length - 1].start, DAY_MS).map(toDaily),
    };
  }

  /** Shadow mode's figures for one task over [since, until) (ShadowStats), of one model version when given. */
  async shadowStats(task: string, window: { since?: number; until?: number; version?: number } = {}): Promise<ShadowStats> {
    let query = this.#window(task, window.since ?? 0, window.until ?? null).where("shadow", "=", 1);
    if (window.version !== undefined) query = query.where("model_version", "=", window.version);
    const row = await query
      .select((eb) => {
        const judged = eb("teacher_label", "is not", null);
        const would = eb("shadow_label", "is not", null);
        return [
          eb.fn.countAll<number | string>().as("requests"),
          countWhen(eb, judged).as("judged"),
          countWhen(eb, would).as("would_answer"),
          countWhen(eb, eb.and([would, judged])).as("would_answer_judged"),
          countWhen(eb, eb.and([would, judged, eb("teacher_label", "<>", eb.ref("shadow_label"))])).as("disagreements"),
          eb.fn.sum<number | string | null>("cost").as("cost"),
          eb.fn.sum<number | string | null>(eb.case().when(would).then(eb.ref("cost")).else(eb.lit(0)).end()).as("would_answer_cost"),
        ];
      })
      .executeTakeFirstOrThrow();
    const r = row as unknown as Record<keyof ShadowStats, number | string | null>;
    return {
      requests: toNumber(r.requests),
      judged: toNumber(r.judged),
      would_answer: toNumber(r.would_answer),
      would_answer_judged: toNumber(r.would_answer_judged),
      disagreements: toNumber(r.disagreements),
      cost: toNumber(r.cost),
      would_answer_cost: toNumber(r.would_answer_cost),
    };
  }

  /** The requests of one task over [since, until) that were answered, not shadowed (ServedStats). */
  async servedStats(task: string, window: { since?: number; until?: number } = {}): Promise<ServedStats> {
    const row = await this.#window(task, window.since ?? 0, window.until ?? null)
      .where("shadow", "=", 0)
      .select((eb) => [eb.fn.countAll<number | string>().as("requests"), countWhen(eb, eb("source", "=", "specialist")).as("by_specialist"), eb.fn.sum<number | string | null>("cost").as("cost")])
      .executeTakeFirstOrThrow();
    const r = row as unknown as Record<keyof ServedStats, number | string | null>;
    return { requests: toNumber(r.requests), by_specialist: toNumber(r.by_specialist), cost: toNumber(r.cost) };
  }

  /**
   * The answer and the teacher's of each audit that disagreed over [since, until), newest first,
   * at most `limit`: a structured task reads from them which fields its specialist gets wrong.
   */
  async auditDisagreements(task: string, window: { since?: number; until?: number }, limit: number): Promise<{ label: string; teacher_label: string }[]> {
    const rows = await this.#window(task, window.since ?? 0, window.until ?? null)
      .select(["label", "teacher_label"])
      .where(disagreed)
      .orderBy("created_at", "desc")
      .limit(limit)
      .execute();
    return rows.map((r) => ({ label: r.label!, teacher_label: r.teacher_label! }));
  }

  /**
   * The audits over [since, until) whose teacher answered validly, of one model version when
   * given, counted by the specialist's answer and the teacher's (equal: they agreed): which answers
   * the live audits find wrong, and what the teacher says instead.
   */
  async auditPairs(task: string, window: { since?: number; until?: number; version?: number }): Promise<{ label: string; teacher_label: string; count: number }[]> {
    let query = this.#window(task, window.since ?? 0, window.until ?? null);
    if (window.version !== undefined) query = query.where("model_version", "=", window.version);
    const rows = await query
      .where("audited", "=", 1)
      .where("label", "is not", null)
      .where("teacher_label", "is not", null)
      .select((eb) => ["label", "teacher_label", eb.fn.countAll<number | string>().as("count")])
      .groupBy(["label", "teacher_label"])
      .execute();
    return rows.map((r) => ({ label: r.label!, teacher_label: r.teacher_label!, count: toNumber(r.count) }));
  }

  /**
   * Traffic of one task over [since, until) in buckets of `bucketMs` milliseconds, aligned to
   * multiples of it (UTC): every bucket from the one holding `since` to the one holding
   * `until − 1`, oldest first, those without requests as zeros. The first and last buckets count
   * only the part inside the window, so the series adds up to stats() over the same window.
   */
  async series(task: string, window: { since: number; until: number } & NoneWindow, bucketMs: number): Promise<TrafficBucket[]> {
    const { since, until } = window;
    if (!Number.isSafeInteger(bucketMs) || bucketMs < 1) throw new StoreError(`bucket size must be a positive integer of milliseconds, got ${bucketMs}`);
    if (!(Number.isSafeInteger(since) && Number.isSafeInteger(until) && since < until)) throw new StoreError(`the window must be integer epoch milliseconds with since < until, got ${since} to ${until}`);
    const rows = await this.#buckets(task, since, until, bucketMs, window);
    return fillBuckets(rows, bucketStart(since, bucketMs), bucketStart(until - 1, bucketMs), bucketMs);
  }

  /**
   * The review queue of one kind, or of every kind (`all`: disagreements, then invalid teacher
   * answers, then low-confidence answers, each request once under its first kind). Disagreements
   * and invalid answers come newest first, low-confidence answers least confident first.
   *
   * Only requests whose input was kept (never those of `privacy: hash_inputs` tasks), and only
   * until their text has a human or feedback example: a person has settled that label.
   */
  async review(task: string, kind: ReviewKind | "all", limit: number, options: ReviewOptions = {}): Promise<ReviewItem[]> {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new StoreError(`review limit must be a positive integer, got ${limit}`);
    const conditions = reviewConditions(options);
    if (kind !== "all") return this.#reviewOf(task, kind, limit, conditions);
    const seen = new Set<string>();
    const items: ReviewItem[] = [];
    for (const k of ["disagreement", "teacher_invalid", "low_confidence"] as const) {
      for (const item of await this.#reviewOf(task, k, limit, conditions)) {
        if (seen.has(item.id)) continue;
        seen.add(item.id);
        items.push(item);
      }
    }
    return items.slice(0, limit);
  }

  /** How many requests each review queue holds (a request may be counted under several kinds). */
  async reviewCounts(task: string, options: ReviewOptions = {}): Promise<Record<ReviewKind, number>> {
    const conditions = reviewConditions(options);
    const row = await this.#unreviewed(task)
      .select((eb) => REVIEW_KINDS.map((k) => countWhen(eb, conditions[k](eb)).as(k)))
      .executeTakeFirstOrThrow();
    const counts = row as unknown as Record<ReviewKind, number | string | null>;
    return Object.fromEntries(REVIEW_KINDS.map((k) => [k, toNumber(counts[k])])) as Record<ReviewKind, number>;
  }

  async #reviewOf(task: string, kind: ReviewKind, limit: number, conditions: ReturnType<typeof reviewConditions>): Promise<ReviewItem[]> {
    let query = this.#unreviewed(task).selectAll().where(conditions[kind]);
    if (kind === "low_confidence") query = query.orderBy("confidence", "asc");
    const rows = await query.orderBy("created_at", "desc").orderBy("id").limit(limit).execute();
    return rows.map((row) => ({ ...toRecord(row), kind }));
  }

  /** The task's requests with a kept input and no human or feedback example for their text. */
  #unreviewed(task: string) {
    return this.ctx.db
      .selectFrom("requests")
      .where("requests.task", "=", task)
      .where("requests.input", "is not", null)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom("examples")
              .select("examples.id")
              .whereRef("examples.task", "=", "requests.task")
              .whereRef("examples.text_hash", "=", "requests.input_hash")
              .where("examples.source", "in", REVIEWED_SOURCES),
          ),
        ),
      );
  }

  /** Requests of one task over [since, until) (until null: open). */
  #window(task: string, since: number, until: number | null) {
    const query = this.ctx.db.selectFrom("requests").where("task", "=", task).where("created_at", ">=", since);
    return until === null ? query : query.where("created_at", "<", until);
  }

  /** The buckets of [since, until) that have requests, oldest first; `none` says what is counted as none_of_these. */
  async #buckets(task: string, since: number, until: number | null, bucketMs: number, none: NoneWindow): Promise<TrafficBucket[]> {
    // Integer division of epoch ms, the same expression on both dialects. Literal (not bound) so
    // PostgreSQL sees the same expression in SELECT and GROUP BY.
    const bucket = sql<number | string>`${sql.ref("created_at")} / ${sql.lit(bucketMs)}`;
    const rows = await this.#window(task, since, until)
      .select((eb) => [
        bucket.as("bucket"),
        eb.fn.countAll<number | string>().as("requests"),
        ...REQUEST_SOURCES.map((s) => countWhen(eb, eb("source", "=", s)).as(s)),
        countWhen(eb, isNoneAnswer(eb, "label", none, this.ctx.dialect)).as("none_of_these"),
        countWhen(eb, teacherCalled(eb)).as("teacher_calls"),
        eb.fn.sum<number | string | null>("cost").as("cost"),
      ])
      .groupBy(bucket)
      .orderBy(bucket)
      .execute();
    return rows.map((r) => ({
      start: toNumber(r.bucket) * bucketMs,
      requests: toNumber(r.requests),
      specialist: toNumber(r.specialist),
      teacher: toNumber(r.teacher),
      none: toNumber(r.none),
      none_of_these: toNumber(r.none_of_these),
      teacher_calls: toNumber(r.teacher_calls),
      cost: toNumber(r.cost),
    }));
  }

  #toRow(r: RequestInput, index: number): RequestRow {
    // Only built for an error: this runs for every logged request.
    const where = () => `request ${JSON.stringify(r.id)} (row ${index + 1})`;
    if (!REQUEST_SOURCES.includes(r.source)) throw new StoreError(`${where()}: source ${JSON.stringify(r.source)} is not one of ${REQUEST_SOURCES.join(", ")}`);
    if (!REQUEST_STATUSES.includes(r.status)) throw new StoreError(`${where()}: status ${JSON.stringify(r.status)} is not one of ${REQUEST_STATUSES.join(", ")}`);
    let inputHash = r.input_hash;
    if (inputHash === undefined) {
      if (r.input === null) throw new StoreError(`${where()}: input_hash is required when input is null`);
      inputHash = textHash(r.input);
    }
    return {
      id: r.id,
      task: r.task,
      input: r.input,
      input_hash: inputHash,
      label: r.label ?? null,
      confidence: r.confidence ?? null,
      source: r.source,
      model_version: r.model_version ?? null,
      latency_ms: r.latency_ms,
      cost: r.cost ?? 0,
      audited: (r.audited === true ? 1 : 0) as 0 | 1,
      teacher_label: r.teacher_label ?? null,
      status: r.status,
      created_at: r.created_at ?? this.ctx.now(),
      key_id: r.key_id ?? null,
      key_name: r.key_name ?? null,
      threshold: r.threshold ?? null,
      shadow: (r.shadow === true ? 1 : 0) as 0 | 1,
      shadow_label: r.shadow_label ?? null,
    };
  }
}

function toRecord(row: Selectable<RequestsTable>): RequestRecord {
  return { ...row, created_at: toNumber(row.created_at), audited: row.audited === 1, key_id: toNullableNumber(row.key_id), shadow: row.shadow === 1 };
}

/** Start of the bucket holding `t`: floor, like the SQL integer division for the non-negative times stored. */
function bucketStart(t: number, bucketMs: number): number {
  return Math.floor(t / bucketMs) * bucketMs;
}

/** Every bucket from `first` to `last` (bucket starts), taking `rows` where they have one, zeros elsewhere. */
function fillBuckets(rows: readonly TrafficBucket[], first: number, last: number, bucketMs: number): TrafficBucket[] {
  const byStart = new Map(rows.map((r) => [r.start, r]));
  const out: TrafficBucket[] = [];
  for (let start = first; start <= last; start += bucketMs) {
    out.push(byStart.get(start) ?? { start, requests: 0, specialist: 0, teacher: 0, none: 0, none_of_these: 0, teacher_calls: 0, cost: 0 });
  }
  return out;
}

function toDaily({ start, requests, specialist, teacher, cost }: TrafficBucket): DailyRequestStats {
  return { day: new Date(start).toISOString().slice(0, 10), start, requests, specialist, teacher, cost };
}
