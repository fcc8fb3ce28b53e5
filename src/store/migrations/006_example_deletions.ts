// Examples deleted from the operator's console (README "The dashboard", Examples). The row goes;
// a tombstone stays, stamped with the task revision of the deletion, because other gateway
// instances learn what changed by reading rows by revision (TaskRuntime.sync) and a deleted row
// has none: without it they would keep training on the example. The console also counts the
// deletions since the live version was trained. Only the text's hash is kept, so an example
// deleted for what it says leaves none of it behind.
import type { Kysely } from "kysely";
import type { StoreDialect } from "../context.js";

export async function up(db: Kysely<unknown>, dialect: StoreDialect): Promise<void> {
  const counter = dialect === "sqlite" ? "integer" : "bigint";
  await db.schema
    .createTable("example_deletions")
    .addColumn("task", "text", (c) => c.notNull().references("tasks.name").onDelete("cascade"))
    .addColumn("text_hash", "text", (c) => c.notNull())
    .addColumn("revision", counter, (c) => c.notNull())
    .addColumn("deleted_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("example_deletions_task_revision_idx").on("example_deletions").columns(["task", "revision"]).execute();
}
