// Answer holds across a restart: a gateway that loads a version reads that version's logged
// audits, so an answer its audits proved wrong stays on hold (other instances' audits count the
// same way), and an older version's audits do not count against it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GOLD, startTestGateway, stopTestGateway, taskBody, type TestGateway } from "./helpers.js";

let g: TestGateway;

beforeAll(async () => {
  g = await startTestGateway();
  expect((await g.request("POST", "/v1/tasks", { body: taskBody("holding") })).status).toBe(201);
  expect((await g.request("POST", "/v1/tasks/holding/examples", { body: GOLD.slice(0, 300) })).status).toBe(200);
  await g.app.runtimes.idle();
});
afterAll(async () => {
  await stopTestGateway(g);
});

describe("answer holds after a restart", () => {
  it("holds an answer the live version's logged audits prove wrong, not one only an older version's do", async () => {
    const detail = (await g.request("GET", "/v1/tasks/holding")).body;
    const version: number = detail.model_version;
    expect(version).toBeGreaterThanOrEqual(1);
    expect(detail.cascade).toMatchObject({ held: [], held_diversions: 0 });
    // Audits as the request log keeps them: six of "sports" the teacher called weather, of this
    // version; as many of "music" the teacher called travel, of the version before it.
    const row = (id: string, label: string, teacher_label: string, model_version: number) => ({
      id,
      task: "holding",
      input: `audited ${id}`,
      label,
      teacher_label,
      audited: true,
      model_version,
      source: "specialist" as const,
      latency_ms: 1,
      status: "ok" as const,
    });
    await g.store.requests.insertMany([
      ...Array.from({ length: 6 }, (_, i) => row(`s${i}`, "sports", "weather", version)),
      ...Array.from({ length: 6 }, (_, i) => row(`m${i}`, "music", "travel", version - 1)),
      row("s-ok", "sports", "sports", version),
    ]);

    const keys = { dir: g.dir, adminKey: g.adminKey, predictKey: g.predictKey };
    await stopTestGateway(g, false);
    g = await startTestGateway(keys);
    const loaded = (await g.request("GET", "/v1/tasks/holding")).body;
    expect(loaded.model_version).toBe(version);
    expect(loaded.cascade).toMatchObject({ held: ["sports"], held_diversions: 0 });
    // The Traffic tab's table marks it: the stats list each audited answer and whether it is held now.
    const byAnswer: { answer: string; on_hold: boolean; status: string }[] = (await g.request("GET", "/v1/tasks/holding/stats")).body.audit.by_answer;
    expect(byAnswer.find((r) => r.answer === "sports")).toMatchObject({ on_hold: true, status: "exceeded" });
    expect(byAnswer.find((r) => r.answer === "music")).toMatchObject({ on_hold: false });

    // Sports texts the threshold lets through go to the teacher; music ones the specialist answers.
    const texts = GOLD.filter((e) => e.label === "sports" || e.label === "music").map((e) => e.text);
    const res = await g.request("POST", "/v1/tasks/holding/predict", { key: g.predictKey, body: { inputs: texts } });
    expect(res.status).toBe(200);
    const results: { label: string; source: string }[] = res.body.data;
    expect(results.filter((r) => r.source === "specialist" && r.label === "sports")).toEqual([]);
    expect(results.filter((r) => r.source === "specialist" && r.label === "music").length).toBeGreaterThan(10);
    await g.app.runtimes.idle();
    const after = (await g.request("GET", "/v1/tasks/holding")).body.cascade;
    expect(after.held_diversions).toBeGreaterThan(10);
    // What /explain shows for a sports text.
    const sports = texts.find((t, i) => results[i].source === "teacher" && GOLD.find((e) => e.text === t)!.label === "sports")!;
    const explained = await g.request("POST", "/v1/tasks/holding/explain", { body: { input: sports } });
    expect(explained.status).toBe(200);
    expect(explained.body.route.reason).toBe("held");
  });
});
