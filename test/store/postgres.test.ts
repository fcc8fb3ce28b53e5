// The shared store suite on PostgreSQL, plus what only PostgreSQL has (schemas, a server to
// reach). Needs APPRENTICE_TEST_PG_URL (see .ci/postgres.sh): without it the suite is skipped
// locally, but fails under CI, so a CI run can never pass without having tested PostgreSQL.
import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { parseTask } from "../../src/task/definition.js";
import { openStore, StoreOpenError } from "../../src/store/index.js";
import { MIGRATIONS } from "../../src/store/migrations/index.js";
import { storeSuite } from "./store-suite.js";
import { taskRenameSuite } from "./task-rename-suite.js";
import { PG_URL_VARIABLE, postgresTarget } from "./targets.js";

const url = process.env[PG_URL_VARIABLE];

if (url === undefined || url === "") {
  if (process.env.CI !== undefined && !/^(|0|false)$/i.test(process.env.CI)) {
    describe("PostgreSQL store", () => {
      it("has a test database", () => {
        throw new Error(
          `CI is set but ${PG_URL_VARIABLE} is not, so the PostgreSQL store was not tested. ` +
            `Start a server and export the variable first: eval "$(.ci/postgres.sh)"`,
        );
      });
    });
  } else {
    describe.skip(`PostgreSQL store (set ${PG_URL_VARIABLE}, e.g. eval "$(.ci/postgres.sh)")`, () => {
      it("is skipped", () => undefined);
    });
  }
} else {
  storeSuite(postgresTarget(url));
  taskRenameSuite(postgresTarget(url));
  postgresSpecifics(url);
}

function postgresSpecifics(url: string): void {
  describe("PostgreSQL specifics", () => {
    const admin = new pg.Pool({ connectionString: url, max: 2 });
    const schemas: string[] = [];
    const newSchema = () => {
      const s = `apx_pg_${process.pid}_${randomBytes(3).toString("hex")}`;
      schemas.push(s);
      return s;
    };
    afterAll(async () => {
      for (const s of schemas) await admin.query(`drop schema if exists "${s}" cascade`);
      await admin.end();
    });
    const task = (name: string) => parseTask({ name, instructions: "x", labels: [{ name: "a" }, { name: "b" }] });

    it("survives its connection being terminated in the middle of a transaction, and serves the next query", async () => {
      const store = await openStore(url, { schema: newSchema() });
      try {
        const outcome = store.db.transaction().execute(async (trx) => {
          const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
          // Killed between two statements: the client is checked out with no query running, so
          // the server's notice arrives as an 'error' event on the client itself.
          await admin.query("select pg_terminate_backend($1)", [rows[0].pid]);
          await new Promise((resolve) => setTimeout(resolve, 300));
          await sql`select 1`.execute(trx);
        });
        await expect(outcome).rejects.toThrow();
        const { rows } = await sql<{ one: number }>`select 1 as one`.execute(store.db);
        expect(rows).toEqual([{ one: 1 }]);
      } finally {
        await store.close();
      }
    });

    it("keeps schemas apart and accepts ?schema= in the URL", async () => {
      const [one, two] = [newSchema(), newSchema()];
      const a = await openStore(`${url}${url.includes("?") ? "&" : "?"}schema=${one}`);
      const b = await openStore(url, { schema: two });
      try {
        await a.tasks.create(task("only-in-one"));
        expect(await b.tasks.list()).toEqual([]);
        expect(a.location).toContain(`(schema ${one})`);
        const { rows } = await admin.query(`select table_name from information_schema.tables where table_schema = $1 order by 1`, [one]);
        expect(rows.map((r: { table_name: string }) => r.table_name)).toEqual([
          "api_keys",
          "example_deletions",
          "examples",
          "kysely_migration",
          "kysely_migration_lock",
          "model_versions",
          "request_log_moves",
          "requests",
          "tasks",
          "teacher_spend",
        ]);
      } finally {
        await a.close();
        await b.close();
      }
    });

    it("lets several instances open and migrate an empty schema at once", async () => {
      const schema = newSchema();
      const stores = await Promise.all(Array.from({ length: 4 }, () => openStore(url, { schema })));
      try {
        const { rows } = await admin.query(`select name from "${schema}".kysely_migration`);
        expect(rows).toHaveLength(Object.keys(MIGRATIONS).length);
        await stores[0].tasks.create(task("shared"));
        expect((await stores[3].tasks.get("shared"))?.name).toBe("shared");
      } finally {
        for (const s of stores) await s.close();
      }
    });

    it("says which server it cannot log in to, without the password", async () => {
      const parsed = new URL(url);
      parsed.password = "wrong-Secret-123";
      const err = await openStore(parsed.toString(), { schema: newSchema() }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreOpenError);
      const message = (err as Error).message;
      expect(message).toContain(`cannot connect to PostgreSQL at ${parsed.hostname}:${parsed.port || 5432}`);
      expect(message).toMatch(/password authentication failed/);
      expect(message).not.toContain("wrong-Secret-123");
      expect(JSON.stringify(err)).not.toContain("wrong-Secret-123");
    });

    it("names a database that does not exist", async () => {
      const parsed = new URL(url);
      parsed.pathname = "/apprentice_no_such_db";
      await expect(openStore(parsed.toString())).rejects.toThrow(/database "apprentice_no_such_db".*does not exist/);
    });

    it("refuses a schema name it would have to quote", async () => {
      await expect(openStore(url, { schema: 'x"; drop table tasks; --' })).rejects.toThrow(/invalid PostgreSQL schema name/);
    });
  });
}
