// Labelled examples, one per (task, text). Which label wins when a text comes again:
//   - a human, feedback or import label replaces a teacher label;
//   - a teacher label never replaces a human, feedback or import label;
//   - between labels of the same rank, the newer wins.
// The rule is applied in SQL (an upsert whose DO UPDATE has a WHERE), the same statement on SQLite
// and PostgreSQL, so concurrent writers cannot break it; rows of one batch are merged first by the
// same rule, in order (PostgreSQL refuses to upsert one row twice in a statement).
import { sql, type Kysely } from "kysely";
import { chunks, inTransaction, rowsPerInsert, toNullableNumber, toNumber, type StoreContext } from "./context.js";
import { StoreError, StoreNotFoundError } from "./errors.js";
import { textHash } from "./hash.js";
import { containsText } from "./request-search.js";
import { EXAMPLE_SOURCES, type Database, type ExampleOrigin, type ExampleSource } from "./schema.js";

export interface ExampleInput {
  text: string;
  label: string;
  source: ExampleSource;
  /** Held out from training. Default false. An existing example keeps its side whatever is passed. */
  holdout?: boolean;
  /** Came from a live audit. Default false. Once true, stays true. */
  audited?: boolean;
  /** What caused the label (default null: not recorded); replaced with the label. */
  origin?: ExampleOrigin | null;
  /** The API key whose request caused it, if any. */
  key_id?: number | null;
  key_name?: string | null;
}

export interface ExampleRecord {
  id: number;
  task: string;
  text: string;
  text_hash: string;
  label: string;
  source: ExampleSource;
  holdout: boolean;
  audited: boolean;
  /** Epoch milliseconds. */
  created_at: number;
  updated_at: number;
  /** What caused the current label, and the key that sent it (null: not recorded, or no key). */
  origin: ExampleOrigin | null;
  key_id: number | null;
  key_name: string | null;
}

/** Narrows page() and count(); an absent field matches every example. */
export interface ExampleFilter {
  source?: ExampleSource;
  label?: string;
  /** What caused the current label; null: not recorded (rows from before migration 004). */
  origin?: ExampleOrigin | null;
  holdout?: boolean;
  /** A substring of the text, case-insensitive (ASCII letters only on SQLite). */
  text?: string;
}

/** What changed in a task's examples after a moment (e.g. when the live version was trained). */
export interface ExampleChanges {
  /** Stored for the first time since (and still stored). */
  added: number;
  /** Stored before, and their label or source changed since. */
  relabelled: number;
  /** Deleted since. */
  deleted: number;
}

export interface AddManyResult {
  /** Texts stored for the first time. */
  inserted: number;
  /** Stored texts whose label, source or audited flag changed. */
  updated: number;
  /**
   * Rows that changed nothing: same label and source as stored, a teacher label for a text with a
   * human/feedback/import label, or a row overridden by a later row of the same batch.
   * inserted + updated + unchanged = rows.length.
   */
  unchanged: number;
}

const RANK: Record<ExampleSource, number> = { teacher: 0, human: 1, feedback: 1, import: 1 };
const COLUMNS_PER_ROW = 13;

export class ExampleRepository {
  constructor(private readonly ctx: StoreContext) {}

  /**
   * Adds or relabels examples in ONE transaction: all rows are applied or none (a row the database
   * rejects rolls back every chunk before it). Inserts go in chunks sized to the dialect's
   * parameter limit, so 100,000 rows are a few statements. Throws StoreNotFoundError if the task
   * does not exist.
   */
  async addMany(task: string, rows: readonly ExampleInput[]): Promise<AddManyResult> {
    const merged = mergeBatch(rows);
    const now = this.ctx.now();
    const entries = [...merged.entries()];
    const size = rowsPerInsert(this.ctx.dialect, COLUMNS_PER_ROW);

    return inTransaction(this.ctx.db, async (trx) => {
      // Bumping the task's revision also takes its write lock (the row lock on PostgreSQL; SQLite's
      // transaction holds the database's), which serialises writers to this task: the counts below
      // are exact, and revisions become visible in the order they were taken.
      const bumped = await trx
        .updateTable("tasks")
        .set({ revision: sql<number>`revision + 1` })
        .where("name", "=", task)
        .returning("revision")
        .executeTakeFirst();
      if (bumped === undefined) throw new StoreNotFoundError(`no task "${task}"`);
      const revision = toNumber(bumped.revision);
      const values = entries.map(([hash, r]) => ({
        task,
        text: r.text,
        text_hash: hash,
        label: r.label,
        source: r.source,
        holdout: (r.holdout === true ? 1 : 0) as 0 | 1,
        audited: (r.audited === true ? 1 : 0) as 0 | 1,
        created_at: now,
        updated_at: now,
        revision,
        origin: r.origin ?? null,
        key_id: r.key_id ?? null,
        key_name: r.key_name ?? null,
      }));
      const before = await trx.selectFrom("examples").select((eb) => eb.fn.max("id").as("max_id")).executeTakeFirst();
      const maxIdBefore = toNumber(before?.max_id);
      let inserted = 0;
      let updated = 0;
      for (const chunk of chunks(values, size)) {
        const written = await trx
          .insertInto("examples")
          .values(chunk)
          .onConflict((oc) =>
            oc
              .columns(["task", "text_hash"])
              .doUpdateSet((eb) => ({
                label: eb.ref("excluded.label"),
                source: eb.ref("excluded.source"),
                audited: sql<0 | 1>`case when ${eb.ref("examples.audited")} = 1 or ${eb.ref("excluded.audited")} = 1 then 1 else 0 end`,
                updated_at: eb.ref("excluded.updated_at"),
                revision: eb.ref("excluded.revision"),
                origin: eb.ref("excluded.origin"),
                key_id: eb.ref("excluded.key_id"),
                key_name: eb.ref("excluded.key_name"),
              }))
              .where((eb) =>
                eb.and([
                  // Rank: a teacher label only replaces a teacher label.
                  eb.or([eb("excluded.source", "<>", "teacher"), eb("examples.source", "=", "teacher")]),
                  // Something changes (otherwise the row counts as unchanged and is not rewritten).
                  eb.or([
                    eb("examples.label", "<>", eb.ref("excluded.label")),
                    eb("examples.source", "<>", eb.ref("excluded.source")),
                    eb.and([eb("excluded.audited", "=", 1), eb("examples.audited", "=", 0)]),
                  ]),
                ]),
              ),
          )
          .returning("id")
          .execute();
        for (const w of written) {
          // AUTOINCREMENT / identity ids only grow, so a new row has an id above every earlier one.
          if (toNumber(w.id) > maxIdBefore) inserted++;
          else updated++;
        }
      }
      return { inserted, updated, unchanged: rows.length - inserted - updated };
    });
  }

  /**
   * Up to `limit` examples with id > `after` (default 0) that match the filter, in id order:
   * keyset paging, so rows added while a client pages never shift the pages it has not read yet.
   */
  async page(task: string, options: { after?: number; limit: number } & ExampleFilter): Promise<ExampleRecord[]> {
    const { after = 0, limit } = options;
    // SQLite reads a negative LIMIT as "no limit": refuse it rather than return every row.
    if (!Number.isSafeInteger(limit) || limit < 1) throw new StoreError(`page limit must be a positive integer, got ${limit}`);
    if (!Number.isSafeInteger(after) || after < 0) throw new StoreError(`page cursor must be a non-negative integer, got ${after}`);
    const rows = await this.#matching(task, options).selectAll().where("id", ">", after).orderBy("id").limit(limit).execute();
    return rows.map(toRecord);
  }

  /** Every example of the task in id (first-insertion) order, e.g. to train. */
  async all(task: string): Promise<ExampleRecord[]> {
    const rows = await this.ctx.db.selectFrom("examples").selectAll().where("task", "=", task).orderBy("id").execute();
    return rows.map(toRecord);
  }

  /**
   * The examples inserted or changed by the task's writes with revision in (after, upTo], in id
   * order: what another instance wrote since this one last looked (see TaskRuntime.sync). A row
   * changed again after upTo is left for the next call, which sees its newer state.
   */
  async changedSince(task: string, after: number, upTo: number): Promise<ExampleRecord[]> {
    const rows = await this.ctx.db
      .selectFrom("examples")
      .selectAll()
      .where("task", "=", task)
      .where("revision", ">", after)
      .where("revision", "<=", upTo)
      .orderBy("id")
      .execute();
    return rows.map(toRecord);
  }

  /** Examples of the task, or only those matching the filter. */
  async count(task: string, filter: ExampleFilter = {}): Promise<number> {
    const row = await this.#matching(task, filter)
      .select((eb) => eb.fn.countAll().as("n"))
      .executeTakeFirst();
    return toNumber(row?.n as number | string | bigint | undefined);
  }

  /** One WHERE for page() and count(), so a page's `total` counts exactly the rows it pages. */
  #matching(task: string, filter: ExampleFilter) {
    let query = this.ctx.db.selectFrom("examples").where("task", "=", task);
    if (filter.source !== undefined) query = query.where("source", "=", filter.source);
    if (filter.label !== undefined) query = query.where("label", "=", filter.label);
    if (filter.origin !== undefined) query = filter.origin === null ? query.where("origin", "is", null) : query.where("origin", "=", filter.origin);
    if (filter.holdout !== undefined) query = query.where("holdout", "=", filter.holdout ? 1 : 0);
    if (filter.text !== undefined && filter.text !== "") {
      query = query.where(containsText("text", filter.text));
    }
    return query;
  }

  /** The example with this id, if it belongs to the task. */
  async byId(task: string, id: number): Promise<ExampleRecord | null> {
    const row = await this.ctx.db.selectFrom("examples").selectAll().where("task", "=", task).where("id", "=", id).executeTakeFirst();
    return row === undefined ? null : toRecord(row);
  }

  /**
   * Deletes the examples with these texts in one transaction, leaving a tombstone (hash and
   * revision) for each, so that other instances forget them at their next sync (removedSince) and
   * a later write of the same text starts a new example. Returns how many were stored.
   */
  async remove(task: string, texts: readonly string[]): Promise<number> {
    const hashes = [...new Set(texts.map(textHash))];
    if (hashes.length === 0) return 0;
    const now = this.ctx.now();
    const size = rowsPerInsert(this.ctx.dialect, 4);
    return inTransaction(this.ctx.db, async (trx) => {
      // The revision bump takes the task's write lock, as in addMany.
      const bumped = await trx.updateTable("tasks").set({ revision: sql<number>`revision + 1` }).where("name", "=", task).returning("revision").executeTakeFirst();
      if (bumped === undefined) throw new StoreNotFoundError(`no task "${task}"`);
      const revision = toNumber(bumped.revision);
      let removed = 0;
      for (const chunk of chunks(hashes, size)) {
        const gone = await trx.deleteFrom("examples").where("task", "=", task).where("text_hash", "in", chunk).returning("text_hash").execute();
        if (gone.length === 0) continue;
        removed += gone.length;
        await trx
          .insertInto("example_deletions")
          .values(gone.map((g) => ({ task, text_hash: g.text_hash, revision, deleted_at: now })))
          .execute();
      }
      return removed;
    });
  }

  /**
   * Moves every example of `from` into `into` in one transaction, each with its label, source,
   * origin, key and holdout side; a text `into` has already stays as `into` has it (its label may
   * be a person's) and its copy stays with `from`. The moved rows count as added to `into` now
   * (its revision and clock), so other instances and "changes since the live version" see them.
   * Labels move as stored, or as `relabel` rewrites them (a merge of structured tasks whose fields
   * are in another order: the target's canonical JSON), in the same transaction, a page of rows
   * at a time; the caller makes sure both tasks read them alike. A rewritten label that is not a
   * valid label (empty, too long) fails the whole move.
   */
  async moveAll(from: string, into: string, relabel?: (label: string) => string): Promise<{ moved: number; kept_existing: number }> {
    const now = this.ctx.now();
    return inTransaction(this.ctx.db, async (trx) => {
      // Both tasks' write locks, the target's with its revision bump (as in addMany).
      const bumped = await trx.updateTable("tasks").set({ revision: sql<number>`revision + 1` }).where("name", "=", into).returning("revision").executeTakeFirst();
      if (bumped === undefined) throw new StoreNotFoundError(`no task "${into}"`);
      const source = await trx.updateTable("tasks").set({ revision: sql<number>`revision + 1` }).where("name", "=", from).returning("revision").executeTakeFirst();
      if (source === undefined) throw new StoreNotFoundError(`no task "${from}"`);
      if (relabel !== undefined) await relabelRows(trx, from, relabel);
      const existing = trx.selectFrom("examples").select("text_hash").where("task", "=", into);
      const moved = await trx
        .updateTable("examples")
        .set({ task: into, revision: toNumber(bumped.revision), created_at: now, updated_at: now })
        .where("task", "=", from)
        .where("text_hash", "not in", existing)
        .executeTakeFirst();
      const left = await trx.selectFrom("examples").select((eb) => eb.fn.countAll().as("n")).where("task", "=", from).executeTakeFirst();
      return { moved: Number(moved.numUpdatedRows), kept_existing: toNumber(left?.n as number | string | bigint | undefined) };
    });
  }

  /** Hashes of the texts deleted by the task's writes with revision in (after, upTo] (see changedSince). */
  async removedSince(task: string, after: number, upTo: number): Promise<string[]> {
    const rows = await this.ctx.db
      .selectFrom("example_deletions")
      .select("text_hash")
      .where("task", "=", task)
      .where("revision", ">", after)
      .where("revision", "<=", upTo)
      .execute();
    return rows.map((r) => r.text_hash);
  }

  /** How many examples were added, relabelled and deleted after `since` (epoch ms). */
  async changesAfter(task: string, since: number): Promise<ExampleChanges> {
    const counts = await this.ctx.db
      .selectFrom("examples")
      .select((eb) => [
        eb.fn.sum<number | string | null>(eb.case().when("created_at", ">", since).then(1).else(0).end()).as("added"),
        eb.fn.sum<number | string | null>(eb.case().when(eb.and([eb("created_at", "<=", since), eb("updated_at", ">", since)])).then(1).else(0).end()).as("relabelled"),
      ])
      .where("task", "=", task)
      .executeTakeFirst();
    const deleted = await this.ctx.db
      .selectFrom("example_deletions")
      .select((eb) => eb.fn.countAll().as("n"))
      .where("task", "=", task)
      .where("deleted_at", ">", since)
      .executeTakeFirst();
    return { added: toNumber(counts?.added), relabelled: toNumber(counts?.relabelled), deleted: toNumber(deleted?.n as number | string | bigint | undefined) };
  }

  /** Up to `limit` examples added or relabelled after `since` (epoch ms), most recent change first. */
  async changedAfter(task: string, since: number, limit: number): Promise<ExampleRecord[]> {
    const rows = await this.ctx.db
      .selectFrom("examples")
      .selectAll()
      .where("task", "=", task)
      .where("updated_at", ">", since)
      .orderBy("updated_at", "desc")
      .orderBy("id", "desc")
      .limit(limit)
      .execute();
    return rows.map(toRecord);
  }

  /** Examples first stored after the one with id `id` (relabels keep their id and are not counted). */
  async countSince(task: string, id: number): Promise<number> {
    const row = await this.ctx.db
      .selectFrom("examples")
      .select((eb) => eb.fn.countAll().as("n"))
      .where("task", "=", task)
      .where("id", ">", id)
      .executeTakeFirst();
    return toNumber(row?.n as number | string | bigint | undefined);
  }

  /** The example for exactly this text, or null. */
  async get(task: string, text: string): Promise<ExampleRecord | null> {
    const row = await this.ctx.db
      .selectFrom("examples")
      .selectAll()
      .where("task", "=", task)
      .where("text_hash", "=", textHash(text))
      .executeTakeFirst();
    return row === undefined || row.text !== text ? null : toRecord(row);
  }
}

/** Rows per statement when moveAll rewrites labels (two bound values a row, far below either dialect's limit). */
const RELABEL_PAGE_ROWS = 500;

/** Rewrites every label of `task`'s examples through `relabel`, in id order, one UPDATE per page of changed rows. */
async function relabelRows(trx: Kysely<Database>, task: string, relabel: (label: string) => string): Promise<void> {
  let after = -1;
  for (;;) {
    const page = await trx.selectFrom("examples").select(["id", "label"]).where("task", "=", task).where("id", ">", after).orderBy("id").limit(RELABEL_PAGE_ROWS).execute();
    if (page.length === 0) return;
    after = toNumber(page[page.length - 1].id);
    const changed = page.map((r) => ({ id: toNumber(r.id), label: relabel(r.label) })).filter((r, i) => r.label !== page[i].label);
    if (changed.length === 0) continue;
    const cases = sql.join(changed.map((r) => sql`when ${r.id} then ${r.label}`), sql` `);
    await trx
      .updateTable("examples")
      .set({ label: sql<string>`case id ${cases} end` })
      .where("task", "=", task)
      .where(
        "id",
        "in",
        changed.map((r) => r.id),
      )
      .execute();
  }
}

/** Applies the ranking rule within one batch, keyed by text hash, keeping first-seen order. */
function mergeBatch(rows: readonly ExampleInput[]): Map<string, ExampleInput> {
  const merged = new Map<string, ExampleInput>();
  rows.forEach((row, i) => {
    if (!EXAMPLE_SOURCES.includes(row.source)) {
      throw new StoreError(`example ${i + 1}: source ${JSON.stringify(row.source)} is not one of ${EXAMPLE_SOURCES.join(", ")}`);
    }
    const hash = textHash(row.text);
    const prev = merged.get(hash);
    if (prev === undefined) merged.set(hash, row);
    else if (RANK[row.source] >= RANK[prev.source]) {
      merged.set(hash, { ...row, holdout: prev.holdout, audited: prev.audited === true || row.audited === true });
    }
  });
  return merged;
}

type ExampleRow = {
  id: number | string;
  task: string;
  text: string;
  text_hash: string;
  label: string;
  source: ExampleSource;
  holdout: number;
  audited: number;
  created_at: number | string;
  updated_at: number | string;
  origin: ExampleOrigin | null;
  key_id: number | string | null;
  key_name: string | null;
};

function toRecord(row: ExampleRow): ExampleRecord {
  return {
    id: toNumber(row.id),
    task: row.task,
    text: row.text,
    text_hash: row.text_hash,
    label: row.label,
    source: row.source,
    holdout: row.holdout === 1,
    audited: row.audited === 1,
    created_at: toNumber(row.created_at),
    updated_at: toNumber(row.updated_at),
    origin: row.origin,
    key_id: toNullableNumber(row.key_id),
    key_name: row.key_name,
  };
}
