// Crash safety with kill -9, shared by the SQLite and PostgreSQL runs: the gateway runs as a real
// process (gateway-entry.ts) and is SIGKILLed at points chosen from what it reports (a statement
// it is about to run or has just run, a training worker it started, replies received), never after
// a sleep. Each restart is checked against the store: nothing half-written, nothing acknowledged
// lost, one promoted model that decodes and serves.
//
// Kill points that are not fixed come from a seeded PRNG; the seed is printed (set CRASH_SEED to
// replay a run).
import { afterAll, describe, expect, it } from "vitest";
import { decodeModel, encodeModel } from "../../src/engine/model-file.js";
import { trainClassifier } from "../../src/engine/train.js";
import { rowsPerInsert } from "../../src/store/context.js";
import type { Store } from "../../src/store/index.js";
import { parseTask } from "../../src/task/definition.js";
import { GOLD, taskBody } from "../server/helpers.js";
import type { Labelled } from "../cascade/fixtures.js";
import { call, seededRandom, spawnGateway, type Backend, type Database, type GatewayProcess, type PauseSpec } from "./harness.js";
import { taggedTexts } from "./topics.js";

export const TASK = "topics";
const INSERT_EXAMPLES = '^insert into "examples"';
const TIMEOUT = 120_000;

const t0 = performance.now();
/** With CRASH_DEBUG set, prints how long each step took. */
export function step(what: string): void {
  if (process.env.CRASH_DEBUG) console.log(`${Math.round(performance.now() - t0)} ms: ${what}`);
}

export function crashSeed(): number {
  const seed = Number(process.env.CRASH_SEED) || Math.floor(Math.random() * 2 ** 31);
  return seed;
}

/** Keys, the task, and optionally examples and promoted model versions, written straight to the store. */
export async function setup(db: Database, options: { examples?: Labelled[]; models?: number; task?: Record<string, unknown> } = {}): Promise<string> {
  const store = await db.open();
  try {
    const key = (await store.apiKeys.create("crash admin", "admin")).key;
    await store.tasks.create(parseTask(taskBody(TASK, options.task)));
    const examples = options.examples ?? [];
    if (examples.length > 0) await store.examples.addMany(TASK, examples.map((e, i) => ({ ...e, source: "import", holdout: i % 3 === 0 })));
    if ((options.models ?? 0) > 0) {
      const artifact = encodeModel(trainClassifier(examples, { seed: 1 }));
      for (let i = 0; i < options.models!; i++) await store.models.add(TASK, { artifact, metrics: {}, threshold: null, status: "promoted" });
    }
    return key;
  } finally {
    await store.close();
  }
}

export async function withStore<T>(db: Database, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await db.open();
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

export const csvOf = (rows: readonly Labelled[]): string => `text,label\n${rows.map((r) => `${r.text},${r.label}`).join("\n")}\n`;

/** Every acknowledged example is stored, with the label its reply gave. */
export async function expectStored(store: Store, acked: readonly Labelled[]): Promise<void> {
  const stored = new Map((await store.examples.all(TASK)).map((e) => [e.text, e.label]));
  const missing = acked.filter((a) => stored.get(a.text) !== a.label);
  expect(missing, `${missing.length} of ${acked.length} acknowledged examples missing`).toEqual([]);
}

/** Exactly one promoted version; it decodes and predicts. Returns its number. */
export async function expectOnePromoted(store: Store): Promise<number> {
  const versions = await store.models.list(TASK);
  const promoted = versions.filter((v) => v.status === "promoted");
  expect(promoted.map((v) => v.version), `statuses ${JSON.stringify(versions.map((v) => [v.version, v.status]))}`).toHaveLength(1);
  const model = await store.models.promoted(TASK);
  expect(model?.version).toBe(promoted[0].version);
  const classifier = decodeModel(model!.artifact);
  expect(GOLD.slice(0, 20).every((g) => typeof classifier.predict(g.text).label === "string")).toBe(true);
  return promoted[0].version;
}

/** The restarted gateway serves `version`: the task reports it and the specialist answers with it. */
export async function expectServes(gw: GatewayProcess, key: string, version: number): Promise<void> {
  const task = await call(gw.url, key, "GET", `/v1/tasks/${TASK}`);
  expect(task.status).toBe(200);
  expect(task.body.model_version).toBe(version);
  const answer = await call(gw.url, key, "POST", `/v1/tasks/${TASK}/predict`, { input: GOLD[0].text, route: "specialist" });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  expect(answer.body).toMatchObject({ source: "specialist", model_version: version });
}

/**
 * Teacher-answered predictions of distinct texts from `concurrency` clients; `acked` holds every
 * one whose reply came back (its example was stored before the reply). Ends when the texts run
 * out, on stop(), or when the gateway goes away.
 */
export function predictStream(url: string, key: string, texts: readonly Labelled[], concurrency: number, route: "auto" | "teacher" = "teacher") {
  const acked: Labelled[] = [];
  const failures: string[] = [];
  let next = 0;
  let stopped = false;
  let waiting: { n: number; resolve: () => void } | null = null;
  const loop = async (): Promise<void> => {
    while (!stopped && next < texts.length) {
      const { text } = texts[next++];
      let reply;
      try {
        reply = await call(url, key, "POST", `/v1/tasks/${TASK}/predict`, { input: text, route });
      } catch {
        return; // the gateway is gone
      }
      if (reply.status !== 200) failures.push(`${reply.status} ${JSON.stringify(reply.body)}`);
      else if (reply.body.source === "teacher" && reply.body.status === "ok") acked.push({ text, label: reply.body.label as string });
      if (waiting !== null && acked.length >= waiting.n) waiting.resolve();
    }
  };
  const done = Promise.all(Array.from({ length: concurrency }, loop));
  return {
    acked,
    failures,
    /** Resolves once `n` replies were acknowledged; rejects if the stream ends first. */
    until(n: number): Promise<void> {
      if (acked.length >= n) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        waiting = { n, resolve };
        void done.then(() => (acked.length >= n ? resolve() : reject(new Error(`the stream ended (${next} of ${texts.length} texts sent) after ${acked.length} acknowledged replies: ${failures.slice(0, 3).join("; ")}`))));
      });
    },
    async stop(): Promise<void> {
      stopped = true;
      await done;
    },
  };
}

export function crashSuite(backend: Backend, seed: number): void {
  // One generator per test, so the kill points do not depend on how the concurrent tests interleave.
  const rng = (test: number) => seededRandom(seed * 4 + test);
  const databases: Database[] = [];
  const fresh = async (): Promise<Database> => {
    const db = await backend.fresh();
    databases.push(db);
    return db;
  };
  const running: GatewayProcess[] = [];
  const spawn = async (db: Database, options: { pause?: PauseSpec; backgroundRetrain?: boolean } = {}): Promise<GatewayProcess> => {
    const gw = await spawnGateway(db.url, options);
    running.push(gw);
    return gw;
  };

  afterAll(async () => {
    for (const gw of running) await gw.kill9();
    for (const db of databases) await db.cleanup();
    await backend.dispose();
  });

  // The tests run concurrently (each on its own database): they mostly wait for child processes.
  // TIMEOUT is an upper bound for a loaded machine, not a wait.
  describe.concurrent(`kill -9 on ${backend.name} (seed ${seed})`, () => {
    it("a bulk import killed in flight is all there or absent, never partial", { timeout: TIMEOUT }, async () => {
      const random = rng(0);
      const db = await fresh();
      const prior = taggedTexts(300, "prior");
      const key = await setup(db, { examples: prior });
      const bulk = taggedTexts(50_000, "bulk");
      const csv = csvOf(bulk);
      const inserts = Math.ceil(bulk.length / rowsPerInsert(backend.name === "SQLite" ? "sqlite" : "postgres", 9));
      // Frozen before the (k+1)th multi-row insert, or before the commit when k is the last one;
      // then frozen just after the commit.
      const k = 1 + Math.floor(random() * inserts);
      const scenarios: { name: string; pause: PauseSpec; after: number }[] = [
        k < inserts
          ? { name: `after ${k} of ${inserts} inserts`, pause: { arm: INSERT_EXAMPLES, armCount: k, match: INSERT_EXAMPLES }, after: prior.length }
          : { name: `after all ${inserts} inserts, before the commit`, pause: { arm: INSERT_EXAMPLES, armCount: inserts, match: "^commit" }, after: prior.length },
        { name: "just after the commit", pause: { arm: INSERT_EXAMPLES, armCount: inserts, match: "^commit", when: "after" }, after: prior.length + bulk.length },
      ];
      let stored = prior.length;
      for (const scenario of scenarios) {
        step(`spawn for ${scenario.name}`);
        const gw = await spawn(db, { pause: scenario.pause });
        step("spawned");
        // Restarted after the previous kill: it loads what the store holds.
        const task = await call(gw.url, key, "GET", `/v1/tasks/${TASK}`);
        expect(task.body.cascade.examples).toBe(stored);
        const reply = call(gw.url, key, "POST", `/v1/tasks/${TASK}/examples`, csv, "text/csv").then(
          (r) => `replied ${r.status}`,
          () => "no reply",
        );
        const paused = await gw.waitFor("paused");
        step("paused");
        expect(paused.sql, scenario.name).toMatch(new RegExp(scenario.pause.match, "i"));
        await gw.kill9();
        expect(await reply, scenario.name).toBe("no reply");
        await db.checkIntegrity();
        stored = await withStore(db, (store) => store.examples.count(TASK));
        expect(stored, `killed ${scenario.name}`).toBe(scenario.after);
        step("checked");
      }
      // Every row of the committed import, with its label (the first restart above already showed a
      // gateway loading what a killed one left).
      await withStore(db, (store) => expectStored(store, [...prior, ...bulk]));
    });

    it("a retrain killed while its worker trains, or right after promoting, leaves the old or the new model and every acknowledged example", { timeout: TIMEOUT }, async () => {
      const db = await fresh();
      const key = await setup(db);
      const gw1 = await spawn(db);
      expect((await call(gw1.url, key, "POST", `/v1/tasks/${TASK}/examples`, csvOf(GOLD.slice(0, 300)), "text/csv")).status).toBe(200);
      const first = await call(gw1.url, key, "POST", `/v1/tasks/${TASK}/retrain`);
      expect(first.body).toMatchObject({ promoted: true, model_version: 1 });

      // 1. Killed while the second retrain's worker runs, with predictions flowing.
      const stream1 = predictStream(gw1.url, key, taggedTexts(3000, "during-training"), 2);
      await stream1.until(40);
      void call(gw1.url, key, "POST", `/v1/tasks/${TASK}/retrain`).catch(() => undefined);
      await gw1.waitFor("train-running", { nth: 2 });
      await gw1.kill9();
      await stream1.stop();
      const trainedBeforeKill = await gw1.waitFor("train-done", { nth: 2, timeoutMs: 1 }).then(
        () => true,
        () => false,
      );
      step(`retrain killed ${trainedBeforeKill ? "after" : "before"} its worker answered`);
      await db.checkIntegrity();
      const v1 = await withStore(db, async (store) => {
        await expectStored(store, stream1.acked);
        return expectOnePromoted(store);
      });
      expect(trainedBeforeKill ? [1, 2] : [1]).toContain(v1);

      // 2. Killed just after the promotion's commit: the new version serves after the restart.
      const gw2 = await spawn(db, { pause: { arm: '^insert into "model_versions"', match: "^commit", when: "after" } });
      await expectServes(gw2, key, v1);
      const stream2 = predictStream(gw2.url, key, taggedTexts(3000, "during-promotion"), 2);
      await stream2.until(40);
      const paused = gw2.waitFor("paused", { timeoutMs: 30_000 });
      paused.catch(() => undefined); // awaited below only if it came
      let attempts = 0;
      // A candidate is promoted only if it is not worse on the holdout: retrain again (bounded) until one is.
      while (attempts++ < 3) {
        const outcome = await Promise.race([paused.then(() => "paused"), call(gw2.url, key, "POST", `/v1/tasks/${TASK}/retrain`).then((r) => JSON.stringify(r.body))]);
        if (outcome === "paused") break;
        expect(attempts, `no candidate was promoted: ${outcome}`).toBeLessThan(3);
        await stream2.until(stream2.acked.length + 40);
      }
      await gw2.kill9();
      await stream2.stop();
      await db.checkIntegrity();
      const v2 = await withStore(db, async (store) => {
        await expectStored(store, [...stream1.acked, ...stream2.acked]);
        return expectOnePromoted(store);
      });
      expect(v2).toBe(v1 + 1);

      const gw3 = await spawn(db);
      await expectServes(gw3, key, v2);
      await gw3.kill9();
    });

    it("promotions and rollbacks killed mid-transaction or at a random point leave exactly one promoted version, served after the restart", { timeout: TIMEOUT }, async () => {
      const random = rng(2);
      const db = await fresh();
      const key = await setup(db, { examples: GOLD.slice(0, 300), models: 3 });
      const ops = Array.from({ length: 40 }, () => {
        const r = Math.floor(random() * 4);
        return r === 3 ? `/v1/tasks/${TASK}/rollback` : `/v1/tasks/${TASK}/models/${r + 1}/promote`;
      });
      // A promotion or rollback that changes anything runs two updates (retire the current, promote
      // the target): the process freezes before an even-numbered one, between the two.
      const n = 2 * (1 + Math.floor(random() * 6));
      const gw1 = await spawn(db, { pause: { match: '^update "model_versions"', nth: n } });
      const paused = gw1.waitFor("paused", { timeoutMs: 30_000 }).then(() => "paused" as const);
      paused.catch(() => undefined); // raced below; it never comes if the ops run out first
      for (const op of ops) {
        const outcome = await Promise.race([paused, call(gw1.url, key, "POST", op).then((r) => r.status)]);
        if (outcome === "paused") break;
        expect([200, 409]).toContain(outcome);
      }
      await gw1.kill9();
      await db.checkIntegrity();
      let version = await withStore(db, expectOnePromoted);

      // At a random point: two clients, killed when the kth reply comes back (others in flight).
      const gw2 = await spawn(db);
      await expectServes(gw2, key, version);
      const killAt = 3 + Math.floor(random() * 25);
      let replies = 0;
      let next = 0;
      const client = async (): Promise<void> => {
        while (next < ops.length) {
          const op = ops[next++];
          try {
            const r = await call(gw2.url, key, "POST", op);
            expect([200, 409]).toContain(r.status);
          } catch {
            return;
          }
          if (++replies === killAt) void gw2.kill9();
        }
      };
      await Promise.all([client(), client()]);
      await gw2.kill9();
      await db.checkIntegrity();
      version = await withStore(db, expectOnePromoted);

      const gw3 = await spawn(db);
      await expectServes(gw3, key, version);
      await gw3.kill9();
    });

    it("every teacher-answered prediction whose reply was received is stored after kill -9", { timeout: TIMEOUT }, async () => {
      const random = rng(3);
      const db = await fresh();
      // Background retrains run (in workers) while the predictions stream, every 150 new examples.
      const key = await setup(db, { task: { training: { retrain_every: 150, min_examples: 50, holdout_fraction: 0.3, seed: 1 } } });
      const gw1 = await spawn(db, { backgroundRetrain: true });
      const imported = GOLD.slice(0, 300);
      expect((await call(gw1.url, key, "POST", `/v1/tasks/${TASK}/examples`, csvOf(imported), "text/csv")).status).toBe(200);
      const stream = predictStream(gw1.url, key, taggedTexts(5000, "acked"), 4);
      const killAfter = 150 + Math.floor(random() * 250);
      await stream.until(killAfter);
      await gw1.kill9();
      await stream.stop();
      expect(stream.failures).toEqual([]);
      await db.checkIntegrity();
      const stored = await withStore(db, async (store) => {
        await expectStored(store, [...imported, ...stream.acked]);
        return store.examples.count(TASK);
      });
      const gw2 = await spawn(db);
      const task = await call(gw2.url, key, "GET", `/v1/tasks/${TASK}`);
      expect(task.body.cascade.examples).toBe(stored);
      const more = predictStream(gw2.url, key, taggedTexts(10, "after-restart"), 1);
      await more.until(10);
      await gw2.kill9();
    });
  });
}
