// What the operator's console shows (README "The dashboard"):
// - requests.key_id, key_name: the API key that sent each request and its name then (the key
//   list may be revoked or renamed later; the log keeps what was true). NULL for rows written
//   before this migration, or without a key;
// - requests.threshold: the router's confidence threshold when the request was answered (it
//   moves with retrains and re-thresholding, so the model version alone does not tell it); NULL
//   when there was none, and for rows written before this migration;
// - api_keys.from_config: 1 for keys installed from the configuration file, which the gateway
//   installs again at every start (a revoked one then stops the start: see bootstrap.ts).
import { sql, type Kysely } from "kysely";
import type { StoreDialect } from "../context.js";

export async function up(db: Kysely<unknown>, dialect: StoreDialect): Promise<void> {
  const idType = dialect === "sqlite" ? "integer" : "bigint";
  await db.schema.alterTable("requests").addColumn("key_id", idType).execute();
  await db.schema.alterTable("requests").addColumn("key_name", "text").execute();
  await db.schema.alterTable("requests").addColumn("threshold", "double precision").execute();
  await db.schema.alterTable("api_keys").addColumn("from_config", "integer", (c) => c.notNull().defaultTo(0).check(sql`from_config in (0, 1)`)).execute();
}
