// A local stand-in for an OpenAI-compatible chat-completions server, so the teacher is
// tested through the real SDK over real sockets. Each request takes the next scripted
// reply (or the fallback); every request is recorded for assertions on the prompt,
// response_format and headers; simultaneous requests are counted for the concurrency test.
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- request bodies are asserted on field by field
  body: any;
}

export type FakeReply =
  /** A normal completion whose message content is `content` (null for a content-less message). */
  | { kind: "content"; content: string | null; refusal?: string; finishReason?: string; usage?: { prompt_tokens: number; completion_tokens: number } }
  | { kind: "emptyChoices" }
  /** An HTTP error with an OpenAI-style error body. */
  | { kind: "status"; status: number; message?: string; param?: string; headers?: Record<string, string> }
  /** Accepts the request and never answers (the client's timeout has to fire). */
  | { kind: "hang" }
  /** Destroys the socket without a response. */
  | { kind: "reset" }
  /** Waits for `release()`, then sends `then`. */
  | { kind: "hold"; then: FakeReply };

export type ScriptEntry = FakeReply | ((request: RecordedRequest) => FakeReply);

export const reply = {
  json: (label: string, usage = { prompt_tokens: 120, completion_tokens: 6 }): FakeReply => ({ kind: "content", content: JSON.stringify({ label }), usage }),
  text: (content: string, usage = { prompt_tokens: 120, completion_tokens: 6 }): FakeReply => ({ kind: "content", content, usage }),
  emptyChoices: (): FakeReply => ({ kind: "emptyChoices" }),
  status: (status: number, message = `status ${status}`, headers?: Record<string, string>, param?: string): FakeReply => ({ kind: "status", status, message, headers, param }),
  rateLimited: (headers?: Record<string, string>): FakeReply => ({ kind: "status", status: 429, message: "Rate limit reached", headers }),
  hang: (): FakeReply => ({ kind: "hang" }),
  reset: (): FakeReply => ({ kind: "reset" }),
  hold: (then: FakeReply): FakeReply => ({ kind: "hold", then }),
};

export class FakeOpenAIServer {
  readonly requests: RecordedRequest[] = [];
  /** Used when the script is empty. */
  fallback: ScriptEntry = reply.json("unused");
  inFlight = 0;
  maxInFlight = 0;
  private readonly script: ScriptEntry[] = [];
  private held: Array<() => void> = [];
  private inFlightWaiters: Array<{ n: number; resolve: () => void }> = [];
  private readonly leaving = new WeakMap<ServerResponse, () => void>();

  private constructor(
    private readonly server: Server,
    readonly baseURL: string,
  ) {}

  static async start(): Promise<FakeOpenAIServer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const fake = new FakeOpenAIServer(server, `http://127.0.0.1:${port}/v1`);
    server.on("request", (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const raw = Buffer.concat(chunks).toString("utf8");
        let body: unknown = raw;
        try {
          body = JSON.parse(raw);
        } catch {
          // keep the raw text; a test asserting on it will show what arrived
        }
        const request: RecordedRequest = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body };
        fake.requests.push(request);
        fake.enter(res);
        const entry = fake.script.shift() ?? fake.fallback;
        fake.respond(res, typeof entry === "function" ? entry(request) : entry);
      });
    });
    return fake;
  }

  /** Queues replies for the next requests, in order. */
  enqueue(...entries: ScriptEntry[]): this {
    this.script.push(...entries);
    return this;
  }

  /** Lets every held request answer. */
  release(): void {
    const held = this.held;
    this.held = [];
    for (const go of held) go();
  }

  /** Resolves once at least `n` requests are being served at the same time. */
  waitForInFlight(n: number): Promise<void> {
    if (this.inFlight >= n) return Promise.resolve();
    return new Promise((resolve) => this.inFlightWaiters.push({ n, resolve }));
  }

  async close(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private enter(res: ServerResponse): void {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    // A request stops counting the moment its answer is written (before the client can see it
    // and send the next one, so the count never overlaps), or when its connection drops.
    let left = false;
    const leave = () => {
      if (left) return;
      left = true;
      this.inFlight--;
    };
    this.leaving.set(res, leave);
    res.once("close", leave);
    const ready = this.inFlightWaiters.filter((w) => this.inFlight >= w.n);
    this.inFlightWaiters = this.inFlightWaiters.filter((w) => this.inFlight < w.n);
    for (const w of ready) w.resolve();
  }

  private respond(res: ServerResponse, r: FakeReply): void {
    if (r.kind !== "hang" && r.kind !== "hold") this.leaving.get(res)?.();
    switch (r.kind) {
      case "content":
        return sendJson(res, 200, {
          id: `chatcmpl-${this.requests.length}`,
          object: "chat.completion",
          created: 1_700_000_000,
          model: "fake-model",
          choices: [
            {
              index: 0,
              message: { role: "assistant", content: r.content, refusal: r.refusal ?? null },
              finish_reason: r.finishReason ?? "stop",
              logprobs: null,
            },
          ],
          usage: r.usage ? { ...r.usage, total_tokens: r.usage.prompt_tokens + r.usage.completion_tokens } : undefined,
        });
      case "emptyChoices":
        return sendJson(res, 200, {
          id: "chatcmpl-empty",
          object: "chat.completion",
          created: 1_700_000_000,
          model: "fake-model",
          choices: [],
          usage: { prompt_tokens: 50, completion_tokens: 0, total_tokens: 50 },
        });
      case "status":
        return sendJson(res, r.status, { error: { message: r.message ?? "error", type: "fake_error", param: r.param ?? null, code: null } }, r.headers);
      case "hang":
        return; // the client gives up; close() cleans the socket up
      case "reset":
        res.socket?.destroy();
        return;
      case "hold":
        this.held.push(() => this.respond(res, r.then));
        return;
    }
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}
