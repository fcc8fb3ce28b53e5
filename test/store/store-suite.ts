// The storage layer's behaviour, written once and run against every dialect (sqlite.test.ts,
// postgres.test.ts). Every test gets an empty database of its own.
import { Migrator, sql } from "kysely";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseTask, TaskError, type Task } from "../../src/task/definition.js";
import { isStructuredTask, parseStructuredTask, type AnyTask } from "../../src/task/structured.js";
import {
  StoreConflictError,
  StoreNotFoundError,
  sha256Hex,
  type ExampleFilter,
  type ExampleInput,
  type ExampleSource,
  type RequestInput,
  type Store,
  type StoreOptions,
} from "../../src/store/index.js";
import { MIGRATIONS, migrationProvider } from "../../src/store/migrations/index.js";
import { VERIFIED_KEY_TTL_MS } from "../../src/store/api-keys.js";
import type { Location, StoreTarget } from "./targets.js";

const T0 = Date.UTC(2024, 0, 1, 0, 0, 0);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function task(name: string, labels: string[] = ["billing", "shipping", "other"]): Task {
  return parseTask({ name, instructions: "Classify the customer message.", labels: labels.map((l) => ({ name: l })) });
}

function artifact(seed: number, size = 1024): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (seed * 31 + i * 7) & 0xff;
  return bytes;
}

const NASTY = [
  "'; DROP TABLE examples; --",
  '" OR "1"="1',
  "Robert'); DELETE FROM tasks WHERE ('1'='1",
  "' UNION SELECT key_hash, key_hash FROM api_keys --",
  "$1 $2 ? ?1 :name @p0 %s",
  "\\'; SELECT pg_sleep(10); --",
  "😀 ünïcödé \u2028 line\nbreak\ttab",
  "%_% LIKE '%'",
  "); VACUUM; PRAGMA writable_schema = 1; --",
];

export function storeSuite(target: StoreTarget): void {
  describe(`store on ${target.name}`, () => {
    let location: Location;
    let store: Store;
    let clock: number;
    const others: Store[] = [];
    const options = (): StoreOptions => ({ now: () => clock });
    /** Another store on the same database: another connection (pool) like a second gateway instance. */
    const openAgain = async (): Promise<Store> => {
      const s = await location.open(options());
      others.push(s);
      return s;
    };

    beforeEach(async () => {
      clock = T0;
      location = await target.fresh();
      store = await location.open(options());
    });
    afterEach(async () => {
      for (const s of others.splice(0)) await s.close();
      await store.close();
      await location.cleanup();
    });
    afterAll(() => target.dispose());

    describe("migrations", () => {
      it("records the applied migrations and is idempotent", async () => {
        const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(store.db);
        expect(applied.rows.map((r) => r.name)).toEqual(Object.keys(MIGRATIONS));
        expect(Object.keys(MIGRATIONS)).toEqual(["001_initial", "002_task_revisions", "003_retrain_leases", "004_teacher_spend", "005_console", "006_example_deletions", "007_long_answers", "008_shadow", "009_model_looks", "010_request_log_moves", "011_model_scope_cut"]);
        if (target.persistent) {
          // Opening again (a restart, a second instance) finds nothing to do.
          const again = await openAgain();
          const rows = await sql<{ name: string }>`select name from kysely_migration`.execute(again.db);
          expect(rows.rows).toHaveLength(Object.keys(MIGRATIONS).length);
        } else {
          const { error, results } = await new Migrator({ db: store.db, provider: migrationProvider(store.dialect) }).migrateToLatest();
          expect(error).toBeUndefined();
          expect(results).toEqual([]);
        }
      });

      it("reports its dialect and location without a password", () => {
        expect(store.dialect).toBe(target.name.startsWith("PostgreSQL") ? "postgres" : "sqlite");
        expect(store.location).not.toMatch(/:[^/@:]+@/);
      });
    });

    describe("tasks", () => {
      it("creates, reads, lists, updates and deletes", async () => {
        const created = await store.tasks.create(task("support"));
        expect(created).toMatchObject({ name: "support", created_at: T0, updated_at: T0 });
        await store.tasks.create(task("alpha"));
        const got = await store.tasks.get("support");
        // Defaults filled in by the schema survive the round trip.
        expect(got?.definition.routing.max_error).toBe(0.05);
        expect(got?.definition).toEqual(task("support"));
        expect((await store.tasks.list()).map((t) => t.name)).toEqual(["alpha", "support"]);

        clock = T0 + HOUR;
        const changed = { ...task("support"), instructions: "New instructions." };
        const updated = await store.tasks.update("support", changed);
        expect(updated).toMatchObject({ created_at: T0, updated_at: T0 + HOUR });
        expect((await store.tasks.get("support"))?.definition.instructions).toBe("New instructions.");

        expect(await store.tasks.delete("support")).toBe(true);
        expect(await store.tasks.delete("support")).toBe(false);
        expect(await store.tasks.get("support")).toBeNull();
      });

      it("keeps a structured task's output block as given, and its kind", async () => {
        const output = { properties: { intent: { enum: ["send", "ask"] }, amount: { extract: true }, urgent: { type: "boolean" } } };
        const created = await store.tasks.create(parseStructuredTask({ name: "transfers", instructions: "Read the request.", output }));
        expect(created.definition).toMatchObject({ output, routing: { max_error: 0.05 } });
        const got = (await store.tasks.get("transfers"))!.definition;
        expect(isStructuredTask(got)).toBe(true);
        expect(got).toEqual(created.definition);
        const both = { name: "both", instructions: "x", output, labels: [{ name: "a" }, { name: "b" }] } as unknown as AnyTask;
        await expect(store.tasks.create(both)).rejects.toThrow(/not both/);
      });

      it("refuses a duplicate name with StoreConflictError", async () => {
        await store.tasks.create(task("support"));
        await expect(store.tasks.create(task("support"))).rejects.toBeInstanceOf(StoreConflictError);
      });

      it("refuses to update a missing task or rename one", async () => {
        await expect(store.tasks.update("missing", task("missing"))).rejects.toBeInstanceOf(StoreNotFoundError);
        await store.tasks.create(task("support"));
        await expect(store.tasks.update("support", task("other"))).rejects.toThrow(/cannot rename/);
      });

      it("deleting a task deletes its examples and models but keeps its request log", async () => {
        await store.tasks.create(task("support"));
        await store.examples.addMany("support", [{ text: "where is my parcel", label: "shipping", source: "human" }]);
        await store.models.add("support", { artifact: artifact(1), metrics: {}, threshold: 0.5, status: "promoted" });
        await store.requests.insert({ id: "r1", task: "support", input: "hi", source: "none", latency_ms: 1, status: "ok" });
        await store.tasks.delete("support");
        await store.tasks.create(task("support"));
        expect(await store.examples.count("support")).toBe(0);
        expect(await store.models.list("support")).toEqual([]);
        expect(await store.requests.get("r1")).not.toBeNull();
      });
    });

    describe("examples", () => {
      beforeEach(async () => {
        await store.tasks.create(task("support"));
      });

      it("keeps a label as long as a structured answer's canonical JSON (migration 007), but never an empty one", async () => {
        const answer = JSON.stringify(Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`field_${i}`, `value number ${i}`])));
        expect(answer.length).toBeGreaterThan(1000);
        await store.examples.addMany("support", [{ text: "a long answer", label: answer, source: "teacher" }]);
        expect((await store.examples.get("support", "a long answer"))?.label).toBe(answer);
        await expect(store.examples.addMany("support", [{ text: "no answer", label: "", source: "teacher" }])).rejects.toThrow();
      });

      it("stamps each write with the task's next revision; changedSince reads what a revision range changed", async () => {
        await store.tasks.create(task("alpha"));
        expect((await store.tasks.syncState("support"))?.revision).toBe(0);
        await store.examples.addMany("support", [
          { text: "refund please", label: "billing", source: "teacher" },
          { text: "where is my parcel", label: "shipping", source: "teacher" },
        ]);
        await store.examples.addMany("alpha", [{ text: "hello", label: "other", source: "human" }]);
        await store.examples.addMany("support", [
          { text: "where is my parcel", label: "other", source: "human" }, // relabel
          { text: "refund please", label: "billing", source: "teacher" }, // unchanged: keeps revision 1
          { text: "new text", label: "other", source: "human" },
        ]);
        // A write that changes nothing still takes a revision, but stamps no row with it.
        await store.examples.addMany("support", [{ text: "new text", label: "billing", source: "teacher" }]);
        expect((await store.tasks.syncState("support"))?.revision).toBe(3);
        expect((await store.tasks.syncState("alpha"))?.revision).toBe(1);
        const texts = (rows: { text: string }[]) => rows.map((r) => r.text);
        expect(texts(await store.examples.changedSince("support", 0, 1))).toEqual(["refund please"]);
        const second = await store.examples.changedSince("support", 1, 3);
        expect(second.map((r) => [r.text, r.label, r.source])).toEqual([
          ["where is my parcel", "other", "human"],
          ["new text", "other", "human"],
        ]);
        expect(await store.examples.changedSince("support", 3, 3)).toEqual([]);
        await expect(store.examples.addMany("missing", [{ text: "x", label: "other", source: "human" }])).rejects.toBeInstanceOf(StoreNotFoundError);
      });

      it("syncState tells what another instance may have changed: definition, revision, promoted version", async () => {
        expect(await store.tasks.syncState("missing")).toBeNull();
        expect(await store.tasks.syncState("support")).toEqual({ created_at: T0, updated_at: T0, revision: 0, promoted_version: null, retrained_revision: 0 });
        await store.models.add("support", { artifact: artifact(1), metrics: {}, threshold: 0.5, status: "promoted" });
        await store.models.add("support", { artifact: artifact(2), metrics: {}, threshold: 0.5, status: "candidate" });
        expect((await store.tasks.syncState("support"))?.promoted_version).toBe(1);
        await store.models.promote("support", 2);
        clock = T0 + HOUR;
        await store.tasks.update("support", { ...task("support"), instructions: "Changed." });
        expect(await store.tasks.syncState("support")).toEqual({ created_at: T0, updated_at: T0 + HOUR, revision: 0, promoted_version: 2, retrained_revision: 0 });
        await store.models.rollback("support");
        expect((await store.tasks.syncState("support"))?.promoted_version).toBe(1);
      });

      it("lends a task's retrain lease to one owner at a time, renewed by it, lapsing after its time", async () => {
        expect(await store.tasks.retrainLease("support")).toBeNull();
        expect(await store.tasks.claimRetrain("support", "instance-a", 60_000)).toBe(true);
        expect(await store.tasks.claimRetrain("support", "instance-b", 60_000)).toBe(false);
        expect(await store.tasks.retrainLease("support")).toEqual({ owner: "instance-a", until: T0 + 60_000 });
        clock = T0 + 50_000;
        expect(await store.tasks.claimRetrain("support", "instance-a", 60_000)).toBe(true); // renewed
        clock = T0 + 100_000;
        expect(await store.tasks.claimRetrain("support", "instance-b", 60_000)).toBe(false);
        clock = T0 + 110_001;
        // Lapsed (instance-a stopped renewing, say it was killed): instance-b takes it.
        expect(await store.tasks.claimRetrain("support", "instance-b", 60_000)).toBe(true);
        await store.tasks.releaseRetrain("support", "instance-a"); // not the holder: no effect
        expect((await store.tasks.retrainLease("support"))?.owner).toBe("instance-b");
        await store.tasks.releaseRetrain("support", "instance-b", 5);
        expect(await store.tasks.retrainLease("support")).toBeNull();
        expect((await store.tasks.syncState("support"))?.retrained_revision).toBe(5);
        // The covered revision only grows (a retrain on an instance that had read less).
        expect(await store.tasks.claimRetrain("support", "instance-b", 60_000)).toBe(true);
        await store.tasks.releaseRetrain("support", "instance-b", 3);
        expect((await store.tasks.syncState("support"))?.retrained_revision).toBe(5);
        expect(await store.tasks.claimRetrain("support", "instance-a", 60_000)).toBe(true);
        expect(await store.tasks.claimRetrain("missing", "instance-a", 60_000)).toBe(false);
        // Taken over from a holder known to have ended, before its lease lapses; not from another one.
        expect(await store.tasks.claimRetrain("support", "instance-c", 60_000, "instance-b")).toBe(false);
        expect(await store.tasks.claimRetrain("support", "instance-c", 60_000, "instance-a")).toBe(true);
        expect((await store.tasks.retrainLease("support"))?.owner).toBe("instance-c");
        await expect(store.tasks.claimRetrain("support", "instance-a", 0)).rejects.toThrow(/ttlMs must be positive/);
      });

      it("counts inserted, updated and unchanged rows", async () => {
        const first = await store.examples.addMany("support", [
          { text: "refund please", label: "billing", source: "teacher" },
          { text: "where is my parcel", label: "shipping", source: "teacher" },
          { text: "hello", label: "other", source: "teacher" },
        ]);
        expect(first).toEqual({ inserted: 3, updated: 0, unchanged: 0 });
        clock = T0 + HOUR;
        const second = await store.examples.addMany("support", [
          { text: "refund please", label: "billing", source: "teacher" }, // same
          { text: "where is my parcel", label: "other", source: "teacher" }, // relabel, same rank
          { text: "new text", label: "other", source: "human" }, // new
        ]);
        expect(second).toEqual({ inserted: 1, updated: 1, unchanged: 1 });
        const relabelled = await store.examples.get("support", "where is my parcel");
        expect(relabelled).toMatchObject({ label: "other", source: "teacher", created_at: T0, updated_at: T0 + HOUR });
        expect(await store.examples.count("support")).toBe(4);
      });

      it("applies the source priority for every pair of sources", async () => {
        const sources: ExampleSource[] = ["teacher", "human", "feedback", "import"];
        const rank = (s: ExampleSource) => (s === "teacher" ? 0 : 1);
        const rows: ExampleInput[] = [];
        const second: ExampleInput[] = [];
        for (const a of sources) {
          for (const b of sources) {
            const text = `stored by ${a}, then ${b}`;
            rows.push({ text, label: "billing", source: a });
            second.push({ text, label: "shipping", source: b });
          }
        }
        await store.examples.addMany("support", rows);
        const result = await store.examples.addMany("support", second);
        let expectedUpdates = 0;
        for (const a of sources) {
          for (const b of sources) {
            const replaced = rank(b) >= rank(a);
            if (replaced) expectedUpdates++;
            const e = await store.examples.get("support", `stored by ${a}, then ${b}`);
            expect(e, `${a} then ${b}`).toMatchObject(replaced ? { label: "shipping", source: b } : { label: "billing", source: a });
          }
        }
        expect(result).toEqual({ inserted: 0, updated: expectedUpdates, unchanged: 16 - expectedUpdates });
      });

      it("a newer label of the same rank wins, including a change of source only", async () => {
        await store.examples.addMany("support", [{ text: "t", label: "billing", source: "import" }]);
        expect(await store.examples.addMany("support", [{ text: "t", label: "billing", source: "human" }])).toEqual({ inserted: 0, updated: 1, unchanged: 0 });
        expect(await store.examples.get("support", "t")).toMatchObject({ label: "billing", source: "human" });
        expect(await store.examples.addMany("support", [{ text: "t", label: "other", source: "feedback" }])).toEqual({ inserted: 0, updated: 1, unchanged: 0 });
        expect(await store.examples.get("support", "t")).toMatchObject({ label: "other", source: "feedback" });
      });

      it("merges repeats within one batch by the same rule", async () => {
        const result = await store.examples.addMany("support", [
          { text: "x", label: "billing", source: "teacher" },
          { text: "x", label: "shipping", source: "human" },
          { text: "x", label: "other", source: "teacher" },
          { text: "y", label: "billing", source: "human" },
          { text: "y", label: "other", source: "feedback" },
        ]);
        expect(result).toEqual({ inserted: 2, updated: 0, unchanged: 3 });
        expect(await store.examples.get("support", "x")).toMatchObject({ label: "shipping", source: "human" });
        expect(await store.examples.get("support", "y")).toMatchObject({ label: "other", source: "feedback" });
      });

      it("keeps the holdout side and the audited flag of a stored text", async () => {
        await store.examples.addMany("support", [
          { text: "held", label: "billing", source: "teacher", holdout: true, audited: true },
          { text: "plain", label: "billing", source: "teacher" },
        ]);
        await store.examples.addMany("support", [{ text: "held", label: "other", source: "human", holdout: false, audited: false }]);
        expect(await store.examples.get("support", "held")).toMatchObject({ label: "other", source: "human", holdout: true, audited: true });
        // Becoming audited is a change even with the same label and source.
        expect(await store.examples.addMany("support", [{ text: "plain", label: "billing", source: "teacher", audited: true }])).toEqual({
          inserted: 0,
          updated: 1,
          unchanged: 0,
        });
        expect(await store.examples.get("support", "plain")).toMatchObject({ audited: true, holdout: false });
      });

      it("pages, counts and reads every example in insertion order", async () => {
        const rows = Array.from({ length: 25 }, (_, i) => ({ text: `text ${i}`, label: "other", source: "import" as const }));
        await store.examples.addMany("support", rows);
        const all = await store.examples.all("support");
        expect(all.map((e) => e.text)).toEqual(rows.map((r) => r.text));
        expect(all[0]).toMatchObject({ task: "support", text_hash: sha256Hex("text 0"), holdout: false, audited: false, created_at: T0 });

        const seen: string[] = [];
        let after: number | undefined;
        for (;;) {
          const page = await store.examples.page("support", { after, limit: 10 });
          if (page.length === 0) break;
          seen.push(...page.map((e) => e.text));
          after = page[page.length - 1].id;
        }
        expect(seen).toEqual(rows.map((r) => r.text));

        expect(await store.examples.count("support")).toBe(25);
        expect(await store.examples.countSince("support", all[19].id)).toBe(5);
        // A relabel is not a new example.
        await store.examples.addMany("support", [{ text: "text 24", label: "billing", source: "human" }]);
        expect(await store.examples.countSince("support", all[19].id)).toBe(5);
        expect(await store.examples.get("support", "text 3")).toMatchObject({ label: "other" });
        expect(await store.examples.get("support", "missing")).toBeNull();
        expect(await store.examples.count("nobody")).toBe(0);
      });

      it("pages and counts only the examples matching a source and label filter", async () => {
        const sources: ExampleSource[] = ["import", "teacher", "human"];
        const labels = ["billing", "shipping", "other"];
        // Labels cycle every 3 rows and sources every 2, so each filter picks a different subset.
        const rows = Array.from({ length: 30 }, (_, i) => ({ text: `row ${i}`, label: labels[i % 3], source: sources[i % 2] }));
        await store.examples.addMany("support", rows);
        await store.examples.addMany("support", [{ text: NASTY[0], label: NASTY[1], source: "human" }]);
        const walk = async (filter: { source?: ExampleSource; label?: string }, limit: number) => {
          const seen: string[] = [];
          for (let after = 0; ; ) {
            const page = await store.examples.page("support", { after, limit, ...filter });
            expect(page.length).toBeLessThanOrEqual(limit);
            if (page.length === 0) return seen;
            seen.push(...page.map((e) => e.text));
            after = page[page.length - 1].id;
          }
        };
        for (const filter of [{}, { source: "teacher" as const }, { label: "billing" }, { source: "import" as const, label: "other" }, { label: NASTY[1] }]) {
          const expected = [...rows, { text: NASTY[0], label: NASTY[1], source: "human" }]
            .filter((r) => (filter.source === undefined || r.source === filter.source) && (filter.label === undefined || r.label === filter.label))
            .map((r) => r.text);
          expect(expected.length).toBeGreaterThan(0);
          expect(await walk(filter, 4)).toEqual(expected);
          expect(await store.examples.count("support", filter)).toBe(expected.length);
        }
        expect(await store.examples.count("support", { source: "feedback" })).toBe(0);
        expect(await store.examples.page("support", { limit: 5, source: "feedback" })).toEqual([]);
        // A relabel moves a row between label filters without changing its place in the order.
        await store.examples.addMany("support", [{ text: "row 0", label: "shipping", source: "human" }]);
        expect((await walk({ label: "shipping" }, 100))[0]).toBe("row 0");
      });

      it("filters by origin, side of the holdout and text (case-insensitive, LIKE characters taken literally)", async () => {
        await store.examples.addMany("support", [
          { text: "Refund my ORDER please", label: "billing", source: "import", origin: "import" },
          { text: "where is my order", label: "shipping", source: "teacher", origin: "predict", holdout: true },
          { text: "100% off_sale", label: "other", source: "human", origin: "edit" },
          { text: "no origin order", label: "other", source: "teacher" },
        ]);
        const texts = async (filter: ExampleFilter) => (await store.examples.page("support", { limit: 10, ...filter })).map((e) => e.text);
        expect(await texts({ text: "order" })).toEqual(["Refund my ORDER please", "where is my order", "no origin order"]);
        expect(await texts({ text: "order", holdout: false })).toEqual(["Refund my ORDER please", "no origin order"]);
        expect(await texts({ holdout: true })).toEqual(["where is my order"]);
        expect(await texts({ origin: "edit" })).toEqual(["100% off_sale"]);
        expect(await texts({ origin: null })).toEqual(["no origin order"]);
        expect(await texts({ text: "0% off_" })).toEqual(["100% off_sale"]);
        expect(await texts({ text: "%" })).toEqual(["100% off_sale"]);
        expect(await texts({ text: "_" })).toEqual(["100% off_sale"]);
        expect(await store.examples.count("support", { text: "ORDER", origin: "import" })).toBe(1);
        expect(await texts({ text: NASTY[7] })).toEqual([]);
      });

      it("deletes examples with a tombstone other instances read by revision; the text can come back as a new example", async () => {
        await store.examples.addMany("support", [
          { text: "keep", label: "billing", source: "import" },
          { text: "drop me", label: "shipping", source: "teacher" },
          { text: NASTY[0], label: "other", source: "human" },
        ]);
        const before = (await store.tasks.syncState("support"))!.revision;
        const dropped = (await store.examples.get("support", "drop me"))!;
        expect(await store.examples.byId("support", dropped.id)).toMatchObject({ text: "drop me", label: "shipping" });
        expect(await store.examples.byId("other-task", dropped.id)).toBeNull();
        clock = T0 + HOUR;
        expect(await store.examples.remove("support", ["drop me", NASTY[0], "never stored"])).toBe(2);
        const after = (await store.tasks.syncState("support"))!.revision;
        expect(after).toBe(before + 1);
        expect((await store.examples.all("support")).map((e) => e.text)).toEqual(["keep"]);
        expect(await store.examples.byId("support", dropped.id)).toBeNull();
        expect((await store.examples.removedSince("support", before, after)).sort()).toEqual([sha256Hex("drop me"), sha256Hex(NASTY[0])].sort());
        expect(await store.examples.removedSince("support", after, after)).toEqual([]);
        expect(await store.examples.remove("support", [])).toBe(0);
        await expect(store.examples.remove("missing", ["keep"])).rejects.toBeInstanceOf(StoreNotFoundError);

        // Stored again, a deleted text is a new example (a new id), even a teacher's label.
        await store.examples.addMany("support", [{ text: "drop me", label: "billing", source: "teacher" }]);
        const back = (await store.examples.get("support", "drop me"))!;
        expect(back.id).toBeGreaterThan(dropped.id);
        expect(back).toMatchObject({ label: "billing", source: "teacher" });
        // Deleting the task deletes its tombstones.
        await store.tasks.delete("support");
        await store.tasks.create(task("support"));
        expect(await store.examples.removedSince("support", 0, 1_000)).toEqual([]);
      });

      it("counts what changed after a moment, and lists the changed examples most recent first", async () => {
        await store.examples.addMany("support", [
          { text: "old", label: "billing", source: "import" },
          { text: "relabelled", label: "billing", source: "teacher" },
          { text: "deleted", label: "other", source: "import" },
        ]);
        const trained = T0 + HOUR;
        clock = trained + 1;
        await store.examples.addMany("support", [{ text: "relabelled", label: "shipping", source: "human", origin: "edit" }]);
        clock = trained + 2;
        await store.examples.addMany("support", [{ text: "new", label: "other", source: "teacher" }]);
        await store.examples.remove("support", ["deleted"]);
        expect(await store.examples.changesAfter("support", trained)).toEqual({ added: 1, relabelled: 1, deleted: 1 });
        expect(await store.examples.changesAfter("support", 0)).toEqual({ added: 3, relabelled: 0, deleted: 1 });
        expect(await store.examples.changesAfter("support", trained + 10)).toEqual({ added: 0, relabelled: 0, deleted: 0 });
        expect((await store.examples.changedAfter("support", trained, 10)).map((e) => e.text)).toEqual(["new", "relabelled"]);
        expect((await store.examples.changedAfter("support", trained, 1)).map((e) => e.text)).toEqual(["new"]);
        expect(await store.examples.changesAfter("missing", 0)).toEqual({ added: 0, relabelled: 0, deleted: 0 });
      });

      it.each([0, -1, 1.5])("refuses a page limit of %s (SQLite would read a negative one as no limit)", async (limit) => {
        await store.examples.addMany("support", [{ text: "a", label: "other", source: "human" }]);
        await expect(store.examples.page("support", { limit })).rejects.toThrow(/page limit must be a positive integer/);
        await expect(store.examples.page("support", { limit: 1, after: -1 })).rejects.toThrow(/cursor/);
      });

      it("refuses an unknown task or source before writing anything", async () => {
        await expect(store.examples.addMany("missing", [{ text: "t", label: "other", source: "human" }])).rejects.toBeInstanceOf(StoreNotFoundError);
        const bad: ExampleInput[] = [
          { text: "a", label: "other", source: "human" },
          { text: "b", label: "other", source: "robot" as ExampleSource },
        ];
        await expect(store.examples.addMany("support", bad)).rejects.toThrow(/example 2: source "robot"/);
        expect(await store.examples.count("support")).toBe(0);
      });

      it.each([
        ["a NULL label", null],
        ["an empty label", ""],
      ])("is all-or-nothing: %s in the last chunk rolls back every chunk", async (_what, badLabel) => {
        await store.examples.addMany("support", [{ text: "kept", label: "billing", source: "human" }]);
        const rows: ExampleInput[] = [{ text: "kept", label: "shipping", source: "human" }];
        for (let i = 0; i < 9_000; i++) rows.push({ text: `row ${i}`, label: "other", source: "teacher" });
        // Smuggled past the types, as a careless caller or a bad import might.
        rows.push({ text: "bad row", label: badLabel as string, source: "teacher" });
        await expect(store.examples.addMany("support", rows)).rejects.toThrow();
        expect(await store.examples.count("support")).toBe(1);
        expect(await store.examples.get("support", "kept")).toMatchObject({ label: "billing" });
        // The store is still usable afterwards.
        expect(await store.examples.addMany("support", rows.slice(0, 10))).toEqual({ inserted: 9, updated: 1, unchanged: 0 });
      });

      it("adds 100,000 rows in one call, then relabels them all", async () => {
        const labels = ["billing", "shipping", "other"];
        const rows = Array.from({ length: 100_000 }, (_, i) => ({
          text: `customer message number ${i}: my order ${i * 7919} has a problem`,
          label: labels[i % 3],
          source: "teacher" as const,
        }));
        let started = performance.now();
        expect(await store.examples.addMany("support", rows)).toEqual({ inserted: 100_000, updated: 0, unchanged: 0 });
        const insertMs = performance.now() - started;
        expect(await store.examples.count("support")).toBe(100_000);

        started = performance.now();
        const relabelled = rows.map((r, i) => ({ ...r, label: labels[(i + 1) % 3], source: "human" as const }));
        expect(await store.examples.addMany("support", relabelled)).toEqual({ inserted: 0, updated: 100_000, unchanged: 0 });
        const updateMs = performance.now() - started;

        const all = await store.examples.all("support");
        expect(all).toHaveLength(100_000);
        expect(all[99_999]).toMatchObject({ label: labels[(99_999 + 1) % 3], source: "human" });
        console.log(`[${target.name}] addMany 100,000: insert ${insertMs.toFixed(0)} ms, relabel ${updateMs.toFixed(0)} ms`);
      });
    });

    describe("request log", () => {
      const base = (id: string, over: Partial<RequestInput> = {}): RequestInput => ({
        id,
        task: "support",
        input: `input of ${id}`,
        source: "specialist",
        latency_ms: 1,
        status: "ok",
        ...over,
      });

      it("stores and reads a request", async () => {
        clock = T0 + 5;
        await store.requests.insert(base("r1", { label: "billing", confidence: 0.875, model_version: 3, latency_ms: 1.25, cost: 0.000125, audited: true, teacher_label: "shipping" }));
        expect(await store.requests.get("r1")).toEqual({
          id: "r1",
          task: "support",
          input: "input of r1",
          input_hash: sha256Hex("input of r1"),
          label: "billing",
          confidence: 0.875,
          source: "specialist",
          model_version: 3,
          latency_ms: 1.25,
          cost: 0.000125,
          audited: true,
          teacher_label: "shipping",
          status: "ok",
          created_at: T0 + 5,
          key_id: null,
          key_name: null,
          threshold: null,
          shadow: false,
          shadow_label: null,
        });
        // Privacy: only the hash.
        await store.requests.insert(base("r2", { input: null, input_hash: sha256Hex("secret"), source: "none" }));
        expect(await store.requests.get("r2")).toMatchObject({ input: null, input_hash: sha256Hex("secret"), label: null, confidence: null, model_version: null, teacher_label: null, audited: false, cost: 0 });
        expect(await store.requests.get("missing")).toBeNull();
      });

      it("sums a window's shadow calls and served calls apart (captured tasks' figures)", async () => {
        const shadow = (id: string, over: Partial<RequestInput>) => base(id, { source: "teacher", shadow: true, label: "billing", teacher_label: "billing", ...over });
        await store.requests.insertMany([
          shadow("s1", { shadow_label: "billing", cost: 0.25, created_at: T0 }),
          shadow("s2", { shadow_label: "refund", cost: 0.25, created_at: T0 + 1 }),
          shadow("s3", { shadow_label: null, cost: 0.5, created_at: T0 + 2 }),
          base("v1", { label: "billing", created_at: T0 + 3 }),
          base("v2", { source: "teacher", label: "refund", teacher_label: "refund", cost: 0.125, created_at: T0 + 4 }),
          base("old", { created_at: T0 - 10 }),
        ]);
        expect(await store.requests.shadowStats("support", { since: T0 })).toEqual({ requests: 3, judged: 3, would_answer: 2, would_answer_judged: 2, disagreements: 1, cost: 1, would_answer_cost: 0.5 });
        expect(await store.requests.servedStats("support", { since: T0 })).toEqual({ requests: 2, by_specialist: 1, cost: 0.125 });
        expect(await store.requests.servedStats("support")).toEqual({ requests: 3, by_specialist: 2, cost: 0.125 });
        expect(await store.requests.servedStats("nobody")).toEqual({ requests: 0, by_specialist: 0, cost: 0 });
      });

      it("records the key that sent a request and the threshold it was routed by (migration 005)", async () => {
        await store.requests.insertMany([base("k1", { key_id: 7, key_name: "batch jobs", threshold: 0.8125 }), base("k2")]);
        expect(await store.requests.get("k1")).toMatchObject({ key_id: 7, key_name: "batch jobs", threshold: 0.8125 });
        expect(await store.requests.get("k2")).toMatchObject({ key_id: null, key_name: null, threshold: null });
      });

      it("searches a task's requests newest first, by source, label, time and text, a page at a time", async () => {
        const rows = [
          base("a", { created_at: T0, label: "billing", input: "Refund my ORDER please" }),
          base("b", { created_at: T0 + 1, label: "shipping", source: "teacher", input: "where is my parcel" }),
          // Two requests in the same millisecond: the id breaks the tie, so a page boundary between them loses neither.
          base("c1", { created_at: T0 + 2, label: "billing", input: "order 100% paid_in full" }),
          base("c2", { created_at: T0 + 2, label: "billing", input: "charged twice" }),
          base("other", { task: "elsewhere", created_at: T0 + 3, label: "billing" }),
        ];
        await store.requests.insertMany(rows);
        const ids = async (filter: Parameters<Store["requests"]["search"]>[1], limit = 10) => (await store.requests.search("support", filter, limit)).data.map((r) => r.id);
        expect(await ids({})).toEqual(["c2", "c1", "b", "a"]);
        expect(await ids({ source: "teacher" })).toEqual(["b"]);
        expect(await ids({ label: "billing" })).toEqual(["c2", "c1", "a"]);
        expect(await ids({ since: T0 + 1, until: T0 + 2 })).toEqual(["b"]);
        expect(await ids({ text: "order" })).toEqual(["c1", "a"]);
        // LIKE's wildcards are taken literally.
        expect(await ids({ text: "100%" })).toEqual(["c1"]);
        expect(await ids({ text: "%" })).toEqual(["c1"]);
        expect(await ids({ text: "d_i" })).toEqual(["c1"]);
        expect(await ids({ text: "x_y" })).toEqual([]);
        for (const nasty of NASTY) expect(await ids({ text: nasty }), nasty).toEqual([]);

        const seen: string[] = [];
        let page = await store.requests.search("support", {}, 1);
        for (;;) {
          seen.push(...page.data.map((r) => r.id));
          if (page.next === null) break;
          page = await store.requests.search("support", {}, 1, page.next);
        }
        expect(seen).toEqual(["c2", "c1", "b", "a"]);
        const first = await store.requests.search("support", { label: "billing" }, 2);
        expect(first.next).toEqual({ created_at: T0 + 2, id: "c1" });
        expect((await store.requests.search("support", { label: "billing" }, 2, first.next)).data.map((r) => r.id)).toEqual(["a"]);
        await expect(store.requests.search("support", {}, 0)).rejects.toThrow(/page size/);
      });

      it("reads a task's last inputs oldest first, skipping rows that keep only a hash", async () => {
        await store.requests.insertMany([
          base("a", { created_at: T0, input: "first" }),
          base("b", { created_at: T0 + 1, input: null, input_hash: sha256Hex("kept as a hash") }),
          base("c2", { created_at: T0 + 2, input: "third" }),
          base("c1", { created_at: T0 + 2, input: "second" }),
          base("d", { created_at: T0 + 3, input: "fourth" }),
          base("other", { task: "elsewhere", created_at: T0 + 4, input: "not this task's" }),
        ]);
        expect(await store.requests.recentInputs("support", 10)).toEqual(["first", "second", "third", "fourth"]);
        expect(await store.requests.recentInputs("support", 2)).toEqual(["third", "fourth"]);
        expect(await store.requests.recentInputs("nobody", 5)).toEqual([]);
        await expect(store.requests.recentInputs("support", 0)).rejects.toThrow(/limit must be a positive integer/);
      });

      it("counts a window's judged audits by the answer given and the teacher's", async () => {
        await store.requests.insertMany([
          base("a1", { created_at: T0, label: "billing", audited: true, teacher_label: "billing" }),
          base("a2", { created_at: T0 + 1, label: "billing", audited: true, teacher_label: "shipping" }),
          base("a3", { created_at: T0 + 2, label: "billing", audited: true, teacher_label: "shipping" }),
          // Not judged: the teacher gave no valid answer; not audited; another task.
          base("a4", { created_at: T0 + 3, label: "billing", audited: true, teacher_label: null }),
          base("a5", { created_at: T0 + 4, label: "shipping", audited: false, teacher_label: "billing" }),
          base("a6", { created_at: T0 + 5, task: "elsewhere", label: "billing", audited: true, teacher_label: "billing" }),
          base("a7", { created_at: T0 + 6, label: "shipping", audited: true, teacher_label: "shipping", model_version: 2 }),
        ]);
        const sorted = (rows: { label: string; teacher_label: string; count: number }[]) => [...rows].sort((x, y) => (x.label + x.teacher_label < y.label + y.teacher_label ? -1 : 1));
        expect(sorted(await store.requests.auditPairs("support", {}))).toEqual([
          { label: "billing", teacher_label: "billing", count: 1 },
          { label: "billing", teacher_label: "shipping", count: 2 },
          { label: "shipping", teacher_label: "shipping", count: 1 },
        ]);
        expect(await store.requests.auditPairs("support", { since: T0 + 2, until: T0 + 6 })).toEqual([{ label: "billing", teacher_label: "shipping", count: 1 }]);
        // One model version's (what a restored version's answer holds start from).
        expect(await store.requests.auditPairs("support", { version: 2 })).toEqual([{ label: "shipping", teacher_label: "shipping", count: 1 }]);
        expect(await store.requests.auditPairs("support", { since: T0, version: 3 })).toEqual([]);
      });

      it("refuses a duplicate id, and a row without input or hash", async () => {
        await store.requests.insert(base("r1"));
        await expect(store.requests.insert(base("r1"))).rejects.toBeInstanceOf(StoreConflictError);
        await expect(store.requests.insert(base("r3", { input: null }))).rejects.toThrow(/input_hash is required/);
      });

      it("inserts a batch in one transaction, skipping ids already logged", async () => {
        await store.requests.insert(base("r1"));
        const rows = Array.from({ length: 5000 }, (_, i) => base(`b${i}`, { latency_ms: i, input: `text ${i}` }));
        expect(await store.requests.insertMany([base("r1"), ...rows])).toEqual({ inserted: 5000 });
        // 5001 rows go as statements of 256, 64, 16, 4 and 1 rows: each row keeps its own values.
        for (const i of [0, 255, 4863, 4991, 4999]) {
          expect(await store.requests.get(`b${i}`)).toMatchObject({ latency_ms: i, input: `text ${i}`, input_hash: sha256Hex(`text ${i}`) });
        }
        expect(await store.requests.insertMany(rows)).toEqual({ inserted: 0 });
        expect(await store.requests.insertMany([])).toEqual({ inserted: 0 });
        expect(await store.requests.insertMany([base("d1"), base("d1")])).toEqual({ inserted: 1 });
        // A row the database refuses rolls back the whole batch.
        const more = Array.from({ length: 5000 }, (_, i) => base(`c${i}`));
        more.push(base("c-bad", { latency_ms: null as unknown as number }));
        await expect(store.requests.insertMany(more)).rejects.toThrow();
        expect(await store.requests.get("c0")).toBeNull();
        expect((await store.requests.stats("support")).requests).toBe(5002);
      });

      it("computes counts, cost, latency percentiles and a daily series", async () => {
        const at = (t: number, id: string, over: Partial<RequestInput>) => base(id, { created_at: t, ...over });
        await store.requests.insertMany([
          at(T0 - HOUR, "before", { latency_ms: 99999 }),
          at(T0 + 1 * HOUR, "r1", { label: "billing", confidence: 0.9, latency_ms: 10, model_version: 1 }),
          at(T0 + 2 * HOUR, "r2", { source: "teacher", label: "shipping", teacher_label: "shipping", latency_ms: 500, cost: 0.002 }),
          at(T0 + 3 * HOUR, "r3", { label: "billing", audited: true, teacher_label: "shipping", latency_ms: 20, cost: 0.001 }),
          at(T0 + 2 * DAY + HOUR, "r4", { label: "billing", audited: true, teacher_label: "billing", latency_ms: 30, cost: 0.001 }),
          at(T0 + 2 * DAY + 2 * HOUR, "r5", { source: "none", status: "teacher_error", latency_ms: 1000 }),
          at(T0 + 2 * DAY + 3 * HOUR, "r6", { source: "none", status: "teacher_invalid", latency_ms: 700, cost: 0.0005 }),
          at(T0 + 2 * DAY + 4 * HOUR, "other-task", { task: "other", latency_ms: 5 }),
        ]);
        const stats = await store.requests.stats("support", { since: T0 });
        expect(stats).toMatchObject({
          task: "support",
          since: T0,
          until: null,
          requests: 6,
          by_source: { specialist: 3, teacher: 1, none: 2 },
          by_status: { ok: 4, teacher_invalid: 1, teacher_error: 1, degraded: 0 },
          teacher_calls: 5,
          audited: 2,
          disagreements: 1,
          latency_p50_ms: 30,
          latency_p95_ms: 1000,
        });
        expect(stats.cost).toBeCloseTo(0.0045, 12);
        expect(stats.daily.map((d) => ({ ...d, cost: Math.round(d.cost * 1e6) }))).toEqual([
          { day: "2024-01-01", start: T0, requests: 3, specialist: 2, teacher: 1, cost: 3000 },
          { day: "2024-01-02", start: T0 + DAY, requests: 0, specialist: 0, teacher: 0, cost: 0 },
          { day: "2024-01-03", start: T0 + 2 * DAY, requests: 3, specialist: 1, teacher: 0, cost: 1500 },
        ]);

        const firstDay = await store.requests.stats("support", { since: new Date(T0), until: T0 + DAY });
        expect(firstDay.requests).toBe(3);
        expect(firstDay.daily).toHaveLength(1);
        expect((await store.requests.stats("support")).requests).toBe(7);
        const empty = await store.requests.stats("nobody");
        expect(empty).toMatchObject({ requests: 0, cost: 0, latency_p50_ms: null, latency_p95_ms: null, daily: [] });
      });

      it("gives a contiguous bucketed series over a window that adds up to the stats", async () => {
        const at = (t: number, id: string, over: Partial<RequestInput> = {}) => base(id, { created_at: t, ...over });
        await store.requests.insertMany([
          at(T0 - 1, "before"),
          at(T0 + 10 * 60_000, "a", { cost: 0 }),
          at(T0 + 50 * 60_000, "b", { source: "teacher", cost: 0.002, label: "none_of_these" }),
          at(T0 + 3 * HOUR + 1, "c", { source: "none", status: "teacher_error" }),
          at(T0 + 3 * HOUR + 2, "d", { audited: true, teacher_label: "x", label: "y", cost: 0.001 }),
          at(T0 + 5 * HOUR - 1, "last"),
          at(T0 + 5 * HOUR, "after"),
          at(T0 + HOUR, "other-task", { task: "other" }),
        ]);
        // A window starting mid-hour: the first bucket is the whole hour's start, counting only the window's part.
        const window = { since: T0 + 30 * 60_000, until: T0 + 5 * HOUR };
        const series = await store.requests.series("support", { ...window, none: { label: "none_of_these" } }, HOUR);
        expect(series.map((b) => b.start)).toEqual([T0, T0 + HOUR, T0 + 2 * HOUR, T0 + 3 * HOUR, T0 + 4 * HOUR]);
        expect(series.map((b) => b.requests)).toEqual([1, 0, 0, 2, 1]);
        expect(series[0]).toMatchObject({ teacher: 1, specialist: 0, teacher_calls: 1, none_of_these: 1 });
        expect(series.map((b) => b.none_of_these)).toEqual([1, 0, 0, 0, 0]);
        // Without a none label nothing counts as none of these.
        expect((await store.requests.series("support", window, HOUR)).map((b) => b.none_of_these)).toEqual([0, 0, 0, 0, 0]);
        expect(series[3]).toMatchObject({ specialist: 1, none: 1, teacher_calls: 2 });
        const stats = await store.requests.stats("support", { ...window, none: { label: "none_of_these" } });
        expect(stats.none_answers).toBe(1);
        const sum = (f: (b: (typeof series)[number]) => number) => series.reduce((t, b) => t + f(b), 0);
        expect(sum((b) => b.requests)).toBe(stats.requests);
        expect(sum((b) => b.specialist)).toBe(stats.by_source.specialist);
        expect(sum((b) => b.none)).toBe(stats.by_source.none);
        expect(sum((b) => b.teacher_calls)).toBe(stats.teacher_calls);
        expect(sum((b) => b.cost)).toBeCloseTo(stats.cost, 12);

        // Minute buckets over an empty task: all zeros, one per minute, the last holding until − 1.
        const quiet = await store.requests.series("nobody", { since: T0, until: T0 + 3 * 60_000 + 1 }, 60_000);
        expect(quiet.map((b) => [b.start, b.requests])).toEqual([[T0, 0], [T0 + 60_000, 0], [T0 + 120_000, 0], [T0 + 180_000, 0]]);
        await expect(store.requests.series("support", { since: T0, until: T0 }, HOUR)).rejects.toThrow(/since < until/);
        await expect(store.requests.series("support", window, 0)).rejects.toThrow(/bucket size/);
      });

      it("counts a structured task's none answers by the markers of its choice fields, case and wildcards taken literally", async () => {
        const object = (intent: string, currency: string | null, recipient: string | null) => JSON.stringify({ intent, currency, recipient });
        const at = (id: string, over: Partial<RequestInput>) => base(id, { task: "transfers", created_at: T0 + 1000, ...over });
        await store.requests.insertMany([
          at("a", { source: "teacher", label: object("none_of_these", null, null) }),
          at("b", { source: "teacher", label: object("send_money", "none_of_these", "Anna") }),
          // Not none answers: a copied value that says it (escaped in the JSON), another case, a LIKE wildcard's match.
          at("c", { label: object("send_money", "EUR", '"intent":"none_of_these"') }),
          at("d", { label: object("send_money", "EUR", "none_of_these") }),
          at("e", { label: object("None_Of_These", "EUR", null) }),
          at("f", { label: object("noneXofXthese", "EUR", null) }),
          // An audit the teacher answered none: the specialist gave an object to an out-of-scope input.
          at("g", { audited: true, label: object("send_money", "EUR", null), teacher_label: object("none_of_these", null, null) }),
        ]);
        const none = { markers: ['"intent":"none_of_these"', '"currency":"none_of_these"'] };
        const stats = await store.requests.stats("transfers", { none });
        expect(stats).toMatchObject({ requests: 7, none_answers: 2, audited_none: 1, audited: 1 });
        const series = await store.requests.series("transfers", { since: T0, until: T0 + HOUR, none }, HOUR);
        expect(series.map((b) => b.none_of_these)).toEqual([2]);
        expect((await store.requests.stats("transfers", { none: { markers: [] } })).none_answers).toBe(0);
        expect((await store.requests.stats("transfers", { none: { label: object("none_of_these", null, null) } })).none_answers).toBe(1);
      });

      it("lists the review queue until a human or feedback example settles the text", async () => {
        await store.tasks.create(task("support"));
        const at = (minute: number, id: string, over: Partial<RequestInput>) => base(id, { created_at: T0 + minute * 60_000, ...over });
        await store.requests.insertMany([
          at(1, "dis-old", { input: "dis old", label: "billing", teacher_label: "shipping", audited: true, confidence: 0.99 }),
          at(2, "dis-new", { input: "dis new", label: "billing", teacher_label: "other", audited: true, confidence: 0.95 }),
          at(3, "agreed", { input: "agreed", label: "billing", teacher_label: "billing", audited: true, confidence: 0.97 }),
          at(4, "low", { input: "low", label: "other", confidence: 0.51 }),
          at(5, "mid", { input: "mid", label: "other", confidence: 0.7 }),
          at(6, "invalid", { input: "invalid", source: "none", status: "teacher_invalid" }),
          at(7, "hashed", { input: null, input_hash: sha256Hex("secret"), label: "billing", confidence: 0.1 }),
          at(8, "settled", { input: "settled", label: "billing", confidence: 0.2 }),
          at(9, "taught", { input: "taught", label: "billing", confidence: 0.3 }),
          at(10, "imported", { input: "imported", label: "billing", confidence: 0.4 }),
          at(11, "elsewhere", { task: "other", input: "low", label: "other", confidence: 0.01 }),
        ]);
        await store.examples.addMany("support", [
          { text: "settled", label: "shipping", source: "feedback" },
          { text: "taught", label: "billing", source: "teacher" },
          { text: "imported", label: "billing", source: "import" },
        ]);
        const ids = async (kind: Parameters<Store["requests"]["review"]>[1], limit = 50) => (await store.requests.review("support", kind, limit)).map((r) => r.id);
        expect(await ids("disagreement")).toEqual(["dis-new", "dis-old"]);
        expect(await ids("teacher_invalid")).toEqual(["invalid"]);
        // A teacher or import example does not settle a text; a feedback one does; hashed inputs never show.
        expect(await ids("low_confidence")).toEqual(["taught", "imported", "low", "mid", "dis-new", "agreed", "dis-old"]);
        expect(await ids("low_confidence", 2)).toEqual(["taught", "imported"]);
        expect(await ids("all", 4)).toEqual(["dis-new", "dis-old", "invalid", "taught"]);
        const all = await store.requests.review("support", "all", 50);
        expect(all.map((r) => r.id)).toEqual(["dis-new", "dis-old", "invalid", "taught", "imported", "low", "mid", "agreed"]);
        expect(all[0]).toMatchObject({ kind: "disagreement", input: "dis new", label: "billing", teacher_label: "other", audited: true, created_at: T0 + 2 * 60_000 });
        expect(all.find((r) => r.id === "mid")?.kind).toBe("low_confidence");
        expect(await store.requests.reviewCounts("support")).toEqual({ disagreement: 2, low_confidence: 7, teacher_invalid: 1 });
        // With a ceiling, only the answers under it: the confident ones (0.95 and up) leave the queue.
        const below = { lowConfidenceBelow: 0.7 };
        expect((await store.requests.review("support", "low_confidence", 50, below)).map((r) => r.id)).toEqual(["taught", "imported", "low"]);
        expect((await store.requests.review("support", "all", 50, below)).map((r) => r.id)).toEqual(["dis-new", "dis-old", "invalid", "taught", "imported", "low"]);
        expect(await store.requests.reviewCounts("support", below)).toEqual({ disagreement: 2, low_confidence: 3, teacher_invalid: 1 });
        await expect(store.requests.review("support", "low_confidence", 50, { lowConfidenceBelow: Number.NaN })).rejects.toThrow(/lowConfidenceBelow/);

        await store.examples.addMany("support", [{ text: "dis new", label: "other", source: "human" }]);
        expect(await ids("disagreement")).toEqual(["dis-old"]);
        expect(await store.requests.reviewCounts("support")).toEqual({ disagreement: 1, low_confidence: 6, teacher_invalid: 1 });
        expect(await store.requests.reviewCounts("nobody")).toEqual({ disagreement: 0, low_confidence: 0, teacher_invalid: 0 });
        await expect(store.requests.review("support", "all", 0)).rejects.toThrow(/positive integer/);
      });
    });

    describe("model versions", () => {
      beforeEach(async () => {
        await store.tasks.create(task("support"));
      });
      const model = (seed: number, over: Partial<Parameters<Store["models"]["add"]>[1]> = {}) => ({
        artifact: artifact(seed),
        metrics: { accuracy: 0.9 + seed / 1000, seed },
        threshold: 0.5 + seed / 100,
        ...over,
      });

      it("numbers versions, lists them without artifacts and serves the promoted one", async () => {
        expect(await store.models.promoted("support")).toBeNull();
        expect(await store.models.add("support", model(1))).toBe(1);
        clock = T0 + HOUR;
        expect(await store.models.add("support", model(2, { threshold: null }))).toBe(2);
        await store.models.promote("support", 1);
        const served = await store.models.promoted("support");
        expect(served).toMatchObject({ version: 1, metrics: { accuracy: 0.901, seed: 1 }, threshold: 0.51 });
        expect(Buffer.from(served!.artifact).equals(Buffer.from(artifact(1)))).toBe(true);

        const list = await store.models.list("support");
        expect(list).toEqual([
          { task: "support", version: 2, status: "candidate", metrics: { accuracy: 0.902, seed: 2 }, threshold: null, artifact_bytes: 1024, created_at: T0 + HOUR, promoted_at: null, looks: 0 },
          { task: "support", version: 1, status: "promoted", metrics: { accuracy: 0.901, seed: 1 }, threshold: 0.51, artifact_bytes: 1024, created_at: T0, promoted_at: T0 + HOUR, looks: 0 },
        ]);
        expect(list[0]).not.toHaveProperty("artifact");
        const v2 = await store.models.get("support", 2);
        expect(Buffer.from(v2!.artifact).equals(Buffer.from(artifact(2)))).toBe(true);
        expect(await store.models.get("support", 9)).toBeNull();
      });

      it("keeps a large artifact byte for byte", async () => {
        const big = new Uint8Array(3_000_000);
        for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24;
        // A view into a larger buffer: only the view's bytes are stored.
        const view = new Uint8Array(big.buffer, 1000, big.length - 2000);
        await store.models.add("support", { artifact: view, metrics: {}, threshold: null, status: "promoted" });
        const served = await store.models.promoted("support");
        expect(served!.artifact.byteLength).toBe(view.byteLength);
        expect(Buffer.from(served!.artifact).equals(Buffer.from(view))).toBe(true);
      });

      it("gives distinct consecutive versions to concurrent adds", async () => {
        const versions = await Promise.all(Array.from({ length: 12 }, (_, i) => store.models.add("support", model(i))));
        expect([...versions].sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
      });

      it.runIf(target.name === "PostgreSQL")("gives distinct versions to concurrent adds from two gateway instances", async () => {
        const other = await openAgain();
        const versions = await Promise.all(
          Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? store : other).models.add("support", model(i))),
        );
        expect([...versions].sort((a, b) => a - b)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
      });

      it("counts a version's threshold choices atomically and keeps the latest one's threshold", async () => {
        await store.models.add("support", model(1, { status: "promoted", looks: 1 }));
        await store.models.add("support", model(2));
        expect(await store.models.addLooks("support", 1, 1, 0.93)).toBe(1);
        expect(await store.models.promoted("support")).toMatchObject({ version: 1, looks: 2, threshold: 0.93 });
        expect(await store.models.addLooks("support", 1, 2, null)).toBe(2);
        expect(await store.models.promoted("support")).toMatchObject({ version: 1, looks: 4, threshold: null });
        expect((await store.models.list("support")).map((m) => [m.version, m.looks])).toEqual([[2, 0], [1, 4]]);
        // Concurrent restores each get a count of their own.
        const before = await Promise.all(Array.from({ length: 8 }, () => store.models.addLooks("support", 2, 1, 0.9)));
        expect([...before].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
        await expect(store.models.addLooks("support", 9, 1, 0.9)).rejects.toBeInstanceOf(StoreNotFoundError);
        await expect(store.models.addLooks("support", 1, 0, 0.9)).rejects.toThrow(/positive integer/);
        await expect(store.models.addLooks("support", 1, 1, Number.NaN)).rejects.toThrow(/finite number or null/);
        await expect(store.models.add("support", model(3, { looks: -1 }))).rejects.toThrow(/looks must be an integer ≥ 0/);
        expect(await store.models.get("support", 1)).toMatchObject({ looks: 4, threshold: null });
        // A look counted before its threshold was known stores it afterwards, without counting.
        await store.models.setThreshold("support", 1, 0.88);
        expect(await store.models.get("support", 1)).toMatchObject({ looks: 4, threshold: 0.88 });
        await expect(store.models.setThreshold("support", 9, 0.5)).rejects.toBeInstanceOf(StoreNotFoundError);
      });

      it("keeps the scope cut a version's threshold was chosen under beside it, null when not recorded", async () => {
        await store.models.add("support", model(1, { status: "promoted", looks: 1, scope_cut: 0.42 }));
        expect(await store.models.promoted("support")).toMatchObject({ version: 1, scope_cut: 0.42 });
        expect(await store.models.addLooks("support", 1, 1, 0.9, 1)).toBe(1);
        expect(await store.models.promoted("support")).toMatchObject({ threshold: 0.9, scope_cut: 1 });
        await store.models.setThreshold("support", 1, 0.95, 0.3);
        expect(await store.models.promoted("support")).toMatchObject({ threshold: 0.95, scope_cut: 0.3 });
        // A caller that does not know it records none.
        await store.models.setThreshold("support", 1, 0.96);
        expect(await store.models.promoted("support")).toMatchObject({ threshold: 0.96, scope_cut: null });
        await expect(store.models.addLooks("support", 1, 1, 0.9, 1.5)).rejects.toThrow(/scope cut must be a number in \[0, 1\] or null/);
        await expect(store.models.add("support", model(2, { scope_cut: -0.1 }))).rejects.toThrow(/scope cut must be a number in \[0, 1\]/);
        expect(await store.models.promoted("support")).toMatchObject({ threshold: 0.96, scope_cut: null, looks: 2 });
      });

      it.runIf(target.name === "PostgreSQL")("gives distinct look counts to two gateway instances restoring one version", async () => {
        await store.models.add("support", model(1, { status: "promoted", looks: 1 }));
        const other = await openAgain();
        const before = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? store : other).models.addLooks("support", 1, 1, 0.9)));
        expect([...before].sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
      });

      it("promotes atomically and rolls back to the previous retired version", async () => {
        for (let i = 1; i <= 4; i++) await store.models.add("support", model(i));
        await store.models.promote("support", 1);
        await store.models.promote("support", 2);
        await store.models.promote("support", 3);
        await store.models.promote("support", 3); // no-op
        const statuses = async () => Object.fromEntries((await store.models.list("support")).map((m) => [m.version, m.status]));
        expect(await statuses()).toEqual({ 1: "retired", 2: "retired", 3: "promoted", 4: "candidate" });

        expect(await store.models.rollback("support")).toBe(2);
        expect(await statuses()).toEqual({ 1: "retired", 2: "promoted", 3: "retired", 4: "candidate" });
        expect(await store.models.rollback("support")).toBe(1);
        expect(await statuses()).toEqual({ 1: "promoted", 2: "retired", 3: "retired", 4: "candidate" });
        await expect(store.models.rollback("support")).rejects.toThrow(/no retired model version before version 1/);
        expect((await store.models.promoted("support"))?.version).toBe(1);

        await store.models.reject("support", 4);
        await expect(store.models.reject("support", 4)).rejects.toBeInstanceOf(StoreNotFoundError);
        await expect(store.models.promote("support", 99)).rejects.toBeInstanceOf(StoreNotFoundError);
        await expect(store.models.promote("nobody", 1)).rejects.toBeInstanceOf(StoreNotFoundError);
        await expect(store.models.add("nobody", model(1))).rejects.toBeInstanceOf(StoreNotFoundError);
        expect((await store.models.promoted("support"))?.version).toBe(1);
      });

      it("adding a promoted version retires the previous one", async () => {
        await store.models.add("support", model(1, { status: "promoted" }));
        await store.models.add("support", model(2, { status: "promoted" }));
        expect((await store.models.list("support")).map((m) => m.status)).toEqual(["promoted", "retired"]);
        expect(await store.models.rollback("support")).toBe(1);
      });

      it("forbids two promoted versions even to direct SQL", async () => {
        await store.models.add("support", model(1, { status: "promoted" }));
        await store.models.add("support", model(2));
        await expect(
          store.db.updateTable("model_versions").set({ status: "promoted" }).where("task", "=", "support").where("version", "=", 2).execute(),
        ).rejects.toThrow();
      });

      it("a promotion that fails midway leaves the old version serving", async () => {
        await store.models.add("support", model(1, { status: "promoted" }));
        await store.models.add("support", model(2));
        await expect(
          store.transaction(async (tx) => {
            await tx.models.promote("support", 2);
            expect((await tx.models.promoted("support"))?.version).toBe(2);
            throw new Error("crash after promoting");
          }),
        ).rejects.toThrow("crash after promoting");
        expect((await store.models.promoted("support"))?.version).toBe(1);
        expect((await store.models.list("support")).map((m) => m.status)).toEqual(["candidate", "promoted"]);
      });

      it("readers always see the old or the new version, never none", async () => {
        await store.models.add("support", model(1, { status: "promoted" }));
        await store.models.add("support", model(2));
        // Readers on another connection (a second gateway), as well as on this store.
        const reader = target.persistent ? await openAgain() : store;
        let stop = false;
        let reads = 0;
        const seen = new Set<number | null>();
        const readLoop = async (s: Store) => {
          while (!stop) {
            seen.add((await s.models.promoted("support"))?.version ?? null);
            reads++;
            // Yield to the event loop as a server between requests does. (On SQLite every query
            // resolves without I/O, so a loop that never yields would starve the writer of the
            // store's single connection: Kysely's connection mutex is not fair.)
            await new Promise((resolve) => setImmediate(resolve));
          }
        };
        const readers = [readLoop(reader), readLoop(reader), readLoop(store)];
        for (let i = 0; i < 25; i++) {
          await store.models.promote("support", 2);
          await new Promise((resolve) => setImmediate(resolve));
          expect(await store.models.rollback("support")).toBe(1);
          await new Promise((resolve) => setImmediate(resolve));
        }
        stop = true;
        await Promise.all(readers);
        expect(seen.has(null)).toBe(false);
        expect([...seen].every((v) => v === 1 || v === 2)).toBe(true);
        expect(reads).toBeGreaterThan(10);
      });
    });

    describe("teacher spend and retention (migration 004)", () => {
      it("reserves a call against every budget or none, names the spent one, and resets with the window", async () => {
        const limits = [
          { scope: "task:t", period: "hour" as const, calls: 3 },
          { scope: "key:1", period: "day" as const, calls: 5, cost: 0.01 },
        ];
        for (let i = 0; i < 3; i++) {
          const r = await store.teacherSpend.reserve(limits);
          expect(r.ok).toBe(true);
          if (r.ok) await store.teacherSpend.addCost(r.windows, 0.002);
        }
        const refused = await store.teacherSpend.reserve(limits);
        expect(refused).toMatchObject({ ok: false, kind: "calls", limit: { scope: "task:t" }, used: { calls: 3, resets_at: T0 + HOUR } });
        // The refusal rolled back the key's counter: it still shows 3 calls.
        expect(await store.teacherSpend.usage("key:1", "day")).toMatchObject({ calls: 3, start: T0, resets_at: T0 + DAY });
        expect((await store.teacherSpend.usage("key:1", "day")).cost).toBeCloseTo(0.006, 9);
        // Next hour: the task's hourly budget is fresh; the key's daily cost budget runs out first.
        clock = T0 + HOUR;
        let r = await store.teacherSpend.reserve(limits);
        expect(r.ok).toBe(true);
        if (r.ok) await store.teacherSpend.addCost(r.windows, 0.005);
        r = await store.teacherSpend.reserve(limits);
        expect(r).toMatchObject({ ok: false, kind: "cost", limit: { scope: "key:1" } });
        expect(await store.teacherSpend.reserve([{ scope: "task:z", period: "hour", calls: 0 }])).toMatchObject({ ok: false, kind: "calls" });
        clock = T0 + 3 * DAY;
        expect(await store.teacherSpend.prune(clock - 2 * DAY)).toBe(3);
      });

      it("keeps key permissions, defaulting force_teacher by role, and updates them when a key is installed again", async () => {
        const admin = await store.apiKeys.create("a", "admin");
        const predict = await store.apiKeys.create("p", "predict", { teacher_budget: { calls_per_hour: 7 } });
        expect(admin.record).toMatchObject({ force_teacher: true, teacher_budget: null });
        expect(predict.record).toMatchObject({ force_teacher: false, teacher_budget: { calls_per_hour: 7 } });
        expect(await store.apiKeys.verify(predict.key)).toMatchObject({ teacher_budget: { calls_per_hour: 7 } });
        const secret = `apx_${"k".repeat(40)}`;
        await store.apiKeys.install(secret, "deployed", "predict");
        const again = await store.apiKeys.install(secret, "deployed", "predict", { force_teacher: true, teacher_budget: { cost_per_day: 2 } });
        expect(again).toMatchObject({ created: false, record: { force_teacher: true, teacher_budget: { cost_per_day: 2 } } });
        await expect(store.apiKeys.create("bad", "predict", { teacher_budget: { calls_per_hour: -1 } as never })).rejects.toThrow(/calls_per_hour/);
      });

      it("records each example's origin and key, replaced with its label", async () => {
        await store.tasks.create(task("t"));
        await store.examples.addMany("t", [{ text: "one", label: "billing", source: "teacher", origin: "predict", key_id: 4, key_name: "app" }]);
        expect(await store.examples.get("t", "one")).toMatchObject({ origin: "predict", key_id: 4, key_name: "app" });
        await store.examples.addMany("t", [{ text: "one", label: "shipping", source: "feedback", origin: "feedback", key_id: 1, key_name: "admin" }]);
        expect(await store.examples.get("t", "one")).toMatchObject({ label: "shipping", origin: "feedback", key_id: 1, key_name: "admin" });
      });

      it("deletes a task's oldest rows in batches and finds where its cap falls", async () => {
        const rows = (task: string, n: number) => Array.from({ length: n }, (_, i) => ({ id: `${task}${i}`, task, input: `x${i}`, source: "specialist" as const, latency_ms: 1, status: "ok" as const, created_at: T0 + i }));
        await store.requests.insertMany([...rows("a", 50), ...rows("b", 5)]);
        expect(await store.requests.loggedTasks()).toEqual(["a", "b"]);
        expect(await store.requests.keepCutoff("b", 5)).toBeNull();
        const cutoff = await store.requests.keepCutoff("a", 20);
        expect(cutoff).toBe(T0 + 30);
        expect(await store.requests.deleteOlder("a", cutoff!, 25)).toBe(25);
        expect(await store.requests.deleteOlder("a", cutoff!, 25)).toBe(5);
        expect(await store.requests.count("a")).toBe(20);
        expect(await store.requests.get("a30")).not.toBeNull();
        expect(await store.requests.count("b")).toBe(5);
      });
    });

    describe("API keys", () => {
      it("creates a key shown once, stores only its hash, verifies and revokes it", async () => {
        const { key, record } = await store.apiKeys.create("ci", "admin");
        expect(key).toMatch(/^apx_[A-Za-z0-9_-]{43}$/);
        expect(record).toMatchObject({ name: "ci", role: "admin", prefix: key.slice(0, 8), created_at: T0, revoked_at: null });

        const stored = await store.db.selectFrom("api_keys").selectAll().execute();
        expect(stored).toHaveLength(1);
        expect(stored[0].key_hash).toBe(sha256Hex(key));
        expect(Object.values(stored[0]).some((v) => typeof v === "string" && v.includes(key.slice(8)))).toBe(false);

        expect(await store.apiKeys.verify(key)).toEqual(record);
        const flipped = key.slice(0, -1) + (key.endsWith("A") ? "B" : "A");
        for (const wrong of [flipped, key + "x", key.slice(0, -1), "", "apx_", key.toUpperCase(), "' OR '1'='1", sha256Hex(key)]) {
          expect(await store.apiKeys.verify(wrong), wrong).toBeNull();
        }

        const other = await store.apiKeys.create("app", "predict");
        expect(other.key).not.toBe(key);
        expect(await store.apiKeys.count()).toBe(2);
        expect(await store.apiKeys.count("admin")).toBe(1);
        expect((await store.apiKeys.list()).map((k) => k.name)).toEqual(["ci", "app"]);
        expect(await store.apiKeys.list()).not.toContainEqual(expect.objectContaining({ key_hash: expect.anything() }));

        clock = T0 + HOUR;
        expect(await store.apiKeys.revoke(record.id)).toBe(true);
        expect(await store.apiKeys.revoke(record.id)).toBe(false);
        expect(await store.apiKeys.revoke(123456)).toBe(false);
        expect(await store.apiKeys.verify(key)).toBeNull();
        expect(await store.apiKeys.verify(other.key)).toMatchObject({ name: "app", role: "predict" });
        expect(await store.apiKeys.count()).toBe(1);
        expect((await store.apiKeys.list())[0]).toMatchObject({ name: "ci", revoked_at: T0 + HOUR });
      });

      it("trusts a verified key for a few seconds, and forgets it at once when revoked here", async () => {
        const { key, record } = await store.apiKeys.create("cached", "predict");
        // Synchronous answers: undefined until verified once, null for what cannot be a key.
        expect(store.apiKeys.verifyCached(key)).toBeUndefined();
        expect(store.apiKeys.verifyCached("apx_short")).toBeNull();
        expect(await store.apiKeys.verify(key)).toEqual(record);
        expect(store.apiKeys.verifyCached(key)).toEqual(record);
        // Revoked by another process (straight in the database): still trusted until the TTL ends.
        await store.db.updateTable("api_keys").set({ revoked_at: clock }).where("id", "=", record.id).execute();
        expect(await store.apiKeys.verify(key)).toEqual(record);
        clock += VERIFIED_KEY_TTL_MS;
        expect(store.apiKeys.verifyCached(key)).toBeUndefined();
        expect(await store.apiKeys.verify(key)).toBeNull();

        const other = await store.apiKeys.create("cached 2", "predict");
        expect(await store.apiKeys.verify(other.key)).toEqual(other.record);
        await store.apiKeys.revoke(other.record.id);
        expect(await store.apiKeys.verify(other.key)).toBeNull();
      });

      it("installs a key made elsewhere once, and refuses malformed, revoked or re-roled ones", async () => {
        const key = "apx_" + "k".repeat(40);
        const first = await store.apiKeys.install(key, "from env", "predict");
        expect(first).toMatchObject({ created: true, record: { name: "from env", role: "predict", prefix: key.slice(0, 8) } });
        expect(await store.apiKeys.install(key, "from env", "predict")).toEqual({ record: first.record, created: false });
        expect(await store.apiKeys.verify(key)).toEqual(first.record);
        await expect(store.apiKeys.install(key, "from env", "admin")).rejects.toThrow(/installed with role predict/);
        await expect(store.apiKeys.install("apx_short", "x", "admin")).rejects.toThrow(/32 to 256 characters/);
        await expect(store.apiKeys.install("k".repeat(44), "x", "admin")).rejects.toThrow(/must be "apx_"/);
        await store.apiKeys.revoke(first.record.id);
        await expect(store.apiKeys.install(key, "from env", "predict")).rejects.toThrow(/was revoked/);
        expect(await store.apiKeys.count()).toBe(0);
      });

      it("marks installed keys as from the configuration, keys made here as not (migration 005)", async () => {
        expect((await store.apiKeys.create("made here", "admin")).record.from_config).toBe(false);
        const key = "apx_" + "c".repeat(40);
        expect((await store.apiKeys.install(key, "deployed", "predict")).record.from_config).toBe(true);
        // A key installed before migration 005 (from_config 0) is marked the next time it is installed.
        await store.db.updateTable("api_keys").set({ from_config: 0 }).where("name", "=", "deployed").execute();
        expect((await store.apiKeys.install(key, "deployed", "predict")).record.from_config).toBe(true);
        expect((await store.apiKeys.list()).map((k) => k.from_config)).toEqual([false, true]);
      });

      it("revokes any key but the last admin key, and says why it did not", async () => {
        const a = await store.apiKeys.create("admin a", "admin");
        const b = await store.apiKeys.create("admin b", "admin");
        const p = await store.apiKeys.create("app", "predict");
        expect(await store.apiKeys.verify(a.key)).not.toBeNull();
        expect(await store.apiKeys.revokeKeepingAnAdmin(p.record.id)).toEqual({ revoked: { ...p.record, revoked_at: T0 } });
        expect(await store.apiKeys.revokeKeepingAnAdmin(p.record.id)).toMatchObject({ refused: "already_revoked", record: { id: p.record.id } });
        expect(await store.apiKeys.revokeKeepingAnAdmin(987654)).toEqual({ refused: "not_found", record: null });
        expect(await store.apiKeys.revokeKeepingAnAdmin(a.record.id)).toMatchObject({ revoked: { id: a.record.id, revoked_at: T0 } });
        // Forgotten by the verified-key cache at once.
        expect(await store.apiKeys.verify(a.key)).toBeNull();
        expect(await store.apiKeys.revokeKeepingAnAdmin(b.record.id)).toMatchObject({ refused: "last_admin", record: { id: b.record.id, revoked_at: null } });
        expect(await store.apiKeys.count("admin")).toBe(1);
      });

      // PostgreSQL only: there two connections can race (on SQLite a write transaction holds the
      // whole database, and two connections of one process would only wait for each other).
      it.runIf(target.name.startsWith("PostgreSQL"))("lets only one of two admins revoking each other's keys at once succeed", async () => {
        const a = await store.apiKeys.create("admin a", "admin");
        const b = await store.apiKeys.create("admin b", "admin");
        const other = await openAgain();
        const outcomes = await Promise.all([store.apiKeys.revokeKeepingAnAdmin(a.record.id), other.apiKeys.revokeKeepingAnAdmin(b.record.id)]);
        expect(outcomes.filter((o) => "revoked" in o)).toHaveLength(1);
        expect(await store.apiKeys.count("admin")).toBe(1);
      });
    });

    describe("transactions", () => {
      it("commits everything or nothing", async () => {
        await expect(
          store.transaction(async (tx) => {
            await tx.tasks.create(task("t1"));
            await tx.examples.addMany("t1", [{ text: "a", label: "other", source: "human" }]);
            await tx.apiKeys.create("k", "admin");
            throw new Error("boom");
          }),
        ).rejects.toThrow("boom");
        expect(await store.tasks.get("t1")).toBeNull();
        expect(await store.apiKeys.count()).toBe(0);

        const result = await store.transaction(async (tx) => {
          await tx.tasks.create(task("t2"));
          await tx.models.add("t2", { artifact: artifact(1), metrics: {}, threshold: null, status: "promoted" });
          return tx.examples.addMany("t2", [{ text: "a", label: "other", source: "human" }]);
        });
        expect(result.inserted).toBe(1);
        expect(await store.examples.count("t2")).toBe(1);
        expect((await store.models.promoted("t2"))?.version).toBe(1);
      });
    });

    describe("hostile strings", () => {
      it("stores SQL-injection strings in texts, labels and names as plain data", async () => {
        await store.tasks.create(task("support", NASTY.map((n, i) => `${i}:${n}`)));
        const rows = NASTY.map((n, i) => ({ text: n, label: `${i}:${n}`, source: "human" as const }));
        expect(await store.examples.addMany("support", rows)).toEqual({ inserted: NASTY.length, updated: 0, unchanged: 0 });
        for (const [i, n] of NASTY.entries()) {
          expect(await store.examples.get("support", n)).toMatchObject({ text: n, label: `${i}:${n}` });
        }
        expect(((await store.tasks.get("support"))?.definition as Task | undefined)?.labels.map((l) => l.name)).toEqual(NASTY.map((n, i) => `${i}:${n}`));

        for (const n of NASTY) {
          // Task names must match the name pattern, so these never become tasks…
          expect(() => task(n)).toThrow(TaskError);
          // …and looking them up is harmless.
          expect(await store.tasks.get(n)).toBeNull();
          expect(await store.tasks.delete(n)).toBe(false);
          await expect(store.examples.addMany(n, [{ text: n, label: "other", source: "human" }])).rejects.toBeInstanceOf(StoreNotFoundError);
          await expect(store.models.promote(n, 1)).rejects.toBeInstanceOf(StoreNotFoundError);
          expect(await store.examples.count(n)).toBe(0);
        }
        // The request log takes any task name (it is not a foreign key).
        await store.requests.insertMany(NASTY.map((n, i) => base(`${i}:${n}`, n)));
        for (const [i, n] of NASTY.entries()) {
          expect(await store.requests.get(`${i}:${n}`)).toMatchObject({ task: n, input: n, label: n, teacher_label: n });
          expect((await store.requests.stats(n)).requests).toBe(1);
        }
        const { key } = await store.apiKeys.create(NASTY[0], "predict");
        expect(await store.apiKeys.verify(key)).toMatchObject({ name: NASTY[0] });

        // Every table is still there and holds what it should.
        expect((await store.tasks.list()).map((t) => t.name)).toEqual(["support"]);
        expect(await store.examples.count("support")).toBe(NASTY.length);
      });

      function base(id: string, text: string): RequestInput {
        return { id, task: text, input: text, label: text, teacher_label: text, source: "teacher", latency_ms: 1, status: "ok" };
      }
    });

    describe.runIf(target.persistent)("restart", () => {
      it("keeps every table's data across close and reopen", async () => {
        await store.tasks.create(task("support"));
        await store.examples.addMany("support", [
          { text: "refund", label: "billing", source: "human", holdout: true },
          { text: "parcel", label: "shipping", source: "teacher" },
        ]);
        await store.requests.insert({ id: "r1", task: "support", input: "refund", label: "billing", source: "specialist", latency_ms: 2.5, status: "ok", cost: 0.01 });
        await store.models.add("support", { artifact: artifact(7), metrics: { f1: 0.8 }, threshold: 0.7, status: "promoted" });
        const { key } = await store.apiKeys.create("ci", "admin");
        await store.close();

        store = await location.open(options());
        expect((await store.tasks.get("support"))?.definition).toEqual(task("support"));
        expect((await store.examples.all("support")).map((e) => [e.text, e.label, e.source, e.holdout])).toEqual([
          ["refund", "billing", "human", true],
          ["parcel", "shipping", "teacher", false],
        ]);
        expect(await store.requests.get("r1")).toMatchObject({ latency_ms: 2.5, cost: 0.01, created_at: T0 });
        const served = await store.models.promoted("support");
        expect(served).toMatchObject({ version: 1, metrics: { f1: 0.8 }, threshold: 0.7 });
        expect(Buffer.from(served!.artifact).equals(Buffer.from(artifact(7)))).toBe(true);
        expect(await store.apiKeys.verify(key)).toMatchObject({ name: "ci" });
        // Numbering continues where it was.
        expect(await store.models.add("support", { artifact: artifact(8), metrics: {}, threshold: null })).toBe(2);
      });
    });
  });
}
