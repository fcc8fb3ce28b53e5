// Task revisions, so that several gateway instances over one database see each other's examples.
// Every write of examples bumps its task's `revision` (under the task's write lock) and stamps the
// rows it inserts or relabels with the new value; an instance that last saw revision R loads the
// rows with revision > R (TaskRuntime.sync). Rows written before this migration have revision 0,
// which an instance reads in full when it loads the task.
import type { Kysely } from "kysely";
import type { StoreDialect } from "../context.js";

export async function up(db: Kysely<unknown>, dialect: StoreDialect): Promise<void> {
  const counter = dialect === "sqlite" ? "integer" : "bigint";
  await db.schema.alterTable("tasks").addColumn("revision", counter, (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable("examples").addColumn("revision", counter, (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.createIndex("examples_task_revision_idx").on("examples").columns(["task", "revision"]).execute();
}
