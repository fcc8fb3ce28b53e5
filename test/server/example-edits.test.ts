// The console's corrections over HTTP: relabel and delete an example, what a retrain would change,
// and the live model's disagreements. Each write must reach the running specialist's memory and
// the store together, survive a sync and a restart, and keep a deleted example out of the next
// retrain; predict keys get 403.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { LABELS } from "../cascade/fixtures.js";
import { GOLD, startTestGateway, stopTestGateway, taskBody, type TestGateway } from "./helpers.js";

const TASK = "edits";
let g: TestGateway;

beforeAll(async () => {
  g = await startTestGateway(undefined, { rateLimit: false, syncIntervalMs: 0 });
  expect((await g.request("POST", "/v1/tasks", { body: taskBody(TASK) })).status).toBe(201);
  expect((await g.request("POST", `/v1/tasks/${TASK}/examples`, { body: GOLD.slice(0, 300) })).status).toBe(200);
  await g.app.runtimes.idle();
  expect((await g.store.models.list(TASK)).map((v) => v.status)).toEqual(["promoted"]);
});
afterAll(async () => {
  await stopTestGateway(g);
});

const runtime = async () => (await g.app.runtimes.get(TASK))!;
const stored = async (text: string) => (await g.store.examples.get(TASK, text))!;
const otherLabel = (label: string) => LABELS.find((l) => l !== label)!;
/** A training-side (not held-out) example of the gold set, from `from` on. */
async function trainingExample(from: number) {
  for (const gold of GOLD.slice(from, 300)) {
    const e = await stored(gold.text);
    if (!e.holdout) return e;
  }
  throw new Error("no training example");
}

describe("PATCH /v1/tasks/:name/examples/:id", () => {
  it("relabels an example as a person's label, in the store and in the running specialist's memory", async () => {
    const before = await trainingExample(0);
    const label = otherLabel(before.label);
    const res = await g.request("PATCH", `/v1/tasks/${TASK}/examples/${before.id}`, { body: { label } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: before.id, text: before.text, label, source: "human", origin: "edit", key_name: "test admin", holdout: before.holdout });
    expect(res.body.updated_at).toBeGreaterThanOrEqual(before.updated_at);
    expect((await runtime()).cascade.store.get(before.text)).toMatchObject({ label, source: "human", holdout: before.holdout });
    expect(await stored(before.text)).toMatchObject({ label, source: "human", origin: "edit" });
    // A sync reads the write back as the store settled it: nothing changes.
    await g.app.runtimes.syncAll();
    expect((await runtime()).cascade.store.get(before.text)?.label).toBe(label);
    // A teacher answer for the same text never replaces it.
    await g.request("POST", `/v1/tasks/${TASK}/predict`, { body: { input: before.text, route: "teacher" } });
    expect(await stored(before.text)).toMatchObject({ label, source: "human" });
  });

  it("refuses a bad id, body or label, an unknown example or task, and predict keys", async () => {
    const e = await stored(GOLD[1].text);
    const patch = (path: string, body: unknown, key?: string) => g.request("PATCH", path, { body, ...(key === undefined ? {} : { key }) });
    const cases: [string, unknown, number, RegExp][] = [
      [`/v1/tasks/${TASK}/examples/${e.id}`, { label: "nope" }, 400, /^label: "nope" is not one of the task's labels/],
      [`/v1/tasks/${TASK}/examples/${e.id}`, { label: LABELS[0], text: "x" }, 400, /\{"label": "\.\.\."\}/],
      [`/v1/tasks/${TASK}/examples/${e.id}`, ["x"], 400, /\{"label"/],
      [`/v1/tasks/${TASK}/examples/abc`, { label: LABELS[0] }, 400, /positive integer/],
      [`/v1/tasks/${TASK}/examples/0`, { label: LABELS[0] }, 400, /positive integer/],
      [`/v1/tasks/${TASK}/examples/99999999`, { label: LABELS[0] }, 404, /no example 99999999/],
      [`/v1/tasks/missing/examples/${e.id}`, { label: LABELS[0] }, 404, /no task/],
      [`/v1/tasks/${TASK}/examples/${e.id}?x=1`, { label: LABELS[0] }, 400, /unknown query parameter/],
    ];
    for (const [path, body, status, message] of cases) {
      const res = await patch(path, body);
      expect(res.status, path).toBe(status);
      expect(res.body.error.message, path).toMatch(message);
    }
    const forbidden = await patch(`/v1/tasks/${TASK}/examples/${e.id}`, { label: otherLabel(e.label) }, g.predictKey);
    expect(forbidden.status).toBe(403);
    expect(await stored(e.text)).toMatchObject({ label: e.label, source: e.source });
  });
});

describe("DELETE /v1/tasks/:name/examples/:id", () => {
  it("deletes from the store and the specialist's memory; the next retrain does not train on it; it stays deleted after a sync", async () => {
    const e = await trainingExample(20);
    const rt = await runtime();
    const size = rt.cascade.store.size;
    expect((await g.request("DELETE", `/v1/tasks/${TASK}/examples/${e.id}`, { key: g.predictKey })).status).toBe(403);
    expect((await g.request("DELETE", `/v1/tasks/${TASK}/examples/${e.id}`)).status).toBe(204);
    expect(rt.cascade.store.get(e.text)).toBeUndefined();
    expect(rt.cascade.store.size).toBe(size - 1);
    expect(await g.store.examples.get(TASK, e.text)).toBeNull();
    expect((await g.request("DELETE", `/v1/tasks/${TASK}/examples/${e.id}`)).status).toBe(404);
    await g.app.runtimes.syncAll();
    expect(rt.cascade.store.get(e.text)).toBeUndefined();

    const prepare = vi.spyOn(rt.cascade, "prepareRetrain");
    expect((await g.request("POST", `/v1/tasks/${TASK}/retrain`)).status).toBe(200);
    const trained = prepare.mock.results[0].value as { examples: { text: string }[] };
    prepare.mockRestore();
    expect(trained.examples.length).toBe(size - 1 - (await g.store.examples.count(TASK, { holdout: true })));
    expect(trained.examples.some((x) => x.text === e.text)).toBe(false);
  });

  it("deletes a held-out example from the holdout count", async () => {
    const held = (await g.store.examples.page(TASK, { limit: 1, holdout: true }))[0];
    const rt = await runtime();
    const before = rt.cascade.stats().holdout_examples;
    expect((await g.request("DELETE", `/v1/tasks/${TASK}/examples/${held.id}`)).status).toBe(204);
    expect(rt.cascade.stats().holdout_examples).toBe(before - 1);
  });
});

describe("what a retrain would change", () => {
  it("counts the examples added, relabelled and deleted since the live version was trained, and lists the live model's disagreements", async () => {
    await g.app.runtimes.idle();
    // A fresh live version, so that only what follows counts.
    const retrained = await g.request("POST", `/v1/tasks/${TASK}/retrain`);
    if (!retrained.body.promoted) {
      const latest = (await g.store.models.list(TASK)).at(-1)!.version;
      expect((await g.request("POST", `/v1/tasks/${TASK}/models/${latest}/promote`)).status).toBe(200);
    }
    const quiet = await g.request("GET", `/v1/tasks/${TASK}/examples/changes`);
    expect(quiet.status).toBe(200);
    expect(quiet.body).toMatchObject({ live_version: (await runtime()).modelVersion, added: 0, relabelled: 0, deleted: 0 });
    expect(quiet.body.trained_at).toBeGreaterThan(0);

    // The clock must move past the version's creation time.
    await new Promise((r) => setTimeout(r, 5));
    const edited = await trainingExample(40);
    const wrong = otherLabel(edited.label);
    expect((await g.request("PATCH", `/v1/tasks/${TASK}/examples/${edited.id}`, { body: { label: wrong } })).status).toBe(200);
    const deleted = await trainingExample(60);
    expect((await g.request("DELETE", `/v1/tasks/${TASK}/examples/${deleted.id}`)).status).toBe(204);
    expect((await g.request("POST", `/v1/tasks/${TASK}/examples`, { body: GOLD.slice(300, 303) })).status).toBe(200);

    const changes = await g.request("GET", `/v1/tasks/${TASK}/examples/changes`);
    expect(changes.body).toMatchObject({ added: 3, relabelled: 1, deleted: 1 });
    expect(typeof changes.body.retrain_due).toBe("boolean");

    // The live version learned the gold label: it disagrees with the wrong one it is now given.
    const disagreements = await g.request("GET", `/v1/tasks/${TASK}/examples/changes/disagreements?scan=10`);
    expect(disagreements.status).toBe(200);
    expect(disagreements.body.scanned).toBe(4);
    const row = disagreements.body.data.find((d: { id: number }) => d.id === edited.id);
    expect(row).toMatchObject({ label: wrong, predicted: edited.label, origin: "edit" });
    expect(row.confidence).toBeGreaterThan(0);
    expect(disagreements.body.data.every((d: { label: string; predicted: string }) => d.label !== d.predicted)).toBe(true);

    expect((await g.request("GET", `/v1/tasks/${TASK}/examples/changes/disagreements?scan=0`)).status).toBe(400);
    expect((await g.request("GET", `/v1/tasks/${TASK}/examples/changes`, { key: g.predictKey })).status).toBe(403);
    expect((await g.request("GET", `/v1/tasks/${TASK}/examples/changes/disagreements`, { key: g.predictKey })).status).toBe(403);
    expect((await g.request("GET", "/v1/tasks/missing/examples/changes")).status).toBe(404);
  });

  it("without a live version everything stored counts as added and there is nothing to compare", async () => {
    expect((await g.request("POST", "/v1/tasks", { body: taskBody("fresh") })).status).toBe(201);
    expect((await g.request("POST", "/v1/tasks/fresh/examples", { body: GOLD.slice(0, 5) })).status).toBe(200);
    expect((await g.request("GET", "/v1/tasks/fresh/examples/changes")).body).toEqual({ live_version: null, trained_at: null, added: 5, relabelled: 0, deleted: 0, retrain_due: false });
    expect((await g.request("GET", "/v1/tasks/fresh/examples/changes/disagreements")).body).toEqual({ live_version: null, scanned: 0, data: [] });
  });
});

describe("after a restart", () => {
  it("serves the edited label and never the deleted example", async () => {
    const edited = await trainingExample(80);
    const label = otherLabel(edited.label);
    expect((await g.request("PATCH", `/v1/tasks/${TASK}/examples/${edited.id}`, { body: { label } })).status).toBe(200);
    const deleted = await trainingExample(100);
    expect((await g.request("DELETE", `/v1/tasks/${TASK}/examples/${deleted.id}`)).status).toBe(204);
    const size = (await runtime()).cascade.store.size;
    await g.app.runtimes.idle();

    const { dir, adminKey, predictKey } = g;
    await stopTestGateway(g, false);
    g = await startTestGateway({ dir, adminKey, predictKey }, { rateLimit: false, syncIntervalMs: 0 });
    const rt = await runtime();
    expect(rt.cascade.store.size).toBe(size);
    expect(rt.cascade.store.get(edited.text)).toMatchObject({ label, source: "human" });
    expect(rt.cascade.store.get(deleted.text)).toBeUndefined();
    await g.app.runtimes.syncAll();
    expect(rt.cascade.store.get(deleted.text)).toBeUndefined();
  });
});
