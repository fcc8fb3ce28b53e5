// Renaming a task and moving examples between tasks, run on every dialect like the shared store
// suite (sqlite.test.ts, postgres.test.ts). Every test gets an empty database of its own.
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseTask, TaskError } from "../../src/task/definition.js";
import { StoreConflictError, StoreNotFoundError, type Store } from "../../src/store/index.js";
import type { Location, StoreTarget } from "./targets.js";

const T0 = Date.UTC(2024, 0, 1, 0, 0, 0);
const HOUR = 3_600_000;

const task = (name: string) => parseTask({ name, instructions: "Classify the customer message.", labels: [{ name: "billing" }, { name: "shipping" }, { name: "other" }] });

/** Every row of the database that names `name`, per table: what a rename must move. */
async function rowsOf(store: Store, name: string) {
  const count = async (table: "examples" | "example_deletions" | "model_versions" | "requests") =>
    Number((await store.db.selectFrom(table).select((eb) => eb.fn.countAll().as("n")).where("task", "=", name).executeTakeFirstOrThrow()).n);
  const spend = await store.db.selectFrom("teacher_spend").select(["period", "calls"]).where("scope", "=", `task:${name}`).orderBy("period").execute();
  return {
    task: (await store.tasks.get(name)) !== null,
    examples: await count("examples"),
    example_deletions: await count("example_deletions"),
    model_versions: await count("model_versions"),
    requests: await count("requests"),
    spend: spend.map((s) => `${s.period}:${Number(s.calls)}`),
  };
}

export function taskRenameSuite(target: StoreTarget): void {
  describe(`renaming tasks on ${target.name}`, () => {
    let location: Location;
    let store: Store;
    let clock: number;

    beforeEach(async () => {
      clock = T0;
      location = await target.fresh();
      store = await location.open({ now: () => clock });
      await store.tasks.create(task("support"));
      await store.examples.addMany("support", [
        { text: "where is my parcel", label: "shipping", source: "human", origin: "feedback" },
        { text: "I was charged twice", label: "billing", source: "teacher", holdout: true, origin: "capture" },
        { text: "hello there", label: "other", source: "teacher" },
      ]);
      await store.examples.remove("support", ["hello there"]);
      await store.models.add("support", { artifact: new Uint8Array([1, 2, 3]), metrics: {}, threshold: 0.5, status: "promoted" });
      await store.requests.insert({ id: "r1", task: "support", input: "hi", source: "none", latency_ms: 1, status: "ok" });
      await store.teacherSpend.reserve([{ scope: "task:support", period: "hour" }, { scope: "task:support", period: "day" }]);
    });
    afterEach(async () => {
      await store.close();
      await location.cleanup();
    });
    afterAll(() => target.dispose());

    it("moves the task and every row keyed by its name, keeping its definition and history", async () => {
      const before = await store.tasks.get("support");
      const revision = (await store.tasks.syncState("support"))!.revision;
      const rows = await rowsOf(store, "support");
      expect(rows).toEqual({ task: true, examples: 2, example_deletions: 1, model_versions: 1, requests: 1, spend: ["day:1", "hour:1"] });
      clock = T0 + HOUR;
      const renamed = await store.tasks.rename("support", "helpdesk");
      expect(renamed).toMatchObject({ name: "helpdesk", created_at: T0, updated_at: T0 + HOUR });
      expect(renamed.definition).toEqual({ ...before!.definition, name: "helpdesk" });
      expect(await rowsOf(store, "helpdesk")).toEqual(rows);
      expect(await rowsOf(store, "support")).toEqual({ task: false, examples: 0, example_deletions: 0, model_versions: 0, requests: 0, spend: [] });
      // Rows keep what they were: labels, sources, origins, holdout sides, the promoted version.
      const examples = await store.examples.all("helpdesk");
      expect(examples.map((e) => [e.text, e.label, e.source, e.origin, e.holdout])).toEqual([
        ["where is my parcel", "shipping", "human", "feedback", false],
        ["I was charged twice", "billing", "teacher", "capture", true],
      ]);
      expect((await store.models.promoted("helpdesk"))?.version).toBe(1);
      expect((await store.requests.get("r1"))?.task).toBe("helpdesk");
      // The task's revision moves with it: other instances' sync sees no spurious change.
      expect((await store.tasks.syncState("helpdesk"))?.revision).toBe(revision);
      // Writes under the new name work; the old name is free for a new task.
      await store.examples.addMany("helpdesk", [{ text: "refund please", label: "billing", source: "human" }]);
      expect(await store.examples.count("helpdesk")).toBe(3);
      await store.tasks.create(task("support"));
      expect(await store.examples.count("support")).toBe(0);
    });

    it("adds the teacher spend to counters a deleted task of the new name left", async () => {
      await store.teacherSpend.reserve([{ scope: "task:helpdesk", period: "day" }]);
      await store.tasks.rename("support", "helpdesk");
      expect((await rowsOf(store, "helpdesk")).spend).toEqual(["day:2", "hour:1"]);
    });

    it("changes nothing when it fails: a taken name, a missing task, an invalid name, the same name", async () => {
      await store.tasks.create(task("taken"));
      const rows = await rowsOf(store, "support");
      await expect(store.tasks.rename("support", "taken")).rejects.toBeInstanceOf(StoreConflictError);
      await expect(store.tasks.rename("missing", "other-name")).rejects.toBeInstanceOf(StoreNotFoundError);
      await expect(store.tasks.rename("support", "Not A Name")).rejects.toBeInstanceOf(TaskError);
      await expect(store.tasks.rename("support", "support")).rejects.toBeInstanceOf(StoreConflictError);
      expect(await rowsOf(store, "support")).toEqual(rows);
      expect(await rowsOf(store, "taken")).toEqual({ task: true, examples: 0, example_deletions: 0, model_versions: 0, requests: 0, spend: [] });
      expect(await store.tasks.get("other-name")).toBeNull();
    });

    it("rolls back with the transaction it joins", async () => {
      const rows = await rowsOf(store, "support");
      await expect(
        store.transaction(async (tx) => {
          await tx.tasks.rename("support", "helpdesk");
          throw new Error("boom");
        }),
      ).rejects.toThrow("boom");
      expect(await rowsOf(store, "support")).toEqual(rows);
      expect(await store.tasks.get("helpdesk")).toBeNull();
    });

    it("moves examples into another task, keeping the target's copy of a text it has", async () => {
      await store.tasks.create(task("target"));
      await store.examples.addMany("target", [{ text: "where is my parcel", label: "other", source: "human", origin: "edit" }]);
      const revision = (await store.tasks.syncState("target"))!.revision;
      clock = T0 + HOUR;
      expect(await store.examples.moveAll("support", "target")).toEqual({ moved: 1, kept_existing: 1 });
      const moved = await store.examples.all("target");
      expect(moved.map((e) => [e.text, e.label, e.source, e.origin, e.holdout]).sort()).toEqual([
        ["I was charged twice", "billing", "teacher", "capture", true],
        ["where is my parcel", "other", "human", "edit", false],
      ]);
      // Added to the target now, at a new revision: other instances' sync and "changes since" see them.
      expect((await store.tasks.syncState("target"))!.revision).toBeGreaterThan(revision);
      expect((await store.examples.changesAfter("target", T0)).added).toBe(1);
      expect((await store.examples.all("support")).map((e) => e.text)).toEqual(["where is my parcel"]);
      // Inside a transaction that fails later (a merge whose next step throws), nothing moves.
      await store.tasks.create(task("second"));
      await expect(
        store.transaction(async (tx) => {
          await tx.examples.moveAll("target", "second");
          throw new Error("boom");
        }),
      ).rejects.toThrow("boom");
      expect(await store.examples.count("second")).toBe(0);
      expect(await store.examples.count("target")).toBe(2);
      await expect(store.examples.moveAll("support", "missing")).rejects.toBeInstanceOf(StoreNotFoundError);
      await expect(store.examples.moveAll("missing", "target")).rejects.toBeInstanceOf(StoreNotFoundError);
      expect(await store.examples.count("target")).toBe(2);
    });

    it("rewrites the moved labels when asked (fields in another order), in the same transaction", async () => {
      // Labels as a structured task stores them: canonical JSON with keys in its field order.
      await store.tasks.create(task("reordered"));
      await store.tasks.create(task("canonical"));
      const inSourceOrder = (i: number) => JSON.stringify({ b: `v${i}`, a: i });
      const rows = Array.from({ length: 1203 }, (_, i) => ({ text: `text ${i}`, label: inSourceOrder(i), source: "teacher" as const, holdout: i % 10 === 0 }));
      await store.examples.addMany("reordered", rows);
      await store.examples.addMany("canonical", [{ text: "text 7", label: JSON.stringify({ a: 7, b: "mine" }), source: "human", origin: "edit" }]);
      const reorder = (label: string) => {
        const o = JSON.parse(label) as { a: unknown; b: unknown };
        return JSON.stringify({ a: o.a, b: o.b });
      };
      // A transaction that fails after the rewrite leaves every label as it was.
      await expect(
        store.transaction(async (tx) => {
          await tx.examples.moveAll("reordered", "canonical", reorder);
          throw new Error("boom");
        }),
      ).rejects.toThrow("boom");
      expect((await store.examples.all("reordered")).map((e) => e.label).sort()).toEqual(rows.map((r) => r.label).sort());

      expect(await store.examples.moveAll("reordered", "canonical", reorder)).toEqual({ moved: 1202, kept_existing: 1 });
      const moved = await store.examples.all("canonical");
      expect(moved).toHaveLength(1203);
      for (const e of moved) {
        const i = Number(e.text.slice(5));
        expect([e.label, e.holdout]).toEqual(i === 7 ? [JSON.stringify({ a: 7, b: "mine" }), false] : [JSON.stringify({ a: i, b: `v${i}` }), i % 10 === 0]);
      }
      // A rewrite to an invalid label fails the whole move.
      await store.tasks.create(task("third"));
      await expect(store.examples.moveAll("canonical", "third", () => "")).rejects.toThrow();
      expect(await store.examples.count("canonical")).toBe(1203);
      expect(await store.examples.count("third")).toBe(0);
    });

    it("moves a bounded number of the newest logged requests into another task", async () => {
      await store.tasks.create(task("target"));
      for (let i = 0; i < 5; i++) {
        clock = T0 + i * HOUR;
        await store.requests.insert({ id: `s${i}`, task: "support", input: `in ${i}`, label: "billing", source: "teacher", latency_ms: 1, cost: 0.5, status: "ok" });
      }
      await store.requests.insert({ id: "t1", task: "target", input: "target's", source: "none", latency_ms: 1, status: "ok" });
      // r1 (from beforeEach, at T0) and s0..s4: the three newest move.
      expect(await store.requests.moveNewest("support", "target", 3)).toEqual({ moved: 3, left: 3 });
      const ids = async (name: string) => (await store.db.selectFrom("requests").select("id").where("task", "=", name).execute()).map((r) => r.id).sort();
      expect(await ids("target")).toEqual(["s2", "s3", "s4", "t1"]);
      expect((await store.requests.stats("target")).requests).toBe(4);
      expect((await store.requests.stats("target")).by_source).toMatchObject({ teacher: 3, none: 1 });
      // Rolled back with the transaction it joins.
      await expect(
        store.transaction(async (tx) => {
          await tx.requests.moveNewest("support", "target", 10);
          throw new Error("boom");
        }),
      ).rejects.toThrow("boom");
      expect(await store.requests.count("support")).toBe(3);
      expect(await store.requests.moveNewest("support", "target", 0)).toEqual({ moved: 0, left: 3 });
      expect(await store.requests.moveNewest("support", "target", 10)).toEqual({ moved: 3, left: 0 });
      expect(await store.requests.count("target")).toBe(7);
      await expect(store.requests.moveNewest("support", "target", -1)).rejects.toThrow(/non-negative integer/);
    });

    it("moves only the rows logged up to a time, leaving a later task's of the same name", async () => {
      await store.tasks.create(task("target"));
      for (let i = 0; i < 4; i++) {
        clock = T0 + (i + 1) * HOUR;
        await store.requests.insert({ id: `s${i}`, task: "support", input: `in ${i}`, source: "teacher", latency_ms: 1, status: "ok" });
      }
      // r1 (T0), s0, s1 up to the cut; s2, s3 after it.
      const cut = T0 + 2 * HOUR;
      expect(await store.requests.moveNewest("support", "target", 2, cut)).toEqual({ moved: 2, left: 1 });
      expect(await store.requests.moveNewest("support", "target", 2, cut)).toEqual({ moved: 1, left: 0 });
      const ids = async (name: string) => (await store.db.selectFrom("requests").select("id").where("task", "=", name).execute()).map((r) => r.id).sort();
      expect(await ids("target")).toEqual(["r1", "s0", "s1"]);
      expect(await ids("support")).toEqual(["s2", "s3"]);
    });

    it("keeps the planned moves of merges until they finish, in a transaction's fate, oldest first", async () => {
      const later = { from: "b", into: "c", notAfter: T0 + HOUR };
      const first = { from: "a", into: "c", notAfter: T0 };
      await store.requests.planMove(later);
      await store.requests.planMove(first);
      // Planned again (a retried merge): still one move.
      await store.requests.planMove(first);
      await expect(
        store.transaction(async (tx) => {
          await tx.requests.planMove({ from: "x", into: "c", notAfter: T0 });
          throw new Error("boom");
        }),
      ).rejects.toThrow("boom");
      expect(await store.requests.plannedMoves()).toEqual([first, later]);
      await store.requests.finishMove(first);
      expect(await store.requests.plannedMoves()).toEqual([later]);
    });
  });
}
