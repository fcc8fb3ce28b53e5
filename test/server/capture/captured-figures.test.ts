// GET /v1/captured reads its shadow figures from the request log, whose rows are written behind
// the reply (buffered): a call the gateway has learned from must count at once, not 50 ms later.
import { expect, it } from "vitest";
import { learnedCalls, useCaptureGateway } from "./capture-gateway.js";
import { transferCall, transferTexts } from "./transfer-calls.js";

const fx = useCaptureGateway("sk-upstream-figures");
const learned = () => learnedCalls(fx.g);

it("counts every call learned from in the shadow figures, rows still buffered included", async () => {
  const texts = transferTexts(5, 300);
  for (const [i, text] of texts.entries()) {
    await fx.app.chat.completions.create(transferCall(text));
    for (let n = 0; (await learned()) < i + 1 && n < 2000; n++) await new Promise((r) => setImmediate(r));
    const list = await fx.g.request("GET", "/v1/captured");
    const [task] = list.body.data as { name: string; shadow: { requests: number } }[];
    expect(task.shadow.requests).toBe(i + 1);
    const one = await fx.g.request("GET", `/v1/captured/${task.name}`);
    expect(one.body.shadow.requests).toBe(i + 1);
  }
});
