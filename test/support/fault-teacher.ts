// A fault-injecting teacher: a local server (127.0.0.1, port 0) speaking the OpenAI
// chat-completions protocol, whose replies are scripted per request. Each request takes the next
// scripted fault, or the normal mode (a valid answer) once the script is empty. Nothing here
// waits on a wall clock except the slow modes, whose delays the tests keep below or above the
// client's timeout as an upper bound only.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type Fault =
  /** A valid completion answering `label` (the normal mode). */
  | { kind: "answer"; label: string }
  /** A completion whose content is `content` as it is (a structured task's object, say). */
  | { kind: "content"; content: string }
  /** Accepts the request and never answers: the client's timeout has to end it. */
  | { kind: "timeout" }
  /** Headers at once, then the body a few bytes every `intervalMs` (a slow stream). */
  | { kind: "slow_stream"; label: string; intervalMs: number }
  /** The whole (valid) response after `delayMs`. */
  | { kind: "slow_response"; label: string; delayMs: number }
  /** Destroys the socket without a response. */
  | { kind: "reset" }
  /** An HTTP error with an OpenAI-style body; `retryAfter` sets the Retry-After header (seconds). */
  | { kind: "status"; status: number; message?: string; retryAfter?: string }
  /** 200 with a body that is not JSON. */
  | { kind: "malformed_json" }
  /** A completion whose content names a label outside the task's set. */
  | { kind: "off_label"; label: string }
  /** A completion with `choices: []`. */
  | { kind: "empty_choices" };

export const fault = {
  answer: (label: string): Fault => ({ kind: "answer", label }),
  content: (content: string): Fault => ({ kind: "content", content }),
  timeout: (): Fault => ({ kind: "timeout" }),
  slowStream: (label: string, intervalMs: number): Fault => ({ kind: "slow_stream", label, intervalMs }),
  slowResponse: (label: string, delayMs: number): Fault => ({ kind: "slow_response", label, delayMs }),
  reset: (): Fault => ({ kind: "reset" }),
  status: (status: number, message?: string): Fault => ({ kind: "status", status, ...(message === undefined ? {} : { message }) }),
  rateLimited: (retryAfter?: string): Fault => ({ kind: "status", status: 429, message: "Rate limit reached", ...(retryAfter === undefined ? {} : { retryAfter }) }),
  malformedJson: (): Fault => ({ kind: "malformed_json" }),
  offLabel: (label = "not-a-label"): Fault => ({ kind: "off_label", label }),
  emptyChoices: (): Fault => ({ kind: "empty_choices" }),
};

export interface FaultRequest {
  url: string;
  authorization: string | undefined;
  /** The parsed body (undefined if it was not JSON). */
  body: { messages?: { role: string; content: string }[] } | undefined;
  fault: Fault;
}

export class FaultTeacher {
  /** Every request received, with the fault it was given. */
  readonly requests: FaultRequest[] = [];
  /** What requests get once the script is empty: by default a valid answer from `answerFor`. */
  normal: (text: string) => Fault = (text) => fault.answer(this.answerFor(text));
  /** The label the normal mode answers for a user text. */
  answerFor: (text: string) => string = () => "billing";
  readonly #script: Fault[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();

  private constructor(
    private readonly server: Server,
    readonly baseURL: string,
  ) {}

  static async start(): Promise<FaultTeacher> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const teacher = new FaultTeacher(server, `http://127.0.0.1:${port}/v1`);
    server.on("request", (req, res) => teacher.#handle(req, res));
    return teacher;
  }

  /** Queues faults for the next requests, in order. */
  script(...faults: Fault[]): this {
    this.#script.push(...faults);
    return this;
  }

  /** Faults still queued. */
  get pending(): number {
    return this.#script.length;
  }

  reset(): void {
    this.#script.length = 0;
    this.requests.length = 0;
  }

  async close(): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      let body: FaultRequest["body"];
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as FaultRequest["body"];
      } catch {
        body = undefined;
      }
      const text = [...(body?.messages ?? [])].reverse().find((m) => m.role === "user")?.content ?? "";
      const f = this.#script.shift() ?? this.normal(text);
      this.requests.push({ url: req.url ?? "", authorization: req.headers.authorization, body, fault: f });
      this.#respond(res, f);
    });
  }

  #later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, ms);
    this.#timers.add(t);
  }

  #respond(res: ServerResponse, f: Fault): void {
    switch (f.kind) {
      case "answer":
        return send(res, 200, completion(JSON.stringify({ label: f.label })));
      case "content":
        return send(res, 200, completion(f.content));
      case "off_label":
        return send(res, 200, completion(JSON.stringify({ label: f.label })));
      case "empty_choices":
        return send(res, 200, { ...completion(""), choices: [] });
      case "malformed_json":
        res.writeHead(200, { "content-type": "application/json" });
        return void res.end('{"id": "chatcmpl-broken", "choices": [{"message": ');
      case "status": {
        const headers: Record<string, string> = f.retryAfter === undefined ? {} : { "retry-after": f.retryAfter };
        return send(res, f.status, { error: { message: f.message ?? `status ${f.status}`, type: "fault", param: null, code: null } }, headers);
      }
      case "timeout":
        return; // close() drops the socket if the client has not given up first
      case "reset":
        return void res.socket?.destroy();
      case "slow_response":
        return this.#later(f.delayMs, () => send(res, 200, completion(JSON.stringify({ label: f.label }))));
      case "slow_stream": {
        const text = JSON.stringify(completion(JSON.stringify({ label: f.label })));
        res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
        const step = (from: number): void => {
          if (res.destroyed) return;
          if (from >= text.length) return void res.end();
          res.write(text.slice(from, from + 16));
          this.#later(f.intervalMs, () => step(from + 16));
        };
        return step(0);
      }
    }
  }
}

function completion(content: string): Record<string, unknown> {
  return {
    id: "chatcmpl-fault",
    object: "chat.completion",
    created: 1_700_000_000,
    model: "fault-model",
    choices: [{ index: 0, message: { role: "assistant", content, refusal: null }, finish_reason: "stop", logprobs: null }],
    usage: { prompt_tokens: 100, completion_tokens: 5, total_tokens: 105 },
  };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}
