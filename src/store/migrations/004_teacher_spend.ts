// Teacher spend under control (README "Teacher spend"):
// - api_keys.force_teacher: whether the key may send `route: "teacher"` (1 for the admin keys that
//   exist already, 0 for predict keys); api_keys.teacher_budget: the key's own teacher budget as
//   JSON text (NULL: none);
// - examples.origin, key_id, key_name: what caused each example (import, feedback, a teacher answer
//   through predict or chat, an audit) and the key that sent it. Rows written before this
//   migration have NULLs: their cause was not recorded;
// - teacher_spend: teacher calls and cost per budget scope (a task or a key) and calendar window
//   (UTC hour or day), counted in the store so that every worker and instance shares one budget.
import { sql, type Kysely } from "kysely";
import type { StoreDialect } from "../context.js";

export async function up(db: Kysely<unknown>, dialect: StoreDialect): Promise<void> {
  const idType = dialect === "sqlite" ? "integer" : "bigint";
  await db.schema.alterTable("api_keys").addColumn("force_teacher", "integer", (c) => c.notNull().defaultTo(0).check(sql`force_teacher in (0, 1)`)).execute();
  await db.schema.alterTable("api_keys").addColumn("teacher_budget", "text").execute();
  await sql`update api_keys set force_teacher = 1 where role = 'admin'`.execute(db);

  await db.schema.alterTable("examples").addColumn("origin", "text").execute();
  await db.schema.alterTable("examples").addColumn("key_id", idType).execute();
  await db.schema.alterTable("examples").addColumn("key_name", "text").execute();

  await db.schema
    .createTable("teacher_spend")
    // `task:<name>` or `key:<id>`.
    .addColumn("scope", "text", (c) => c.notNull())
    // `hour` or `day`.
    .addColumn("period", "text", (c) => c.notNull())
    // Epoch milliseconds of the window's start (a multiple of the period, UTC).
    .addColumn("start", "bigint", (c) => c.notNull())
    .addColumn("calls", idType, (c) => c.notNull().defaultTo(0))
    .addColumn("cost", "double precision", (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint("teacher_spend_pkey", ["scope", "period", "start"])
    .addCheckConstraint("teacher_spend_period_check", sql`period in ('hour', 'day')`)
    .execute();
}
