// A label task named by the X-Apprentice-Task header on a forwarded call: the app keeps calling
// its model, the upstream's reply goes back unchanged, and the task learns the reply as one of its
// answers (only ever in shadow mode: an operator's task is not taken over by capture).
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulatedLlm, type SimulatedLlm } from "../../../src/teacher/simulated-llm-server.js";
import { GOLD, startTestGateway, stopTestGateway, taskBody, type TestGateway } from "../helpers.js";

const TASK = "topics";
const MODEL = "gpt-sim";
let llm: SimulatedLlm;
let g: TestGateway;
let app: OpenAI;
/** What the upstream says about a text: its gold label, worded like a chat model would, or a refusal. */
const replies = new Map<string, string>();

beforeAll(async () => {
  llm = await startSimulatedLlm((body) => {
    const messages = body.messages as { role: string; content: string }[];
    return { content: replies.get(messages[messages.length - 1].content) ?? "I cannot tell." };
  });
  g = await startTestGateway(undefined, { upstream: { baseURL: llm.url } });
  expect((await g.request("POST", "/v1/tasks", { body: taskBody(TASK) })).status).toBe(201);
  app = new OpenAI({ baseURL: `${g.url}/v1`, apiKey: g.predictKey, maxRetries: 0, defaultHeaders: { "X-Apprentice-Task": TASK } });
});
afterAll(async () => {
  await stopTestGateway(g);
  await llm.close();
});

const call = (text: string) => ({ model: MODEL, messages: [{ role: "system" as const, content: "Name the topic." }, { role: "user" as const, content: text }] });

/** The task's examples once `n` calls are logged (the request log writes within 50 ms). */
async function examplesOf(n: number) {
  for (let i = 0; i < 400 && (await g.store.requests.count(TASK)) < n; i++) await new Promise((r) => setTimeout(r, 25));
  expect(await g.store.requests.count(TASK)).toBeGreaterThanOrEqual(n);
  return g.store.examples.all(TASK);
}

describe("a label task named by the X-Apprentice-Task header", () => {
  it("relays the upstream's replies unchanged and learns them as the task's answers, plain and streamed", async () => {
    const [plain, streamed, wrapped] = GOLD.slice(0, 3);
    replies.set(plain.text, plain.label);
    replies.set(streamed.text, streamed.label.toUpperCase());
    replies.set(wrapped.text, `"${wrapped.label}".`);

    const reply = await app.chat.completions.create(call(plain.text));
    expect(reply.choices[0].message.content).toBe(plain.label);
    expect((reply as unknown as Record<string, unknown>).apprentice).toBeUndefined();
    const stream = await app.chat.completions.create({ ...call(streamed.text), stream: true });
    let content = "";
    for await (const chunk of stream) content += chunk.choices[0]?.delta?.content ?? "";
    expect(content).toBe(replies.get(streamed.text));
    await app.chat.completions.create(call(wrapped.text));

    const learned = new Map((await examplesOf(3)).map((e) => [e.text, e.label]));
    // Case and wrapping are read as a teacher's reply is; the label is the task's own spelling.
    expect(learned.get(plain.text)).toBe(plain.label);
    expect(learned.get(streamed.text)).toBe(streamed.label);
    expect(learned.get(wrapped.text)).toBe(wrapped.label);
    const { data } = await g.store.requests.search(TASK, {}, 10);
    expect(data.every((r) => r.shadow && r.source === "teacher" && r.status === "ok")).toBe(true);
    // No task was founded for the call: the header named one.
    expect((await g.request("GET", "/v1/captured")).body.data).toEqual([]);
  });

  it("relays a reply that is none of the task's answers and never learns it", async () => {
    const text = GOLD[10].text;
    const reply = await app.chat.completions.create(call(text));
    expect(reply.choices[0].message.content).toBe("I cannot tell.");
    await examplesOf(4);
    expect((await g.store.examples.all(TASK)).some((e) => e.text === text)).toBe(false);
    const { data } = await g.store.requests.search(TASK, {}, 10);
    expect(data.find((r) => r.input === text)).toMatchObject({ shadow: true, status: "teacher_invalid", label: null });
  });
});
