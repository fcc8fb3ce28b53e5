// model_versions.scope_cut: the unknown-share cut (src/cascade/holdout-scores.ts fitScopeCut) a
// version's threshold was chosen under. The threshold's bound covers the texts that cut lets
// through; a gateway that restarts, or another instance that serves the version, must serve the
// threshold with that cut, not one fitted again on a holdout that has grown since. 1 means no cut
// (every unknown share passes); NULL, not recorded (versions stored before this migration, which
// are served with a cut fitted on the current holdout, as they were).
import type { Kysely } from "kysely";
import type { StoreDialect } from "../context.js";

export async function up(db: Kysely<unknown>, _dialect: StoreDialect): Promise<void> {
  await db.schema.alterTable("model_versions").addColumn("scope_cut", "double precision").execute();
}
