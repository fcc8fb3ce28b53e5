// request_log_moves: merges whose older request-log rows are still to move (README "Capture").
// A merge moves its task's newest rows in its own transaction and writes a row here when it leaves
// older ones behind; the mover deletes the row once the last batch has moved, and a gateway that
// starts resumes every row left, so a restart in between no longer strands the rows under the
// merged task's old name.
import type { Kysely } from "kysely";
import type { StoreDialect } from "../context.js";

export async function up(db: Kysely<unknown>, _dialect: StoreDialect): Promise<void> {
  await db.schema
    .createTable("request_log_moves")
    .addColumn("from_task", "text", (c) => c.notNull())
    .addColumn("into_task", "text", (c) => c.notNull())
    // Epoch milliseconds: only rows logged up to the merge move (a task founded later under the
    // old name keeps its own).
    .addColumn("not_after", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("request_log_moves_pkey", ["from_task", "not_after"])
    .execute();
}
