// Pass-through of non-task models to an upstream LLM: a local fake upstream on 127.0.0.1:0,
// called through the official `openai` client pointed at the gateway.
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { upstreamFromEnv } from "../../src/server/openai/upstream.js";
import { startTestGateway, stopTestGateway, type TestGateway } from "./helpers.js";

const UPSTREAM_KEY = "sk-upstream-secret-0123456789";

interface Seen {
  url: string;
  headers: IncomingHttpHeaders;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- asserted field by field
  body: any;
}

let upstream: Server;
let upstreamURL: string;
const seen: Seen[] = [];
let g: TestGateway;
let client: OpenAI;

function chunk(content: string | null, finish: string | null): string {
  const delta = content === null ? {} : { content };
  return `data: ${JSON.stringify({ id: "chatcmpl-up", object: "chat.completion.chunk", created: 1, model: "gpt-up", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
}

beforeAll(async () => {
  upstream = createServer((req, res) => {
    let text = "";
    req.on("data", (c: Buffer) => (text += c.toString("utf8")));
    req.on("end", () => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const body: any = JSON.parse(text);
      seen.push({ url: req.url ?? "", headers: req.headers, body });
      if (body.model === "gpt-fail") {
        res.writeHead(429, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: "slow down", type: "rate_limit_error", code: "rate_limited" } }));
        return;
      }
      if (body.stream === true) {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write(chunk("Hel", null));
        // The second part comes later: the gateway must relay as it arrives.
        setTimeout(() => {
          res.write(chunk("lo", null));
          res.write(chunk(null, "stop"));
          res.end("data: [DONE]\n\n");
        }, 50);
        return;
      }
      res.writeHead(200, { "content-type": "application/json" }).end(
        JSON.stringify({
          id: "chatcmpl-up",
          object: "chat.completion",
          created: 1,
          model: body.model,
          choices: [{ index: 0, message: { role: "assistant", content: `echo: ${body.messages[0].content}`, refusal: null }, logprobs: null, finish_reason: "stop" }],
          usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  upstreamURL = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`;
  g = await startTestGateway(undefined, { upstream: { baseURL: upstreamURL, apiKey: UPSTREAM_KEY } });
  client = new OpenAI({ baseURL: `${g.url}/v1`, apiKey: g.predictKey, maxRetries: 0 });
});
afterAll(async () => {
  await stopTestGateway(g);
  await new Promise<void>((resolve) => upstream.close(() => resolve()));
});

describe("pass-through to the upstream LLM", () => {
  it("forwards a plain completion unchanged with the upstream's key, not the gateway's", async () => {
    const res = await client.chat.completions.create({ model: "gpt-up", messages: [{ role: "user", content: "hi" }], temperature: 0.2 });
    expect(res.choices[0].message.content).toBe("echo: hi");
    expect(res.usage!.total_tokens).toBe(5);
    const last = seen.at(-1)!;
    expect(last.url).toBe("/v1/chat/completions");
    expect(last.body).toEqual({ model: "gpt-up", messages: [{ role: "user", content: "hi" }], temperature: 0.2 });
    expect(last.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
    expect(JSON.stringify(last.headers)).not.toContain(g.predictKey);
  });

  it("relays a streamed reply chunk by chunk", async () => {
    const stream = await client.chat.completions.create({ model: "gpt-up", messages: [{ role: "user", content: "hi" }], stream: true });
    const parts: string[] = [];
    for await (const c of stream) parts.push(c.choices[0]?.delta.content ?? "");
    expect(parts.join("")).toBe("Hello");
    expect(seen.at(-1)!.body.stream).toBe(true);
    expect(seen.at(-1)!.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
  });

  it("relays the upstream's error status and body", async () => {
    await expect(client.chat.completions.create({ model: "gpt-fail", messages: [{ role: "user", content: "hi" }] })).rejects.toMatchObject({ status: 429, code: "rate_limited" });
    const metrics = await (await fetch(`${g.url}/metrics`)).text();
    expect(metrics).toContain('apprentice_upstream_requests_total{status="429"} 1');
    expect(metrics).toMatch(/apprentice_upstream_requests_total\{status="200"\} [1-9]/);
  });

  it("still serves task models itself and checks the gateway key first", async () => {
    const before = seen.length;
    await expect(client.chat.completions.create({ model: "task:missing", messages: [{ role: "user", content: "hi" }] })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const bad = new OpenAI({ baseURL: `${g.url}/v1`, apiKey: "apx_" + "z".repeat(43), maxRetries: 0 });
    await expect(bad.chat.completions.create({ model: "gpt-up", messages: [{ role: "user", content: "hi" }] })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    expect(seen.length).toBe(before);
  });

  it("answers 502 without the key when the upstream is unreachable", async () => {
    const dead = createServer();
    await new Promise<void>((resolve) => dead.listen(0, "127.0.0.1", resolve));
    const port = (dead.address() as AddressInfo).port;
    await new Promise<void>((resolve) => dead.close(() => resolve()));
    const g2 = await startTestGateway(undefined, { upstream: { baseURL: `http://127.0.0.1:${port}/v1`, apiKey: UPSTREAM_KEY } });
    try {
      const res = await g2.request("POST", "/v1/chat/completions", { key: g2.predictKey, body: { model: "gpt-up", messages: [{ role: "user", content: "hi" }] } });
      expect(res.status).toBe(502);
      expect(res.body.error).toMatchObject({ type: "api_error", code: "upstream_unreachable" });
      expect(JSON.stringify(res.body)).not.toContain(UPSTREAM_KEY);
    } finally {
      await stopTestGateway(g2);
    }
  });
});

describe("upstreamFromEnv", () => {
  it("prefers APPRENTICE_UPSTREAM_* and falls back to OPENAI_*", () => {
    expect(upstreamFromEnv({})).toBeUndefined();
    expect(upstreamFromEnv({ OPENAI_BASE_URL: "http://a/v1", OPENAI_API_KEY: "k1" })).toEqual({ baseURL: "http://a/v1", apiKey: "k1" });
    expect(upstreamFromEnv({ APPRENTICE_UPSTREAM_BASE_URL: "http://b/v1", APPRENTICE_UPSTREAM_API_KEY: "k2", OPENAI_BASE_URL: "http://a/v1", OPENAI_API_KEY: "k1" })).toEqual({ baseURL: "http://b/v1", apiKey: "k2" });
    expect(upstreamFromEnv({ APPRENTICE_UPSTREAM_BASE_URL: "http://b/v1" })).toEqual({ baseURL: "http://b/v1" });
  });
});
