// Two gateway instances over one database (what `serve --workers` and several PostgreSQL-backed
// gateways are): what one learns or changes, the other serves after its next sync.
import type { Task } from "../../src/task/definition.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore, type Store } from "../../src/store/index.js";
import { PG_URL_VARIABLE, postgresTarget, sqliteFileTarget, type StoreTarget } from "../store/targets.js";
import { topicTexts } from "../cascade/fixtures.js";
import { GOLD, startTestGateway, stopTestGateway, taskBody, type TestGateway } from "./helpers.js";

const pgUrl = process.env[PG_URL_VARIABLE];
const targets: (() => StoreTarget)[] = [sqliteFileTarget, ...(pgUrl ? [() => postgresTarget(pgUrl)] : [])];

for (const makeTarget of targets) {
  const target = makeTarget();
  describe(`two gateway instances on ${target.name}`, () => {
    let a: TestGateway;
    let b: TestGateway;
    let cleanup: () => Promise<void>;
    const dir = mkdtempSync(join(tmpdir(), "apprentice-multi-"));

    beforeAll(async () => {
      const location = await target.fresh();
      const storeA: Store = await location.open();
      const storeB: Store = await location.open();
      const adminKey = (await storeA.apiKeys.create("admin", "admin")).key;
      const predictKey = (await storeA.apiKeys.create("predict", "predict")).key;
      // Syncs run only when the test calls syncAll(), so each step is deterministic.
      a = await startTestGateway({ dir, adminKey, predictKey }, { store: storeA, syncIntervalMs: 0 });
      b = await startTestGateway({ dir, adminKey, predictKey }, { store: storeB, syncIntervalMs: 0 });
      cleanup = async () => {
        await stopTestGateway(a, false);
        await stopTestGateway(b, false);
        await location.cleanup();
        await target.dispose();
        rmSync(dir, { recursive: true, force: true });
      };
      expect((await a.request("POST", "/v1/tasks", { body: taskBody("shared") })).status).toBe(201);
      expect((await a.request("POST", "/v1/tasks/shared/examples", { body: GOLD.slice(0, 300) })).status).toBe(200);
      await a.app.runtimes.idle();
      expect((await a.store.models.list("shared")).map((v) => v.status)).toEqual(["promoted"]);
    });
    afterAll(async () => {
      await cleanup?.();
    });

    const predictOn = (g: TestGateway, input: string) => g.request("POST", "/v1/tasks/shared/predict", { key: g.predictKey, body: { input } });
    const examplesOn = async (g: TestGateway) => (await g.request("GET", "/v1/tasks/shared")).body.cascade.examples as number;

    it("the second instance loads the task with the first one's promoted model", async () => {
      const res = await predictOn(b, GOLD[0].text);
      expect(res.status).toBe(200);
      expect(res.body.model_version).toBe(1);
      expect(await examplesOn(b)).toBe(300);
      // With the threshold the first instance's look chose: serving the same version is not a new
      // look (a second one, at a stricter level, found none for a small task on another worker).
      const thresholdOn = async (g: TestGateway) => (await g.request("GET", "/v1/tasks/shared")).body.cascade.threshold as number | null;
      expect(await thresholdOn(a)).not.toBeNull();
      expect(await thresholdOn(b)).toBe(await thresholdOn(a));
      expect((await b.store.models.list("shared"))[0].looks).toBe(1);
      // And the scope cut it was chosen under, stored beside it (1: none, the teacher never said none here).
      expect((await b.store.models.promoted("shared"))?.scope_cut).toBe(1);
    });

    it("adopts examples the other instance stored, teacher answers and imports alike", async () => {
      // A teacher answer on A (a text the specialist is unsure of, forced to the teacher).
      const taught = await a.request("POST", "/v1/tasks/shared/predict", { key: a.adminKey, body: { input: GOLD[350].text, route: "teacher" } });
      expect(taught.body.source).toBe("teacher");
      expect((await a.request("POST", "/v1/tasks/shared/examples", { body: GOLD.slice(300, 320) })).status).toBe(200);
      expect(await examplesOn(b)).toBe(300);
      await b.app.runtimes.syncAll();
      expect(await examplesOn(b)).toBe(321);
      // Syncing again reads nothing new and changes nothing.
      await b.app.runtimes.syncAll();
      expect(await examplesOn(b)).toBe(321);
    });

    it("adopts a relabel made on the other instance, and B's own writes reach A", async () => {
      const relabel = { text: GOLD[5].text, label: GOLD[5].label === "weather" ? "sports" : "weather" };
      expect((await a.request("POST", "/v1/tasks/shared/examples", { body: [relabel] })).status).toBe(200);
      await b.app.runtimes.syncAll();
      const onB = await b.app.runtimes.get("shared");
      expect(onB?.cascade.store.get(relabel.text)?.label).toBe(relabel.label);

      expect((await b.request("POST", "/v1/tasks/shared/examples", { body: GOLD.slice(320, 330) })).status).toBe(200);
      await a.app.runtimes.syncAll();
      expect(await examplesOn(a)).toBe(331);
    });

    it("forgets an example deleted on the other instance, keeps forgetting it, and adopts a console relabel", async () => {
      const [gone, edited] = await Promise.all([a.store.examples.get("shared", GOLD[7].text), a.store.examples.get("shared", GOLD[8].text)]);
      const onB = (await b.app.runtimes.get("shared"))!;
      expect(onB.cascade.store.get(GOLD[7].text)).toBeDefined();
      const before = await examplesOn(b);
      expect((await a.request("DELETE", `/v1/tasks/shared/examples/${gone!.id}`)).status).toBe(204);
      const label = GOLD[8].label === "weather" ? "sports" : "weather";
      expect((await a.request("PATCH", `/v1/tasks/shared/examples/${edited!.id}`, { body: { label } })).status).toBe(200);
      await b.app.runtimes.syncAll();
      expect(onB.cascade.store.get(GOLD[7].text)).toBeUndefined();
      expect(onB.cascade.store.get(GOLD[8].text)).toMatchObject({ label, source: "human" });
      expect(await examplesOn(b)).toBe(before - 1);
      // Nothing brings it back: a later sync, a write on B, a reload of B's runtime.
      expect((await b.request("POST", "/v1/tasks/shared/examples", { body: GOLD.slice(330, 331) })).status).toBe(200);
      await b.app.runtimes.syncAll();
      await a.app.runtimes.syncAll();
      expect(onB.cascade.store.get(GOLD[7].text)).toBeUndefined();
      expect((await a.app.runtimes.get("shared"))!.cascade.store.get(GOLD[7].text)).toBeUndefined();
      await b.app.runtimes.drop("shared");
      expect((await b.app.runtimes.get("shared"))!.cascade.store.get(GOLD[7].text)).toBeUndefined();
    });

    it("serves the version the other instance promoted or rolled back to", async () => {
      const retrained = await a.request("POST", "/v1/tasks/shared/retrain");
      expect(retrained.status).toBe(200);
      const versions = await a.store.models.list("shared");
      const promoted = versions.find((v) => v.status === "promoted")!.version;
      if (promoted === 1) {
        // The candidate was not better: promote it by hand, which is what this test is about.
        expect((await a.request("POST", `/v1/tasks/shared/models/${versions.at(-1)!.version}/promote`)).status).toBe(200);
      }
      const latest = (await a.store.models.list("shared")).find((v) => v.status === "promoted")!.version;
      expect(latest).toBeGreaterThan(1);
      expect((await predictOn(b, GOLD[1].text)).body.model_version).toBe(1);
      await b.app.runtimes.syncAll();
      expect((await predictOn(b, GOLD[1].text)).body.model_version).toBe(latest);

      const rolledBack = await a.request("POST", "/v1/tasks/shared/rollback");
      expect(rolledBack.status).toBe(200);
      await b.app.runtimes.syncAll();
      expect((await predictOn(b, GOLD[1].text)).body.model_version).toBe(rolledBack.body.promoted);
    });

    it("takes turns retraining: while another instance holds the task's retrain lease, this one does not train", async () => {
      // A's own retrain takes the lease and gives it back.
      expect((await a.request("POST", "/v1/tasks/shared/retrain")).status).toBe(200);
      expect(await a.store.tasks.retrainLease("shared")).toBeNull();

      // Another instance is retraining (its lease, taken here as that instance would).
      expect(await a.store.tasks.claimRetrain("shared", "instance-elsewhere", 60_000)).toBe(true);
      const versions = (await b.store.models.list("shared")).length;
      const busy = await b.request("POST", "/v1/tasks/shared/retrain");
      expect(busy.status).toBe(409);
      expect(busy.body.error.message).toMatch(/being retrained by another gateway instance/);
      // New examples on B make a retrain due there; it is skipped, not run beside the other one.
      expect((await b.request("POST", "/v1/tasks/shared/examples", { body: topicTexts(80, 99) })).status).toBe(200);
      await b.app.runtimes.idle();
      expect((await b.app.runtimes.get("shared"))?.cascade.retrainDue()).toBe(true);
      expect(await b.store.models.list("shared")).toHaveLength(versions);

      // The lease given back, B retrains.
      await a.store.tasks.releaseRetrain("shared", "instance-elsewhere");
      expect((await b.request("POST", "/v1/tasks/shared/retrain")).status).toBe(200);
      expect(await b.store.models.list("shared")).toHaveLength(versions + 1);
      expect(await b.store.tasks.retrainLease("shared")).toBeNull();
    });

    it("counts the other instance's examples toward a retrain, and stops counting them once either instance retrained", async () => {
      const rtA = (await a.app.runtimes.get("shared"))!;
      const rtB = (await b.app.runtimes.get("shared"))!;
      await a.app.runtimes.syncAll();
      // Nobody trains meanwhile: the lease is another instance's.
      expect(await a.store.tasks.claimRetrain("shared", "instance-elsewhere", 60_000)).toBe(true);
      expect((await b.request("POST", "/v1/tasks/shared/examples", { body: topicTexts(80, 101) })).status).toBe(200);
      await b.app.runtimes.idle();
      expect(rtB.cascade.retrainDue()).toBe(true);
      expect(rtA.cascade.retrainDue()).toBe(false);
      await a.app.runtimes.syncAll();
      expect(rtA.cascade.retrainDue()).toBe(true);

      await a.store.tasks.releaseRetrain("shared", "instance-elsewhere");
      expect((await a.request("POST", "/v1/tasks/shared/retrain")).status).toBe(200);
      expect(rtA.cascade.retrainDue()).toBe(false);
      // B sees that A's retrain covered those examples: its own due retrain is off.
      await b.app.runtimes.syncAll();
      expect(rtB.cascade.retrainDue()).toBe(false);
    });

    it("reloads a task whose definition changed on the other instance, and forgets a deleted one", async () => {
      const answerOnB = async () => ((await b.app.runtimes.get("shared"))?.task as Task | undefined)?.labels.find((l) => l.name === "weather")?.answer;
      expect(await answerOnB()).toBe("Here is the weather forecast.");
      const labels = taskBody().labels as { name: string; answer?: string }[];
      const changed = taskBody("shared", { labels: labels.map((l) => (l.name === "weather" ? { name: l.name, answer: "Sunny all week." } : l)) });
      expect((await a.request("PATCH", "/v1/tasks/shared", { body: changed })).status).toBe(200);
      expect(await answerOnB()).toBe("Here is the weather forecast.");
      await b.app.runtimes.syncAll();
      expect(await answerOnB()).toBe("Sunny all week.");

      expect((await a.request("DELETE", "/v1/tasks/shared")).status).toBe(204);
      await b.app.runtimes.syncAll();
      expect((await predictOn(b, GOLD[1].text)).status).toBe(404);
    });
  });
}

it("a runtime keeps serving when a sync fails, and catches up on the next one", async () => {
  const dir = mkdtempSync(join(tmpdir(), "apprentice-multi-"));
  const path = join(dir, "test.db");
  const other = await openStore(path);
  const g = await startTestGateway({ dir, adminKey: (await other.apiKeys.create("a", "admin")).key, predictKey: (await other.apiKeys.create("p", "predict")).key }, { syncIntervalMs: 0 });
  try {
    expect((await g.request("POST", "/v1/tasks", { body: taskBody("t") })).status).toBe(201);
    expect((await g.request("POST", "/v1/tasks/t/examples", { body: GOLD.slice(0, 60) })).status).toBe(200);
    await other.examples.addMany("t", [{ text: "written by another instance", label: GOLD[0].label, source: "human" }]);
    const rt = (await g.app.runtimes.get("t"))!;
    const syncState = g.store.tasks.syncState.bind(g.store.tasks);
    g.store.tasks.syncState = async () => {
      throw new Error("database unreachable");
    };
    await g.app.runtimes.syncAll();
    expect(rt.cascade.store.get("written by another instance")).toBeUndefined();
    expect((await g.request("POST", "/v1/tasks/t/predict", { key: g.predictKey, body: { input: GOLD[1].text } })).status).toBe(200);
    g.store.tasks.syncState = syncState;
    await g.app.runtimes.syncAll();
    expect(rt.cascade.store.get("written by another instance")?.label).toBe(GOLD[0].label);
  } finally {
    await other.close();
    await stopTestGateway(g);
  }
});
