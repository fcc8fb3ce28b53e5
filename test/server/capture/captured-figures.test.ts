// GET /v1/captured reads its shadow figures from the request log, whose rows are written behind
// the reply (buffered): a call the gateway has learned from must count at once, not 50 ms later.
import OpenAI from "openai";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startSimulatedLlm, type SimulatedLlm } from "../../../src/teacher/simulated-llm-server.js";
import { startTestGateway, stopTestGateway, type TestGateway } from "../helpers.js";
import { transferCall, transferLlm, transferTexts } from "./transfer-calls.js";

let llm: SimulatedLlm;
let g: TestGateway;
let app: OpenAI;

beforeAll(async () => {
  llm = await startSimulatedLlm(transferLlm);
  g = await startTestGateway(undefined, { upstream: { baseURL: llm.url, apiKey: "sk-upstream-figures" } });
  app = new OpenAI({ baseURL: `${g.url}/v1`, apiKey: g.predictKey, maxRetries: 0 });
});
afterAll(async () => {
  await stopTestGateway(g);
  await llm.close();
});

/** Captured calls the gateway has learned from (the row is handed to the request log just before this counts). */
async function learned(): Promise<number> {
  return (await g.app.metrics.captured.get()).values.reduce((s, v) => s + v.value, 0);
}

it("counts every call learned from in the shadow figures, rows still buffered included", async () => {
  const texts = transferTexts(5, 300);
  for (const [i, text] of texts.entries()) {
    await app.chat.completions.create(transferCall(text));
    for (let n = 0; (await learned()) < i + 1 && n < 2000; n++) await new Promise((r) => setImmediate(r));
    const list = await g.request("GET", "/v1/captured");
    const [task] = list.body.data as { name: string; shadow: { requests: number } }[];
    expect(task.shadow.requests).toBe(i + 1);
    const one = await g.request("GET", `/v1/captured/${task.name}`);
    expect(one.body.shadow.requests).toBe(i + 1);
  }
});
