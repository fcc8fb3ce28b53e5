// Long answers: a structured task's example label is its answer's canonical JSON, which for a
// schema of a dozen fields is past the 200 characters migration 001 allowed a label (written for
// label names): storing such an example failed the CHECK, so a gateway could not learn those
// tasks. The CHECK becomes "not empty"; answer sizes are bounded where answers are read (a
// teacher's reply, a captured reply, a request body).
//
// PostgreSQL drops and adds the constraint. SQLite cannot alter a CHECK, so the table is rebuilt
// the way its documentation describes: a new table with the same columns, the rows copied with
// their ids, the old one dropped and the new one renamed, its indexes made again. Nothing refers
// to examples, and the AUTOINCREMENT counter is carried over so that ids are still never reused.
import { sql, type Kysely } from "kysely";
import type { StoreDialect } from "../context.js";

const COLUMNS = ["id", "task", "text", "text_hash", "label", "source", "holdout", "audited", "created_at", "updated_at", "revision", "origin", "key_id", "key_name"];

export async function up(db: Kysely<unknown>, dialect: StoreDialect): Promise<void> {
  if (dialect === "postgres") {
    await sql`alter table examples drop constraint examples_label_check`.execute(db);
    await sql`alter table examples add constraint examples_label_check check (length(label) >= 1)`.execute(db);
    return;
  }
  await db.schema
    .createTable("examples_007")
    .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
    .addColumn("task", "text", (c) => c.notNull().references("tasks.name").onDelete("cascade"))
    .addColumn("text", "text", (c) => c.notNull())
    .addColumn("text_hash", "text", (c) => c.notNull())
    .addColumn("label", "text", (c) => c.notNull())
    .addColumn("source", "text", (c) => c.notNull())
    .addColumn("holdout", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("audited", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addColumn("revision", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("origin", "text")
    .addColumn("key_id", "integer")
    .addColumn("key_name", "text")
    .addUniqueConstraint("examples_task_text_hash_key", ["task", "text_hash"])
    .addCheckConstraint("examples_label_check", sql`length(label) >= 1`)
    .addCheckConstraint("examples_source_check", sql`source in ('human', 'feedback', 'teacher', 'import')`)
    .addCheckConstraint("examples_holdout_check", sql`holdout in (0, 1)`)
    .addCheckConstraint("examples_audited_check", sql`audited in (0, 1)`)
    .execute();
  const columns = sql.join(COLUMNS.map((c) => sql.ref(c)));
  await sql`insert into examples_007 (${columns}) select ${columns} from examples`.execute(db);
  // The copy set the new counter to the largest id copied; the old one may be higher (deleted rows).
  await sql`insert into sqlite_sequence (name, seq) select 'examples_007', 0 where not exists (select 1 from sqlite_sequence where name = 'examples_007')`.execute(db);
  await sql`update sqlite_sequence set seq = max(seq, coalesce((select seq from sqlite_sequence where name = 'examples'), 0)) where name = 'examples_007'`.execute(db);
  await db.schema.dropTable("examples").execute();
  await db.schema.alterTable("examples_007").renameTo("examples").execute();
  await db.schema.createIndex("examples_task_id_idx").on("examples").columns(["task", "id"]).execute();
  await db.schema.createIndex("examples_task_revision_idx").on("examples").columns(["task", "revision"]).execute();
}
