// Finding 3 of issue 20: a predict key's `route: "teacher"` with 1,000 inputs was 1,000 paid
// teacher calls and 1,000 training examples chosen by the caller. Now forcing the teacher is a
// permission, teacher budgets (the task's and the key's) stop a flood at the budget, every example
// records the key and route that caused it, and a task can refuse to learn from keys it does not trust.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Teacher } from "../../src/teacher/types.js";
import { GOLD, simulatedTeacher, startTestGateway, stopTestGateway, taskBody, type TestGateway } from "../server/helpers.js";

/** The simulated teacher, counting its calls. */
function countingTeacher(): { teacher: Teacher; calls: () => number } {
  const sim = simulatedTeacher();
  let calls = 0;
  return {
    teacher: { name: sim.name, classify: (text, options) => ((calls += 1), sim.classify(text, options)) },
    calls: () => calls,
  };
}

// Texts the simulated teacher knows (an unknown one is a teacher failure, which opens its circuit).
const thousand = Array.from({ length: 1000 }, (_, i) => GOLD[i % GOLD.length].text);

describe("forced-teacher floods", () => {
  let g: TestGateway;
  let counter: ReturnType<typeof countingTeacher>;
  beforeEach(async () => {
    counter = countingTeacher();
    g = await startTestGateway(undefined, { teacher: counter.teacher, rateLimit: false });
  });
  afterEach(() => stopTestGateway(g));

  it("refuses route teacher from a predict key (403 naming the permission) without calling the teacher", async () => {
    expect((await g.request("POST", "/v1/tasks", { body: taskBody("t") })).status).toBe(201);
    const res = await g.request("POST", "/v1/tasks/t/predict", { key: g.predictKey, body: { route: "teacher", inputs: thousand } });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toContain('"force_teacher" permission');
    expect(counter.calls()).toBe(0);
    expect((await g.request("GET", "/v1/tasks/t/examples")).body.total).toBe(0);
  });

  it("stops a permitted key's flood at the task's budget: 429 naming it, teacher calls at most the budget", async () => {
    expect((await g.request("POST", "/v1/tasks", { body: taskBody("t", { budget: { calls_per_hour: 25 } }) })).status).toBe(201);
    const { key } = await g.store.apiKeys.create("flooder", "predict", { force_teacher: true });
    const res = await g.request("POST", "/v1/tasks/t/predict", { key, body: { route: "teacher", inputs: thousand } });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(res.body.error.code).toBe("teacher_budget_exceeded");
    expect(res.body.error.message).toMatch(/task "t" allows 25 teacher calls per hour/);
    expect(res.body.error.details.budget).toMatchObject({ scope: "task", kind: "calls", period: "hour", limit: 25, used: 25 });
    expect(res.body.error.details.answered).toBe(25);
    expect(res.body.error.details.results).toHaveLength(25);
    // Twenty more floods change nothing.
    for (let i = 0; i < 20; i++) {
      const again = await g.request("POST", "/v1/tasks/t/predict", { key, body: { route: "teacher", inputs: thousand.slice(0, 50) } });
      expect(again.status).toBe(429);
    }
    expect(counter.calls()).toBe(25);
    const stats = (await g.request("GET", "/v1/tasks/t/stats")).body;
    expect(stats.budget.windows.find((w: { period: string }) => w.period === "hour")).toMatchObject({ calls: 25, calls_limit: 25 });
    // Chat completions draw on the same budget.
    const chat = await g.request("POST", "/v1/chat/completions", { key: g.predictKey, body: { model: "task:t", messages: [{ role: "user", content: "a new text" }] } });
    expect(chat.status).toBe(429);
    expect(counter.calls()).toBe(25);
  });

  it("stops a key at its own budget across tasks, naming the key", async () => {
    for (const name of ["a", "b"]) expect((await g.request("POST", "/v1/tasks", { body: taskBody(name) })).status).toBe(201);
    const { key } = await g.store.apiKeys.create("metered", "predict", { force_teacher: true, teacher_budget: { calls_per_day: 10 } });
    const first = await g.request("POST", "/v1/tasks/a/predict", { key, body: { route: "teacher", inputs: thousand.slice(0, 6) } });
    expect(first.status).toBe(200);
    const second = await g.request("POST", "/v1/tasks/b/predict", { key, body: { route: "teacher", inputs: thousand.slice(6, 20) } });
    expect(second.status).toBe(429);
    expect(second.body.error.message).toMatch(/API key "metered" \(#\d+\) allows 10 teacher calls per day/);
    expect(second.body.error.details.budget).toMatchObject({ scope: "key", name: "metered", period: "day" });
    expect(counter.calls()).toBe(10);
    // Another key is not held back by this one's budget.
    expect((await g.request("POST", "/v1/tasks/b/predict", { body: { route: "teacher", input: GOLD[50].text } })).status).toBe(200);
  });

  it("records the key and route of every example; the admin's import has its key and origin import", async () => {
    expect((await g.request("POST", "/v1/tasks", { body: taskBody("t") })).status).toBe(201);
    const { key } = await g.store.apiKeys.create("caller", "predict", { force_teacher: true });
    expect((await g.request("POST", "/v1/tasks/t/predict", { key, body: { route: "teacher", input: GOLD[0].text } })).status).toBe(200);
    expect((await g.request("POST", "/v1/chat/completions", { key, body: { model: "task:t", messages: [{ role: "user", content: GOLD[1].text }] } })).status).toBe(200);
    expect((await g.request("POST", "/v1/tasks/t/examples", { body: [{ text: GOLD[2].text, label: GOLD[2].label }] })).status).toBe(200);
    const examples = (await g.request("GET", "/v1/tasks/t/examples")).body.data as { text: string; origin: string; key_name: string; key_id: number }[];
    const byText = new Map(examples.map((e) => [e.text, e]));
    expect(byText.get(GOLD[0].text)).toMatchObject({ origin: "predict", key_name: "caller" });
    expect(byText.get(GOLD[1].text)).toMatchObject({ origin: "chat", key_name: "caller" });
    expect(byText.get(GOLD[2].text)).toMatchObject({ origin: "import", key_name: "test admin" });
  });

  it("answers an untrusted key's requests without storing its teacher answers as examples", async () => {
    expect((await g.request("POST", "/v1/tasks", { body: taskBody("t", { training: { retrain_every: 50, min_examples: 50, holdout_fraction: 0.3, seed: 1, learn_from_keys: ["test admin"] } }) })).status).toBe(201);
    const res = await g.request("POST", "/v1/tasks/t/predict", { key: g.predictKey, body: { inputs: thousand.slice(0, 20) } });
    expect(res.status).toBe(200);
    expect(res.body.data.every((r: { source: string; label: string | null }) => r.source === "teacher" && r.label !== null)).toBe(true);
    expect((await g.request("GET", "/v1/tasks/t/examples")).body.total).toBe(0);
    // The trusted key's are stored.
    expect((await g.request("POST", "/v1/tasks/t/predict", { body: { input: thousand[30] } })).status).toBe(200);
    expect((await g.request("GET", "/v1/tasks/t/examples")).body.total).toBe(1);
  });

  it("still answers auto requests the specialist is sure of once the budget is spent; the others get 429", async () => {
    expect((await g.request("POST", "/v1/tasks", { body: taskBody("t", { budget: { calls_per_hour: 0 } }) })).status).toBe(201);
    const seed = GOLD.slice(0, 300).map((e) => ({ text: e.text, label: e.label }));
    expect((await g.request("POST", "/v1/tasks/t/examples", { body: seed })).status).toBe(200);
    expect((await g.request("POST", "/v1/tasks/t/retrain")).status).toBe(200);
    const answers = await Promise.all(GOLD.slice(0, 40).map((e) => g.request("POST", "/v1/tasks/t/predict", { key: g.predictKey, body: { input: e.text } })));
    const served = answers.filter((a) => a.status === 200);
    expect(served.length).toBeGreaterThan(0);
    expect(served.every((a) => a.body.source === "specialist")).toBe(true);
    expect(answers.every((a) => a.status === 200 || (a.status === 429 && a.body.error.code === "teacher_budget_exceeded"))).toBe(true);
    expect(counter.calls()).toBe(0);
  });
});
