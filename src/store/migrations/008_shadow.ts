// Captured tasks in shadow mode (README "Capture"): the upstream LLM answers every call, and the
// specialist's would-be answer is logged beside it, so the console can say how much the specialist
// would have answered and how often it would have disagreed.
// - requests.shadow: 1 for a request answered in shadow mode;
// - requests.shadow_label: there, the specialist's answer when the router would have let it
//   answer (NULL when it would have sent the request to the LLM, and on every other row).
import { sql, type Kysely } from "kysely";
import type { StoreDialect } from "../context.js";

export async function up(db: Kysely<unknown>, _dialect: StoreDialect): Promise<void> {
  await db.schema.alterTable("requests").addColumn("shadow", "integer", (c) => c.notNull().defaultTo(0).check(sql`shadow in (0, 1)`)).execute();
  await db.schema.alterTable("requests").addColumn("shadow_label", "text").execute();
}
