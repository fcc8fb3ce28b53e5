// model_versions.looks: how many times a version's routing threshold has been chosen on new
// evidence (src/cascade/threshold.ts lookLevel). Each choice spends part of the error budget, so
// the count must outlive the process: a gateway that restarts, or another instance that starts
// serving the version, looks again at the next share instead of the first look's.
// Versions that already served were looked at once at least (their promotion); others never.
import { sql, type Kysely } from "kysely";
import type { StoreDialect } from "../context.js";

export async function up(db: Kysely<unknown>, _dialect: StoreDialect): Promise<void> {
  await db.schema.alterTable("model_versions").addColumn("looks", "integer", (c) => c.notNull().defaultTo(0).check(sql`looks >= 0`)).execute();
  await sql`update model_versions set looks = 1 where status in ('promoted', 'retired')`.execute(db);
}
