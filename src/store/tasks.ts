// AnyTask definitions, stored as validated JSON: a definition read back always has every default.
import { TaskError } from "../task/definition.js";
import { parseAnyTask, type AnyTask } from "../task/structured.js";
import { inTransaction, toNullableNumber, toNumber, type StoreContext } from "./context.js";
import { StoreConflictError, StoreError, StoreNotFoundError } from "./errors.js";
import { renameTaskRows } from "./task-rename.js";

export interface TaskRecord {
  name: string;
  definition: AnyTask;
  /** Epoch milliseconds. */
  created_at: number;
  updated_at: number;
}

/** What another gateway instance may have changed about a task (see TaskRuntime.sync). */
export interface TaskSyncState {
  /** Epoch milliseconds; a task deleted and created again under the same name has a new one. */
  created_at: number;
  /** When the definition last changed. */
  updated_at: number;
  /** The examples' revision: bumped by every write of the task's examples (migration 002). */
  revision: number;
  /** The promoted model version, or null. */
  promoted_version: number | null;
  /** The examples' revision the latest finished retrain covered, on whichever instance ran it. */
  retrained_revision: number;
}

export class TaskRepository {
  constructor(private readonly ctx: StoreContext) {}

  /** Validates and stores a new task. Throws TaskError if invalid, StoreConflictError if the name is taken. */
  async create(task: AnyTask): Promise<TaskRecord> {
    const definition = parseAnyTask(task);
    const now = this.ctx.now();
    const row = await this.ctx.db
      .insertInto("tasks")
      .values({ name: definition.name, definition: JSON.stringify(definition), created_at: now, updated_at: now })
      .onConflict((oc) => oc.column("name").doNothing())
      .returning("name")
      .executeTakeFirst();
    if (row === undefined) throw new StoreConflictError(`task "${definition.name}" already exists`);
    return { name: definition.name, definition, created_at: now, updated_at: now };
  }

  async get(name: string): Promise<TaskRecord | null> {
    const row = await this.ctx.db.selectFrom("tasks").selectAll().where("name", "=", name).executeTakeFirst();
    return row === undefined ? null : toRecord(row);
  }

  /** The task's sync state in one query, or null if there is no such task. */
  async syncState(name: string): Promise<TaskSyncState | null> {
    const row = await this.ctx.db
      .selectFrom("tasks")
      .select((eb) => [
        "created_at",
        "updated_at",
        "revision",
        "retrained_revision",
        eb.selectFrom("model_versions").select("version").whereRef("model_versions.task", "=", "tasks.name").where("status", "=", "promoted").as("promoted_version"),
      ])
      .where("name", "=", name)
      .executeTakeFirst();
    if (row === undefined) return null;
    return {
      created_at: toNumber(row.created_at),
      updated_at: toNumber(row.updated_at),
      revision: toNumber(row.revision),
      promoted_version: toNullableNumber(row.promoted_version),
      retrained_revision: toNumber(row.retrained_revision),
    };
  }

  /**
   * Takes or renews the task's retrain lease for `owner` until now + `ttlMs`; false if another
   * owner holds a lease that has not lapsed (or there is no such task). Gateway instances over one
   * database take turns this way: one trains, the others serve what it promotes. `takeOverFrom`:
   * a holder known to have ended, whose lease is taken even before it lapses.
   */
  async claimRetrain(name: string, owner: string, ttlMs: number, takeOverFrom?: string): Promise<boolean> {
    if (!(ttlMs > 0)) throw new RangeError(`claimRetrain: ttlMs must be positive, got ${ttlMs}`);
    const now = this.ctx.now();
    const result = await this.ctx.db
      .updateTable("tasks")
      .set({ retrain_owner: owner, retrain_until: now + ttlMs })
      .where("name", "=", name)
      .where((eb) => eb.or([eb("retrain_owner", "is", null), eb("retrain_owner", "=", owner), eb("retrain_until", "<", now), ...(takeOverFrom === undefined ? [] : [eb("retrain_owner", "=", takeOverFrom)])]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Gives the lease back if `owner` holds it (a lapsed lease someone else took stays theirs), and
   * records that a finished retrain covered the examples up to `coveredRevision` (the recorded
   * revision only grows).
   */
  async releaseRetrain(name: string, owner: string, coveredRevision?: number): Promise<void> {
    await this.ctx.db
      .updateTable("tasks")
      .set((eb) => ({
        retrain_owner: null,
        retrain_until: null,
        ...(coveredRevision === undefined ? {} : { retrained_revision: eb.case().when("retrained_revision", "<", coveredRevision).then(coveredRevision).else(eb.ref("retrained_revision")).end().$castTo<number>() }),
      }))
      .where("name", "=", name)
      .where("retrain_owner", "=", owner)
      .execute();
  }

  /** Who holds the task's retrain lease and until when (null if nobody, or it lapsed). */
  async retrainLease(name: string): Promise<{ owner: string; until: number } | null> {
    const row = await this.ctx.db.selectFrom("tasks").select(["retrain_owner", "retrain_until"]).where("name", "=", name).executeTakeFirst();
    const until = toNullableNumber(row?.retrain_until);
    if (row === undefined || row.retrain_owner === null || until === null || until < this.ctx.now()) return null;
    return { owner: row.retrain_owner, until };
  }

  /** Every task, by name. */
  async list(): Promise<TaskRecord[]> {
    const rows = await this.ctx.db.selectFrom("tasks").selectAll().orderBy("name").execute();
    return rows.map(toRecord);
  }

  /** Replaces a task's definition (its name stays: see rename). Throws StoreNotFoundError if there is no such task. */
  async update(name: string, task: AnyTask): Promise<TaskRecord> {
    const definition = parseAnyTask(task);
    if (definition.name !== name) {
      throw new StoreError(`cannot rename task "${name}" to "${definition.name}": create a new task instead`);
    }
    const now = this.ctx.now();
    const row = await this.ctx.db
      .updateTable("tasks")
      .set({ definition: JSON.stringify(definition), updated_at: now })
      .where("name", "=", name)
      .returning(["created_at"])
      .executeTakeFirst();
    if (row === undefined) throw new StoreNotFoundError(`no task "${name}"`);
    return { name, definition, created_at: toNumber(row.created_at), updated_at: now };
  }

  /**
   * Renames a task with its examples, example deletions, model versions, request log and teacher
   * spend, in one transaction (joined when called inside Store.transaction): all of it moves, or
   * nothing does. Throws StoreNotFoundError if there is no task `from`, StoreConflictError if `to`
   * is taken, TaskError if `to` is not a valid task name.
   */
  async rename(from: string, to: string): Promise<TaskRecord> {
    if (from === to) throw new StoreConflictError(`task "${to}" already has that name`);
    await inTransaction(this.ctx.db, (trx) => renameTaskRows(trx, this.ctx.dialect, from, to, this.ctx.now()));
    const record = await this.get(to);
    if (record === null) throw new StoreNotFoundError(`no task "${to}" after renaming "${from}"`);
    return record;
  }

  /** Deletes a task with its examples and model versions (its request log stays). Returns whether it existed. */
  async delete(name: string): Promise<boolean> {
    const result = await this.ctx.db.deleteFrom("tasks").where("name", "=", name).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}

function toRecord(row: { name: string; definition: string; created_at: number | string; updated_at: number | string }): TaskRecord {
  let definition: AnyTask;
  try {
    definition = parseAnyTask(JSON.parse(row.definition));
  } catch (err) {
    const why = err instanceof TaskError || err instanceof SyntaxError ? err.message : String(err);
    throw new StoreError(`the stored definition of task "${row.name}" is not valid: ${why}`, { cause: err });
  }
  return { name: row.name, definition, created_at: toNumber(row.created_at), updated_at: toNumber(row.updated_at) };
}
