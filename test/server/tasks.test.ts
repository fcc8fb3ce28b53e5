// Task CRUD, example import (all or nothing) and request validation.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GOLD, startTestGateway, stopTestGateway, taskBody, type TestGateway } from "./helpers.js";

let g: TestGateway;

beforeAll(async () => {
  g = await startTestGateway();
});
afterAll(async () => {
  await stopTestGateway(g);
});

describe("tasks", () => {
  it("creates, lists, reads, patches and deletes a task", async () => {
    const created = await g.request("POST", "/v1/tasks", { body: taskBody("crud") });
    expect(created.status).toBe(201);
    expect(created.body.definition.routing.out_of_scope_max).toBe(0.9); // defaults filled in
    expect((await g.request("POST", "/v1/tasks", { body: taskBody("crud") })).status).toBe(409);

    const list = await g.request("GET", "/v1/tasks");
    expect(list.body.data.map((t: { name: string }) => t.name)).toContain("crud");

    const got = await g.request("GET", "/v1/tasks/crud");
    expect(got.status).toBe(200);
    expect(got.body.definition.instructions).toBe("Classify the topic of the message.");
    expect(got.body.model_version).toBe(0);

    const patched = await g.request("PATCH", "/v1/tasks/crud", { body: { instructions: "New instructions." } });
    expect(patched.status).toBe(200);
    expect(patched.body.definition.instructions).toBe("New instructions.");
    expect(patched.body.definition.labels).toHaveLength(5);
    expect((await g.request("GET", "/v1/tasks/crud")).body.definition.instructions).toBe("New instructions.");

    const bad = await g.request("PATCH", "/v1/tasks/crud", { body: { routing: { max_error: 2 } } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain("routing.max_error");
    expect((await g.request("PATCH", "/v1/tasks/crud", { body: { name: "renamed" } })).status).toBe(400);

    expect((await g.request("DELETE", "/v1/tasks/crud")).status).toBe(204);
    expect((await g.request("GET", "/v1/tasks/crud")).status).toBe(404);
    expect((await g.request("DELETE", "/v1/tasks/crud")).status).toBe(404);
    expect((await g.request("PATCH", "/v1/tasks/crud", { body: {} })).status).toBe(404);
  });

  it("rejects an invalid definition with the parser's message", async () => {
    const res = await g.request("POST", "/v1/tasks", { body: { name: "Bad Name", instructions: "x", labels: [{ name: "a" }] } });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain("invalid task");
    expect(res.body.error.message).toContain("name");
    expect(res.body.error.message).toContain("labels");
  });

  it("refuses a patch that would give a label task an output block too, and keeps the stored definition", async () => {
    await g.request("POST", "/v1/tasks", { body: taskBody("to-structure") });
    const patched = await g.request("PATCH", "/v1/tasks/to-structure", { body: { output: { properties: { intent: { enum: ["a", "b"] } } } } });
    expect(patched.status).toBe(400);
    expect(patched.body.error.message).toMatch(/labels .*or output .*not both/);
    expect((await g.request("GET", "/v1/tasks/to-structure")).body.definition.labels).toHaveLength(5);
  });

  it("refuses a none reply from an upstream LLM on a gateway that has none, and both kinds of none reply at once", async () => {
    const upstream = await g.request("POST", "/v1/tasks", { body: taskBody("none-upstream", { none: { upstream_model: "gpt-up" } }) });
    expect(upstream.status).toBe(400);
    expect(upstream.body.error.message).toMatch(/^invalid task: none\.upstream_model: this gateway has no upstream LLM/);
    const both = await g.request("POST", "/v1/tasks", { body: taskBody("none-both", { none: { answer: "Sorry.", upstream_model: "gpt-up" } }) });
    expect(both.status).toBe(400);
    expect(both.body.error.message).toContain("none: set answer or upstream_model, not both");
    expect((await g.request("GET", "/v1/tasks/none-upstream")).status).toBe(404);
  });

  it("rejects malformed JSON and too large bodies", async () => {
    expect((await g.request("POST", "/v1/tasks", { rawBody: "{nope" })).status).toBe(400);
    const big = await g.request("POST", "/v1/tasks", { rawBody: JSON.stringify({ instructions: "x".repeat(6 * 1024 * 1024) }) });
    expect(big.status).toBe(413);
    expect(big.body.error).toBeDefined();
  });
});

describe("examples import", () => {
  beforeAll(async () => {
    expect((await g.request("POST", "/v1/tasks", { body: taskBody("imp") })).status).toBe(201);
  });

  it("imports nothing when any row is bad, and lists the bad rows", async () => {
    const rows = [GOLD[0], { text: "", label: "music" }, GOLD[1], { text: "hello", label: "nope" }, "junk"];
    const res = await g.request("POST", "/v1/tasks/imp/examples", { body: rows });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([
      { line: 2, reason: "empty text" },
      { line: 4, reason: 'label "nope" is not one of the task\'s labels' },
      { line: 5, reason: "expected a JSON object, found a string" },
    ]);
    expect(res.body.error.message).toContain("item 4");
    expect(await g.store.examples.count("imp")).toBe(0);
  });

  it("imports every row of a valid batch and counts them", async () => {
    const res = await g.request("POST", "/v1/tasks/imp/examples", { body: GOLD.slice(0, 20) });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ rows: 20, accepted: 20, added: 20, examples: 20 });
    expect(await g.store.examples.count("imp")).toBe(20);
    const stored = await g.store.examples.get("imp", GOLD[3].text);
    expect(stored).toMatchObject({ label: GOLD[3].label, source: "import" });

    const again = await g.request("POST", "/v1/tasks/imp/examples", { body: GOLD.slice(10, 25) });
    expect(again.body).toMatchObject({ rows: 15, accepted: 15, added: 5, examples: 25 });
    expect(await g.store.examples.count("imp")).toBe(25);
  });

  it("refuses a non-array body and an unknown task", async () => {
    expect((await g.request("POST", "/v1/tasks/imp/examples", { body: { text: "a", label: "music" } })).status).toBe(400);
    expect((await g.request("POST", "/v1/tasks/none/examples", { body: [GOLD[0]] })).status).toBe(404);
  });
});

describe("predict validation", () => {
  it("checks the body", async () => {
    expect((await g.request("POST", "/v1/tasks/imp/predict", { body: {} })).status).toBe(400);
    expect((await g.request("POST", "/v1/tasks/imp/predict", { body: { input: "" } })).status).toBe(400);
    expect((await g.request("POST", "/v1/tasks/imp/predict", { body: { inputs: [] } })).status).toBe(400);
    expect((await g.request("POST", "/v1/tasks/imp/predict", { body: { inputs: Array(1001).fill("a") } })).status).toBe(400);
    expect((await g.request("POST", "/v1/tasks/imp/predict", { body: { inputs: ["a", 3] } })).status).toBe(400);
    expect((await g.request("POST", "/v1/tasks/none/predict", { body: { input: "a" } })).status).toBe(404);
  });
});

describe("concurrent predictions", () => {
  it("stores every teacher answer of concurrent requests before acknowledging them", async () => {
    const before = await g.store.examples.count("imp");
    const texts = GOLD.slice(100, 130).map((e) => e.text);
    const replies = await Promise.all(texts.map((input) => g.request("POST", "/v1/tasks/imp/predict", { key: g.predictKey, body: { input } })));
    for (const r of replies) expect(r.status).toBe(200);
    expect(await g.store.examples.count("imp")).toBe(before + 30);
    const ids = new Set(replies.map((r) => r.body.request_id as string));
    expect(ids.size).toBe(30);
    // The log is written behind the replies (request-log-buffer.ts): every row is there once flushed.
    await g.app.requestLog.flush();
    for (const id of ids) expect(await g.store.requests.get(id)).not.toBeNull();
    await g.app.runtimes.idle();
  });
});
