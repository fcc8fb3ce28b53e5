// Finding: a lone surrogate ("\ud800", which JSON can carry as an escape) was accepted and stored
// as bytes that read back as U+FFFD. Now every entry point that accepts text answers 400 naming
// the field (an import names the row's line), and nothing is stored.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GOLD, startTestGateway, stopTestGateway, taskBody, type TestGateway } from "../server/helpers.js";

let g: TestGateway;
const TASK = "surrogates";
const LONE = "card \ud800 lost";

beforeAll(async () => {
  g = await startTestGateway(undefined, { rateLimit: false });
  expect((await g.request("POST", "/v1/tasks", { body: taskBody(TASK) })).status).toBe(201);
});
afterAll(async () => {
  await g.app.runtimes.idle();
  await stopTestGateway(g);
});

const examples = async () => (await g.request("GET", `/v1/tasks/${TASK}/examples?limit=1`)).body.total as number;

function expectRefused(res: { status: number; body: { error: { message: string } } }, field: string): void {
  expect(res.status).toBe(400);
  expect(res.body.error.message).toContain(field);
  expect(res.body.error.message).toContain("lone surrogate (U+D800 at character 6)");
}

describe("lone surrogates", () => {
  it("are refused in predict inputs, naming the input", async () => {
    const before = await examples();
    expectRefused(await g.request("POST", `/v1/tasks/${TASK}/predict`, { key: g.predictKey, body: { input: LONE } }), "input");
    expectRefused(await g.request("POST", `/v1/tasks/${TASK}/predict`, { key: g.predictKey, body: { inputs: [GOLD[0].text, LONE] } }), "inputs.1: ");
    expectRefused(await g.request("POST", `/v1/tasks/${TASK}/explain`, { body: { input: LONE } }), "input: ");
    expect(await examples()).toBe(before);
  });

  it("are refused in chat completion messages, naming the message", async () => {
    const res = await g.request("POST", "/v1/chat/completions", {
      key: g.predictKey,
      body: { model: `task:${TASK}`, messages: [{ role: "system", content: "be brief" }, { role: "user", content: LONE }] },
    });
    expectRefused(res, "messages[1].content");
  });

  it("are refused in feedback text, and nothing is learned", async () => {
    const answered = await g.request("POST", `/v1/tasks/${TASK}/predict`, { key: g.predictKey, body: { input: GOLD[0].text } });
    expect(answered.status).toBe(200);
    const before = await examples();
    const res = await g.request("POST", `/v1/tasks/${TASK}/feedback`, { body: { request_id: answered.body.request_id, label: GOLD[0].label, text: LONE } });
    expectRefused(res, "text: ");
    expect(await examples()).toBe(before);
  });

  it("are refused in imported rows, naming the line, with or without ?partial=true", async () => {
    const before = await examples();
    const body = [{ text: GOLD[1].text, label: GOLD[1].label }, { text: LONE, label: GOLD[1].label }].map((r) => JSON.stringify(r)).join("\n");
    // JSON.stringify writes the lone surrogate as the escape \ud800, which is how JSON carries it.
    expect(body).toContain("\\ud800");
    const all = await g.request("POST", `/v1/tasks/${TASK}/examples`, { rawBody: body, contentType: "application/x-ndjson" });
    expect(all.status).toBe(400);
    expect(all.body.error.message).toContain("line 2: text contains a lone surrogate");
    expect(await examples()).toBe(before);
    const partial = await g.request("POST", `/v1/tasks/${TASK}/examples?partial=true`, { rawBody: body, contentType: "application/x-ndjson" });
    expect(partial.status).toBe(200);
    expect(partial.body.rejected).toEqual([{ line: 2, reason: "text contains a lone surrogate (U+D800 at character 6), which UTF-8 cannot encode" }]);
    expect(await examples()).toBe(before + 1);
  });

  it("cannot arrive in a CSV body, where they are invalid UTF-8: 400, nothing stored", async () => {
    const before = await examples();
    // ED A0 80 is how a lone U+D800 would be written in UTF-8, which forbids it.
    const bytes = Buffer.concat([Buffer.from(`text,label\n${GOLD[2].text},${GOLD[2].label}\ncard `), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from(` lost,${GOLD[2].label}\n`)]);
    const res = await fetch(`${g.url}/v1/tasks/${TASK}/examples?partial=true`, { method: "POST", headers: { authorization: `Bearer ${g.adminKey}`, "content-type": "text/csv" }, body: bytes });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain("not valid UTF-8");
    expect(await examples()).toBe(before);
  });

  it("are refused in task fields, naming the field, on create and on update", async () => {
    const created = await g.request("POST", "/v1/tasks", { body: taskBody("lone1", { instructions: LONE }) });
    expect(created.status).toBe(400);
    expect(created.body.error.message).toContain("instructions: contains a lone surrogate");
    const labels = [{ name: "a" }, { name: "b", description: LONE }];
    const described = await g.request("POST", "/v1/tasks", { body: taskBody("lone2", { labels }) });
    expect(described.status).toBe(400);
    expect(described.body.error.message).toContain("labels.1.description: contains a lone surrogate");
    const patched = await g.request("PATCH", `/v1/tasks/${TASK}`, { body: { instructions: LONE } });
    expect(patched.status).toBe(400);
    expect(patched.body.error.message).toContain("instructions");
    expect((await g.request("GET", "/v1/tasks/lone1")).status).toBe(404);
    expect((await g.request("GET", `/v1/tasks/${TASK}`)).body.definition.instructions).not.toContain("\ud800");
  });

  it("are told apart from surrogate pairs, which are accepted and read back as sent", async () => {
    const emoji = `${GOLD[3].text} 😀`;
    const res = await g.request("POST", `/v1/tasks/${TASK}/examples`, { rawBody: JSON.stringify([{ text: emoji, label: GOLD[3].label }]), contentType: "application/json" });
    expect(res.status).toBe(200);
    const stored = await g.request("GET", `/v1/tasks/${TASK}/examples?label=${GOLD[3].label}&limit=1000`);
    expect(stored.body.data.map((r: { text: string }) => r.text)).toContain(emoji);
  });
});
