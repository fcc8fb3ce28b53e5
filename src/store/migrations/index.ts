// Every migration, in order, compiled into the code (no files read at run time, so a bundled or
// packaged gateway migrates the same way). To change the schema, add `NNN_name.ts` with the next
// number and list it here; never edit one that has shipped. Schema builder only, so each works on
// both dialects; the dialect is passed in for the few type names that differ.
import type { Kysely, Migration, MigrationProvider } from "kysely";
import type { StoreDialect } from "../context.js";
import * as m001 from "./001_initial.js";
import * as m002 from "./002_task_revisions.js";
import * as m003 from "./003_retrain_leases.js";
import * as m004 from "./004_teacher_spend.js";
import * as m005 from "./005_console.js";
import * as m006 from "./006_example_deletions.js";
import * as m007 from "./007_long_answers.js";
import * as m008 from "./008_shadow.js";
import * as m009 from "./009_model_looks.js";
import * as m010 from "./010_request_log_moves.js";
import * as m011 from "./011_model_scope_cut.js";

export interface StoreMigration {
  up(db: Kysely<unknown>, dialect: StoreDialect): Promise<void>;
}

export const MIGRATIONS: Readonly<Record<string, StoreMigration>> = {
  "001_initial": m001,
  "002_task_revisions": m002,
  "003_retrain_leases": m003,
  "004_teacher_spend": m004,
  "005_console": m005,
  "006_example_deletions": m006,
  "007_long_answers": m007,
  "008_shadow": m008,
  "009_model_looks": m009,
  "010_request_log_moves": m010,
  "011_model_scope_cut": m011,
};

export function migrationProvider(dialect: StoreDialect): MigrationProvider {
  return {
    async getMigrations(): Promise<Record<string, Migration>> {
      const out: Record<string, Migration> = {};
      for (const [name, m] of Object.entries(MIGRATIONS)) out[name] = { up: (db) => m.up(db, dialect) };
      return out;
    },
  };
}
