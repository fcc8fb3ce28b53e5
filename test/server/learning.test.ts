// The online loop through HTTP: teacher from a cold start, examples written through, a background
// retrain promotes a specialist that then answers, feedback becomes a human example, and a
// restart on the same database serves the promoted version at once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GOLD, startTestGateway, stopTestGateway, taskBody, type TestGateway } from "./helpers.js";

let g: TestGateway;

beforeAll(async () => {
  g = await startTestGateway();
  expect((await g.request("POST", "/v1/tasks", { body: taskBody("learn") })).status).toBe(201);
});
afterAll(async () => {
  await stopTestGateway(g);
});

describe("online learning", () => {
  let promotedVersion = 0;

  it("answers with the teacher from a cold start and stores the answer as an example", async () => {
    const res = await g.request("POST", "/v1/tasks/learn/predict", { key: g.predictKey, body: { input: GOLD[350].text } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ label: GOLD[350].label, source: "teacher", route: "auto", model_version: null, status: "ok" });
    expect(typeof res.body.request_id).toBe("string");
    expect(res.body.latency_ms).toBeGreaterThanOrEqual(0);
    // Acknowledged means stored.
    expect(await g.store.examples.get("learn", GOLD[350].text)).toMatchObject({ label: GOLD[350].label, source: "teacher" });
    expect(await g.app.requestLog.get(res.body.request_id)).toMatchObject({ task: "learn", source: "teacher", label: GOLD[350].label });
  });

  it("retrains in the background after an import and the specialist then answers", async () => {
    const imported = await g.request("POST", "/v1/tasks/learn/examples", { body: GOLD.slice(0, 300) });
    expect(imported.status).toBe(200);
    // The retrain was scheduled before the reply; wait for it (no timing involved).
    await g.app.runtimes.idle();
    const versions = await g.store.models.list("learn");
    expect(versions).toHaveLength(1);
    expect(versions[0].status).toBe("promoted");
    promotedVersion = versions[0].version;
    expect(versions[0].threshold).not.toBeNull();

    const res = await g.request("POST", "/v1/tasks/learn/predict", { key: g.predictKey, body: { inputs: GOLD.slice(300, 340).map((e) => e.text) } });
    expect(res.status).toBe(200);
    const results = res.body.data as { label: string; source: string; model_version: number | null; confidence: number | null }[];
    expect(results).toHaveLength(40);
    const specialist = results.filter((r) => r.source === "specialist");
    expect(specialist.length).toBeGreaterThan(20);
    for (const r of specialist) {
      expect(r.model_version).toBe(promotedVersion);
      expect(r.confidence).toBeGreaterThan(0);
    }
    const correct = results.filter((r, i) => r.label === GOLD[300 + i].label).length;
    expect(correct).toBeGreaterThanOrEqual(36);
  });

  it("reports stats from the request log", async () => {
    const stats = await g.request("GET", "/v1/tasks/learn/stats");
    expect(stats.status).toBe(200);
    expect(stats.body.requests).toBe(41);
    expect(stats.body.by_source.specialist + stats.body.by_source.teacher).toBe(41);
    expect(stats.body.model_version).toBe(promotedVersion);
    expect(stats.body.coverage).toBeCloseTo(stats.body.by_source.specialist / 41, 12);
    // Every teacher call cost the simulated 0.0005: the specialist saved that on each of its answers.
    expect(stats.body.cost_per_teacher_call).toBeCloseTo(0.0005, 12);
    expect(stats.body.cost_saved).toBeCloseTo(0.0005 * stats.body.by_source.specialist, 9);
    expect(stats.body.audit).toMatchObject({ audited: 0, status: "no_audits", max_error: 0.1 });
    expect(stats.body.daily.at(-1).cost_saved).toBeCloseTo(stats.body.cost_saved, 9);

    const future = await g.request("GET", `/v1/tasks/learn/stats?since=${Date.now() + 3_600_000}`);
    expect(future.body).toMatchObject({ requests: 0, coverage: 0, cost_saved: null });
    const bad = await g.request("GET", "/v1/tasks/learn/stats?since=yesterday");
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/query parameter since: must be epoch milliseconds or an ISO 8601 date/);
  });

  it("turns feedback into a human example", async () => {
    const text = GOLD[360].text;
    const res = await g.request("POST", "/v1/tasks/learn/predict", { key: g.predictKey, body: { input: text } });
    const wrong = GOLD[360].label === "music" ? "travel" : "music";
    const fb = await g.request("POST", "/v1/tasks/learn/feedback", { body: { request_id: res.body.request_id, label: wrong } });
    expect(fb.status).toBe(200);
    expect(await g.store.examples.get("learn", text)).toMatchObject({ label: wrong, source: "feedback" });
    expect(g.app.runtimes).toBeDefined();
    expect((await g.request("POST", "/v1/tasks/learn/feedback", { body: { request_id: "missing", label: "music" } })).status).toBe(404);
    expect((await g.request("POST", "/v1/tasks/learn/feedback", { body: { request_id: res.body.request_id, label: "nope" } })).status).toBe(400);
    await g.app.runtimes.idle();
  });

  it("serves the promoted version at once after a restart", async () => {
    await g.app.runtimes.idle();
    const versions = await g.store.models.list("learn");
    const promoted = versions.find((v) => v.status === "promoted")!;
    const examples = await g.store.examples.count("learn");
    const keys = { dir: g.dir, adminKey: g.adminKey, predictKey: g.predictKey };
    await stopTestGateway(g, false);

    g = await startTestGateway(keys);
    const res = await g.request("POST", "/v1/tasks/learn/predict", { key: g.predictKey, body: { inputs: GOLD.slice(300, 340).map((e) => e.text) } });
    expect(res.status).toBe(200);
    const results = res.body.data as { source: string; model_version: number | null }[];
    // The first answer already comes from the specialist, before any retrain could run.
    expect(results[0].source).toBe("specialist");
    expect(results.filter((r) => r.source === "specialist").length).toBeGreaterThan(20);
    for (const r of results.filter((r) => r.source === "specialist")) expect(r.model_version).toBe(promoted.version);
    const task = (await g.request("GET", "/v1/tasks/learn")).body;
    expect(task.cascade.examples).toBe(examples);
    // The cascade itself continues from the restored version.
    expect(task.cascade.version).toBe(promoted.version);
    await g.app.runtimes.idle();
  });

  it("retrains on demand and saves a promoted version", async () => {
    const res = await g.request("POST", "/v1/tasks/learn/retrain");
    expect(res.status).toBe(200);
    expect(res.body.promoted).toBe(true);
    const promoted = (await g.store.models.list("learn")).find((v) => v.status === "promoted")!;
    expect(res.body.model_version).toBe(promoted.version);
    // Compared with the version restored at start, and numbered after it.
    expect(res.body.currentAccuracy).not.toBeNull();
    expect(res.body.version).toBe(promoted.version);
    promotedVersion = promoted.version;
  });

  it("keeps answering while a retrain trains in the worker", async () => {
    await g.app.runtimes.idle();
    const rt = (await g.app.runtimes.get("learn"))!;
    const before = rt.cascade.stats();
    const trainSide = [...rt.cascade.store.values()].filter((e) => !e.holdout).length;
    const running = rt.retrainNow();
    // The training set is taken once the task's retrain lease is (a write to the store); then the
    // candidate is training and no second retrain can start.
    for (let i = 0; i < 100 && rt.cascade.stats().retrains === before.retrains; i++) await new Promise((r) => setTimeout(r, 10));
    expect(rt.cascade.stats().retrains).toBe(before.retrains + 1);
    expect(rt.cascade.prepareRetrain()).toBeNull();
    const replies = await Promise.all(GOLD.slice(361, 370).map((e) => g.request("POST", "/v1/tasks/learn/predict", { key: g.predictKey, body: { input: e.text } })));
    for (const r of replies) expect(r.status).toBe(200);
    // An import meanwhile is stored too (and schedules no second retrain).
    const imported = await g.request("POST", "/v1/tasks/learn/examples", { body: GOLD.slice(340, 350) });
    expect(imported.status).toBe(200);
    const report = await running;
    await g.app.runtimes.idle();
    // The examples added meanwhile are stored, but not in the candidate's training set.
    expect(report.trainExamples).toBe(trainSide);
    const taught = replies.filter((r) => r.body.source === "teacher").length;
    expect(rt.cascade.stats().examples).toBe(before.examples + taught + 10);
    expect(await g.store.examples.count("learn")).toBe(before.examples + taught + 10);
    const promoted = (await g.store.models.list("learn")).find((v) => v.status === "promoted")!;
    expect(rt.modelVersion).toBe(promoted.version);
    expect(rt.cascade.version).toBe(promoted.version);
    promotedVersion = promoted.version;
  });

  it("numbers the first retrain after a restart and new examples from the restored version", async () => {
    await g.app.runtimes.idle();
    const keys = { dir: g.dir, adminKey: g.adminKey, predictKey: g.predictKey };
    await stopTestGateway(g, false);
    g = await startTestGateway(keys);

    // Fewer new examples than the retrain interval: restoring does not make a retrain due.
    const imported = await g.request("POST", "/v1/tasks/learn/examples", { body: GOLD.slice(370, 400) });
    expect(imported.status).toBe(200);
    await g.app.runtimes.idle();
    expect(Math.max(...(await g.store.models.list("learn")).map((v) => v.version))).toBe(promotedVersion);

    const res = await g.request("POST", "/v1/tasks/learn/retrain");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ promoted: true, version: promotedVersion + 1, model_version: promotedVersion + 1 });
    expect(res.body.currentAccuracy).not.toBeNull();
    const promoted = (await g.store.models.list("learn")).find((v) => v.status === "promoted")!;
    expect(promoted.version).toBe(promotedVersion + 1);
  });
});
