// A retrain lease per task, so that gateway instances over one database take turns retraining a
// task instead of training it side by side (TaskRepository.claimRetrain). `retrain_owner` is the
// instance holding it, `retrain_until` when it lapses unless renewed: a lease of an instance that
// was killed mid-training lapses by itself. `retrained_revision` is the examples' revision the
// latest finished retrain covered: the other instances stop counting those examples toward a
// retrain of their own.
import type { Kysely } from "kysely";
import type { StoreDialect } from "../context.js";

export async function up(db: Kysely<unknown>, dialect: StoreDialect): Promise<void> {
  await db.schema.alterTable("tasks").addColumn("retrain_owner", "text").execute();
  await db.schema.alterTable("tasks").addColumn("retrain_until", "bigint").execute();
  const counter = dialect === "sqlite" ? "integer" : "bigint";
  await db.schema.alterTable("tasks").addColumn("retrained_revision", counter, (c) => c.notNull().defaultTo(0)).execute();
}
