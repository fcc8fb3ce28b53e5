// Model version routes: list, promote, roll back; the promoted version serves at once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeModel } from "../../src/engine/model-file.js";
import { trainClassifier } from "../../src/engine/train.js";
import { GOLD, startTestGateway, stopTestGateway, taskBody, type TestGateway } from "./helpers.js";

let g: TestGateway;

beforeAll(async () => {
  g = await startTestGateway();
  expect((await g.request("POST", "/v1/tasks", { body: taskBody("mv") })).status).toBe(201);
  expect((await g.request("POST", "/v1/tasks", { body: taskBody("empty") })).status).toBe(201);
  const model = trainClassifier(GOLD.slice(0, 200).map((e) => ({ text: e.text, label: e.label })));
  const artifact = encodeModel(model);
  await g.store.models.add("mv", { artifact, metrics: { holdout_accuracy: 0.8 }, threshold: 0.5, status: "promoted" });
  await g.store.models.add("mv", { artifact, metrics: { holdout_accuracy: 0.9 }, threshold: 0.6, status: "promoted" });
  await g.store.models.add("mv", { artifact, metrics: { holdout_accuracy: 0.7 }, threshold: null });
});
afterAll(async () => {
  await stopTestGateway(g);
});

const servedVersion = async (name: string): Promise<number | null> => (await g.request("GET", `/v1/tasks/${name}`)).body.model_version;

describe("model versions", () => {
  it("lists versions newest first with metrics, threshold and status, without artifacts", async () => {
    const res = await g.request("GET", "/v1/tasks/mv/models");
    expect(res.status).toBe(200);
    expect(res.body.promoted).toBe(2);
    expect(res.body.data.map((v: { version: number; status: string }) => [v.version, v.status])).toEqual([
      [3, "candidate"],
      [2, "promoted"],
      [1, "retired"],
    ]);
    expect(res.body.data[1]).toMatchObject({ metrics: { holdout_accuracy: 0.9 }, threshold: 0.6 });
    expect(res.body.data[1].artifact_bytes).toBeGreaterThan(0);
    expect(res.body.data[1].artifact).toBeUndefined();
    expect(await servedVersion("mv")).toBe(2);
  });

  it("promotes a version, which serves at once", async () => {
    const res = await g.request("POST", "/v1/tasks/mv/models/3/promote");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ task: "mv", promoted: 3, model_version: 3 });
    expect(await servedVersion("mv")).toBe(3);
    const pred = await g.request("POST", "/v1/tasks/mv/predict", { key: g.predictKey, body: { input: GOLD[0].text } });
    expect(pred.status).toBe(200);
    expect(pred.body.model_version).toBe(3);
  });

  it("rolls back to the previous retired version", async () => {
    const res = await g.request("POST", "/v1/tasks/mv/rollback");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ promoted: 2, model_version: 2 });
    expect(await servedVersion("mv")).toBe(2);
    const list = await g.request("GET", "/v1/tasks/mv/models");
    expect(list.body.promoted).toBe(2);
    // Stored without looks, a version had its threshold chosen the first time it served, counted
    // with it; serving it again (version 2 after the rollback) keeps that threshold: no new look.
    expect(list.body.data.map((v: { version: number; looks: number }) => [v.version, v.looks])).toEqual([
      [3, 1],
      [2, 1],
      [1, 0],
    ]);
    // The threshold stored with it is the one that look chose, and the one it serves with now.
    const explained = await g.request("POST", "/v1/tasks/mv/explain", { body: { input: GOLD[0].text } });
    expect(explained.body.threshold).toBe(list.body.data[1].threshold);
  });

  it("answers 404, 400 and 409 for missing tasks, bad versions and nothing to roll back to", async () => {
    expect((await g.request("GET", "/v1/tasks/nope/models")).status).toBe(404);
    expect((await g.request("POST", "/v1/tasks/mv/models/99/promote")).status).toBe(404);
    expect((await g.request("POST", "/v1/tasks/mv/models/abc/promote")).status).toBe(400);
    expect((await g.request("POST", "/v1/tasks/nope/rollback")).status).toBe(404);
    const empty = await g.request("POST", "/v1/tasks/empty/rollback");
    expect(empty.status).toBe(409);
    expect(empty.body.error.code).toBe("conflict");
    expect((await g.request("GET", "/v1/tasks/empty/models")).body).toEqual({ data: [], promoted: null });
  });

  it("needs an admin key", async () => {
    expect((await g.request("GET", "/v1/tasks/mv/models", { key: g.predictKey })).status).toBe(403);
    expect((await g.request("POST", "/v1/tasks/mv/rollback", { key: g.predictKey })).status).toBe(403);
    expect((await g.request("POST", "/v1/tasks/mv/models/1/promote", { key: null })).status).toBe(401);
  });
});
