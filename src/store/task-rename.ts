// Renaming a task with everything keyed by its name. The foreign keys to tasks.name cascade on
// delete only (not on update, which SQLite would need a table rebuild to add), so a rename is: the
// task's row again under the new name, every row that names the old one repointed, the old row
// deleted — in one transaction, so a rename that fails anywhere changes nothing.
import { sql, type Kysely } from "kysely";
import { parseAnyTask } from "../task/structured.js";
import { lockTask, type StoreDialect } from "./context.js";
import { StoreConflictError, StoreNotFoundError } from "./errors.js";
import type { Database } from "./schema.js";
import { taskScope } from "./teacher-spend.js";

/** Renames `from` to `to` inside `trx` (a transaction). Throws StoreNotFoundError / StoreConflictError / TaskError (an invalid name). */
export async function renameTaskRows(trx: Kysely<Database>, dialect: StoreDialect, from: string, to: string, now: number): Promise<void> {
  // Locked first: a writer to the old task either finishes before the rename or finds it gone.
  if (!(await lockTask(trx, dialect, from))) throw new StoreNotFoundError(`no task "${from}"`);
  const old = await trx.selectFrom("tasks").selectAll().where("name", "=", from).executeTakeFirstOrThrow();
  // The definition names the task too; validating it again checks the new name.
  const definition = parseAnyTask({ ...JSON.parse(old.definition), name: to });
  const inserted = await trx
    .insertInto("tasks")
    .values({
      name: to,
      definition: JSON.stringify(definition),
      // Kept: it is when the task began (a captured task's first call), not when it got this name.
      created_at: Number(old.created_at),
      updated_at: now,
      revision: Number(old.revision),
      retrained_revision: Number(old.retrained_revision),
      // A retrain lease is not carried over: a retrain still running writes under the old name and fails.
      retrain_owner: null,
      retrain_until: null,
    })
    .onConflict((oc) => oc.column("name").doNothing())
    .returning("name")
    .executeTakeFirst();
  if (inserted === undefined) throw new StoreConflictError(`task "${to}" already exists`);

  await trx.updateTable("examples").set({ task: to }).where("task", "=", from).execute();
  await trx.updateTable("example_deletions").set({ task: to }).where("task", "=", from).execute();
  await trx.updateTable("model_versions").set({ task: to }).where("task", "=", from).execute();
  // The request log is no foreign key (it outlives a deleted task), but it is this task's history.
  await trx.updateTable("requests").set({ task: to }).where("task", "=", from).execute();
  await moveSpend(trx, taskScope(from), taskScope(to));

  await trx.deleteFrom("tasks").where("name", "=", from).execute();
}

/**
 * Moves a budget scope's counters. The new scope may have counters already (a deleted task of that
 * name left them, as a deletion does): those of the same window are added up rather than lost.
 */
async function moveSpend(trx: Kysely<Database>, from: string, to: string): Promise<void> {
  const rows = await trx.selectFrom("teacher_spend").selectAll().where("scope", "=", from).execute();
  for (const r of rows) {
    const calls = Number(r.calls);
    await trx
      .insertInto("teacher_spend")
      .values({ scope: to, period: r.period, start: Number(r.start), calls, cost: r.cost })
      .onConflict((oc) =>
        oc.columns(["scope", "period", "start"]).doUpdateSet({ calls: sql<number>`teacher_spend.calls + ${calls}`, cost: sql<number>`teacher_spend.cost + ${r.cost}` }),
      )
      .execute();
  }
  await trx.deleteFrom("teacher_spend").where("scope", "=", from).execute();
}
