// Finding 6 of issue 20: the pass-through relayed upstream error bodies verbatim (an upstream that
// echoes the Authorization header handed its key to the predict caller), had no timeout, did not
// abort the upstream call when the client went away (sockets held more than 80 s after the
// clients left), and had no bound on concurrent upstream calls. One local upstream on loopback
// plays every part, chosen by the request's model name.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, stopTestGateway, type TestGateway } from "../server/helpers.js";

const UPSTREAM_KEY = "sk-upstream-key-echoed-3c9a51f0e2d84b67";
/** The timeouts of the gateway `fast`; `g` has long ones, so what ends a request there is the client or the bound, not a timer. */
const TIMEOUT_MS = 400;
const IDLE_MS = 300;
const CONCURRENCY = 2;
const QUEUE_MS = 200;
/** Upper bound on how long the upstream may wait to see a request closed: far above the timeouts, far below the 80 s of the finding. */
const BOUND_MS = 10_000;

let upstream: Server;
let g: TestGateway;
let fast: TestGateway;
/** Requests the upstream has open now, and every request's close, by model. */
let open = 0;
let maxOpen = 0;
const closed = new Map<string, () => void>();
const held: ServerResponse[] = [];

function closedPromise(model: string): Promise<void> {
  return new Promise((resolve) => closed.set(model, resolve));
}

function handle(req: IncomingMessage, res: ServerResponse, model: string): void {
  if (model === "echo-error") {
    res.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: `Incorrect API key provided: ${req.headers.authorization}`, key: UPSTREAM_KEY.slice(3) } }));
  } else if (model === "echo-ok") {
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ choices: [{ index: 0, message: { role: "assistant", content: `you sent ${req.headers.authorization}` } }] }));
  } else if (model === "stall-stream") {
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: "Hel" } }] })}\n\n`);
    // ...and nothing more.
  } else if (model === "hold") {
    held.push(res);
  }
  // "stall": never answers.
}

beforeAll(async () => {
  upstream = createServer((req, res) => {
    let text = "";
    req.on("data", (c: Buffer) => (text += c.toString("utf8")));
    req.on("end", () => {
      const model = (JSON.parse(text) as { model: string }).model;
      open++;
      maxOpen = Math.max(maxOpen, open);
      res.once("close", () => {
        open--;
        closed.get(model)?.();
      });
      handle(req, res, model);
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  const baseURL = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`;
  g = await startTestGateway(undefined, { upstream: { baseURL, apiKey: UPSTREAM_KEY, timeoutMs: 60_000, idleTimeoutMs: 60_000, concurrency: CONCURRENCY, queueTimeoutMs: QUEUE_MS } });
  fast = await startTestGateway(undefined, { upstream: { baseURL, apiKey: UPSTREAM_KEY, timeoutMs: TIMEOUT_MS, idleTimeoutMs: IDLE_MS } });
});

afterAll(async () => {
  await stopTestGateway(g);
  await stopTestGateway(fast);
  upstream.closeAllConnections();
  await new Promise<void>((resolve) => upstream.close(() => resolve()));
});

const chat = (model: string, signal?: AbortSignal, gateway = g) =>
  fetch(`${gateway.url}/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${gateway.predictKey}`, "content-type": "application/json" }, body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] }), ...(signal ? { signal } : {}) });

describe("pass-through hardening", () => {
  it("scrubs the upstream's key from a relayed error body, and relays a success body unchanged", async () => {
    const res = await chat("echo-error");
    expect(res.status).toBe(401);
    const text = await res.text();
    expect(text).not.toContain(UPSTREAM_KEY);
    expect(text).not.toContain(UPSTREAM_KEY.slice(3));
    expect(JSON.parse(text)).toEqual({ error: { message: "Incorrect API key provided: Bearer [redacted]", key: "[redacted]" } });

    const ok = await chat("echo-ok");
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { choices: { message: { content: string } }[] }).choices[0].message.content).toBe(`you sent Bearer ${UPSTREAM_KEY}`);
  });

  it("answers 504 when the upstream stalls, and closes the upstream request", async () => {
    const upstreamClosed = closedPromise("stall");
    const res = await chat("stall", undefined, fast);
    expect(res.status).toBe(504);
    expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: "upstream_timeout", message: `the upstream LLM did not answer within ${TIMEOUT_MS} ms` });
    await upstreamClosed;
  });

  it("cuts a stream that goes silent longer than the idle timeout", async () => {
    const upstreamClosed = closedPromise("stall-stream");
    const res = await chat("stall-stream", undefined, fast);
    expect(res.status).toBe(200);
    // The first chunk arrives, then the gateway cuts the connection: reading the rest fails instead of hanging.
    await expect(res.text()).rejects.toThrow();
    await upstreamClosed;
  });

  it("aborts the upstream request when the client goes away, freeing its socket (long before any timeout)", async () => {
    const upstreamClosed = closedPromise("stall-abort");
    const client = new AbortController();
    const pending = chat("stall-abort", client.signal).catch((err: unknown) => err);
    const before = open;
    await until(() => open > before);
    client.abort();
    await pending;
    const outcome = await Promise.race([upstreamClosed.then(() => "closed"), new Promise((resolve) => setTimeout(() => resolve("still open"), BOUND_MS))]);
    expect(outcome).toBe("closed");
  });

  it(`keeps at most ${CONCURRENCY} requests in flight to the upstream; the excess waits briefly, then 503`, async () => {
    maxOpen = open;
    type Outcome = { status: number; error?: { code: string; message: string }; retryAfter?: string | null };
    const outcomes: Outcome[] = [];
    const replies = Array.from({ length: CONCURRENCY + 2 }, () =>
      chat("hold").then(async (res) => {
        const outcome: Outcome = res.status === 503 ? { status: 503, error: ((await res.json()) as { error: { code: string; message: string } }).error, retryAfter: res.headers.get("retry-after") } : { status: res.status };
        outcomes.push(outcome);
        return outcome;
      }),
    );
    // Two reach the upstream and are held there; the other two wait for a slot, in vain.
    await until(() => outcomes.length === 2);
    expect(held).toHaveLength(CONCURRENCY);
    for (const res of held.splice(0)) res.writeHead(200, { "content-type": "application/json" }).end('{"choices":[]}');
    const statuses = await Promise.all(replies);
    const refused = statuses.filter((s) => s.status === 503);
    expect(refused).toHaveLength(2);
    expect(refused[0]).toMatchObject({ error: { code: "upstream_busy" }, retryAfter: "1" });
    expect(refused[0].error!.message).toMatch(/2 requests to it are in flight/);
    expect(statuses.filter((s) => s.status === 200)).toHaveLength(CONCURRENCY);
    expect(maxOpen).toBe(CONCURRENCY);
  });
});

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < BOUND_MS / 10 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!condition()) throw new Error("condition not met in time");
}
