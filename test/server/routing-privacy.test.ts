// A caller's explicit route (`route: specialist|teacher`) and a task that keeps only hashes of its
// inputs (`privacy: hash_inputs`), through HTTP.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { textHash } from "../../src/store/index.js";
import { GOLD, startTestGateway, stopTestGateway, taskBody, type TestGateway } from "./helpers.js";

let g: TestGateway;
// Forcing the teacher takes the force_teacher permission, which admin keys have and predict keys lack.
const predict = (body: { route?: string; input?: string; inputs?: string[] }) => g.request("POST", "/v1/tasks/private/predict", { key: body.route === "teacher" ? g.adminKey : g.predictKey, body });

beforeAll(async () => {
  g = await startTestGateway();
  expect((await g.request("POST", "/v1/tasks", { body: taskBody("private", { privacy: "hash_inputs" }) })).status).toBe(201);
});
afterAll(async () => {
  await stopTestGateway(g);
});

describe("route option", () => {
  it("refuses the specialist before one is trained, and an unknown route", async () => {
    const early = await predict({ input: GOLD[310].text, route: "specialist" });
    expect(early.status).toBe(409);
    expect(early.body.error.message).toMatch(/no specialist yet/);
    const bad = await predict({ input: GOLD[310].text, route: "fastest" });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/^route: must be one of auto, specialist, teacher$/);
    // Neither was logged.
    expect((await g.request("GET", "/v1/tasks/private/stats")).body.requests).toBe(0);
  });

  it("sends a request to the specialist or the teacher when asked", async () => {
    expect((await g.request("POST", "/v1/tasks/private/examples", { body: GOLD.slice(0, 300) })).status).toBe(200);
    await g.app.runtimes.idle();
    const inputs = GOLD.slice(300, 320).map((e) => e.text);
    const forcedSpecialist = await predict({ inputs, route: "specialist" });
    expect(forcedSpecialist.status).toBe(200);
    for (const r of forcedSpecialist.body.data) expect(r).toMatchObject({ source: "specialist", route: "specialist", model_version: 1 });
    const forcedTeacher = await predict({ input: GOLD[330].text, route: "teacher" });
    expect(forcedTeacher.body).toMatchObject({ source: "teacher", route: "teacher", label: GOLD[330].label });
  });
});

describe("privacy: hash_inputs", () => {
  it("logs only the hash of each input", async () => {
    const res = await predict({ input: GOLD[340].text });
    const logged = await g.app.requestLog.get(res.body.request_id);
    expect(logged).toMatchObject({ input: null, input_hash: textHash(GOLD[340].text), label: res.body.label });
  });

  it("takes a correction only with the request's own text", async () => {
    const res = await predict({ input: GOLD[341].text, route: "specialist" });
    const id = res.body.request_id as string;
    const label = GOLD[341].label === "weather" ? "sports" : "weather";
    const feedback = (body: Record<string, unknown>) => g.request("POST", "/v1/tasks/private/feedback", { body: { request_id: id, label, ...body } });

    const withoutText = await feedback({});
    expect(withoutText.status).toBe(409);
    expect(withoutText.body.error.message).toMatch(/send the request's input as "text"/);
    const wrongText = await feedback({ text: GOLD[342].text });
    expect(wrongText.status).toBe(400);
    expect(wrongText.body.error.message).toMatch(/hash differs/);
    expect(await g.store.examples.get("private", GOLD[342].text)).toBeNull();

    const ok = await feedback({ text: GOLD[341].text });
    expect(ok.status).toBe(200);
    expect(await g.store.examples.get("private", GOLD[341].text)).toMatchObject({ label, source: "feedback" });
  });
});
