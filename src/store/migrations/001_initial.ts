// The first schema: tasks, examples, requests, model versions, API keys. Schema builder only, with
// the few type names that differ between dialects chosen from `dialect` (see ../schema.ts).
import { sql, type ColumnDefinitionBuilder, type Kysely } from "kysely";
import type { StoreDialect } from "../context.js";

function oneOf(column: string, values: readonly string[]) {
  return sql`${sql.ref(column)} in (${sql.join(values.map((v) => sql.lit(v)))})`;
}

function flag(column: string) {
  return sql`${sql.ref(column)} in (0, 1)`;
}

export async function up(db: Kysely<unknown>, dialect: StoreDialect): Promise<void> {
  const idType = dialect === "sqlite" ? "integer" : "bigint";
  const autoId = (c: ColumnDefinitionBuilder) =>
    dialect === "sqlite" ? c.primaryKey().autoIncrement() : c.primaryKey().generatedByDefaultAsIdentity();
  const binary = dialect === "sqlite" ? "blob" : "bytea";

  await db.schema
    .createTable("tasks")
    .addColumn("name", "text", (c) => c.primaryKey())
    .addColumn("definition", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("examples")
    .addColumn("id", idType, autoId)
    .addColumn("task", "text", (c) => c.notNull().references("tasks.name").onDelete("cascade"))
    .addColumn("text", "text", (c) => c.notNull())
    .addColumn("text_hash", "text", (c) => c.notNull())
    .addColumn("label", "text", (c) => c.notNull())
    .addColumn("source", "text", (c) => c.notNull())
    .addColumn("holdout", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("audited", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addUniqueConstraint("examples_task_text_hash_key", ["task", "text_hash"])
    .addCheckConstraint("examples_label_check", sql`length(label) between 1 and 200`)
    .addCheckConstraint("examples_source_check", oneOf("source", ["human", "feedback", "teacher", "import"]))
    .addCheckConstraint("examples_holdout_check", flag("holdout"))
    .addCheckConstraint("examples_audited_check", flag("audited"))
    .execute();
  // Paging and reading a task's examples in id order.
  await db.schema.createIndex("examples_task_id_idx").on("examples").columns(["task", "id"]).execute();

  await db.schema
    .createTable("requests")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("task", "text", (c) => c.notNull())
    .addColumn("input", "text")
    .addColumn("input_hash", "text", (c) => c.notNull())
    .addColumn("label", "text")
    .addColumn("confidence", "double precision")
    .addColumn("source", "text", (c) => c.notNull())
    .addColumn("model_version", "integer")
    .addColumn("latency_ms", "double precision", (c) => c.notNull())
    .addColumn("cost", "double precision", (c) => c.notNull().defaultTo(0))
    .addColumn("audited", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("teacher_label", "text")
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addCheckConstraint("requests_source_check", oneOf("source", ["specialist", "teacher", "none"]))
    .addCheckConstraint("requests_status_check", oneOf("status", ["ok", "teacher_invalid", "teacher_error", "degraded"]))
    .addCheckConstraint("requests_audited_check", flag("audited"))
    .execute();
  await db.schema.createIndex("requests_task_created_at_idx").on("requests").columns(["task", "created_at"]).execute();

  await db.schema
    .createTable("model_versions")
    .addColumn("task", "text", (c) => c.notNull().references("tasks.name").onDelete("cascade"))
    .addColumn("version", "integer", (c) => c.notNull())
    .addColumn("artifact", binary, (c) => c.notNull())
    .addColumn("metrics", "text", (c) => c.notNull())
    .addColumn("threshold", "double precision")
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("promoted_at", "bigint")
    .addPrimaryKeyConstraint("model_versions_pkey", ["task", "version"])
    .addCheckConstraint("model_versions_status_check", oneOf("status", ["candidate", "promoted", "retired", "rejected"]))
    .addCheckConstraint("model_versions_version_check", sql`version >= 1`)
    .execute();
  // At most one promoted version per task, whatever the code does.
  await db.schema
    .createIndex("model_versions_one_promoted_idx")
    .unique()
    .on("model_versions")
    .column("task")
    .where(sql.ref("status"), "=", "promoted")
    .execute();

  await db.schema
    .createTable("api_keys")
    .addColumn("id", idType, autoId)
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("prefix", "text", (c) => c.notNull())
    .addColumn("key_hash", "text", (c) => c.notNull().unique())
    .addColumn("role", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("revoked_at", "bigint")
    .addCheckConstraint("api_keys_role_check", oneOf("role", ["admin", "predict"]))
    .execute();
}
