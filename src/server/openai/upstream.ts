// Pass-through of non-task models to an upstream OpenAI-compatible LLM. The caller's JSON body is
// forwarded unchanged with the upstream's own key (never the caller's gateway key); the upstream's
// status and body are relayed, and a streamed reply (SSE) is piped through as it arrives.
//
// Hardened against the upstream and the client alike: an error body is scrubbed of the upstream's
// key and of bearer tokens before it is relayed (an upstream that echoes the Authorization header
// must not hand its key to the caller; success bodies go through unchanged); the connection, the
// whole exchange and, for a streamed reply, each silence between chunks are timed out; the
// upstream request is aborted when the client goes away, so its socket is freed; and at most
// `concurrency` requests are in flight to the upstream, the excess waiting briefly for a slot.
import { request as httpRequest, type ClientRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { FastifyReply } from "fastify";
import { scrubSecret } from "../../teacher/scrub.js";
import { Semaphore } from "../../teacher/semaphore.js";
import { HttpError } from "../http/errors.js";
import type { GatewayMetrics } from "../operations/metrics.js";

export interface UpstreamOptions {
  /** The upstream's OpenAI-style base URL, e.g. `https://api.openai.com/v1`. */
  baseURL: string;
  apiKey?: string;
  /** Until the TCP (and TLS) connection is up. */
  connectTimeoutMs?: number;
  /** A reply that is not streamed: from sending the request to its last byte. */
  timeoutMs?: number;
  /** A streamed reply (SSE): the longest silence between two chunks; a generation may stream for longer than any total limit. */
  idleTimeoutMs?: number;
  /** Requests in flight to the upstream at once, across all callers. */
  concurrency?: number;
  /** How long a request over that bound waits for a slot before it is answered 503. */
  queueTimeoutMs?: number;
}

export const UPSTREAM_DEFAULTS = { connectTimeoutMs: 5_000, timeoutMs: 120_000, idleTimeoutMs: 30_000, concurrency: 64, queueTimeoutMs: 2_000 } as const;

/** Largest error body relayed: enough for any error message, bounded so an upstream cannot make the gateway buffer much. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

const RELAYED_HEADERS = ["content-type", "cache-control", "x-request-id", "openai-processing-ms", "retry-after"];

/** The upstream from the environment: APPRENTICE_UPSTREAM_* first, then OPENAI_BASE_URL / OPENAI_API_KEY. */
export function upstreamFromEnv(env: NodeJS.ProcessEnv = process.env): UpstreamOptions | undefined {
  const baseURL = env.APPRENTICE_UPSTREAM_BASE_URL || env.OPENAI_BASE_URL;
  if (!baseURL) return undefined;
  const apiKey = env.APPRENTICE_UPSTREAM_API_KEY || env.OPENAI_API_KEY;
  return { baseURL, ...(apiKey ? { apiKey } : {}) };
}

/** Largest successful reply kept for capture (a captured answer is a small JSON object; a bigger reply is relayed, not learned). */
const MAX_CAPTURED_BYTES = 1024 * 1024;

/**
 * What was relayed, handed to whoever captures it once the app has it all: `body` is the whole
 * successful reply (status < 400), null for a failure (relayed as it came; status 0 when the
 * upstream never answered or the client went away), for a reply broken off, or for one longer
 * than MAX_CAPTURED_BYTES.
 */
export interface RelayedReply {
  status: number;
  streamed: boolean;
  body: string | null;
}

export interface ForwardOptions {
  metrics?: GatewayMetrics | undefined;
  /** Called once, after the reply's last byte went to the app and off its path, whenever forward() returns rather than throws. */
  tap?: (reply: RelayedReply) => void;
}

/** Why the exchange with the upstream stopped before a reply could be relayed. */
class UpstreamStop extends Error {
  constructor(readonly kind: "connect_timeout" | "timeout" | "client_gone") {
    super(kind);
  }
}

export class Upstream {
  readonly #options: Required<Omit<UpstreamOptions, "apiKey">> & Pick<UpstreamOptions, "apiKey">;
  readonly #slots: Semaphore;
  readonly #url: URL;

  constructor(options: UpstreamOptions) {
    this.#options = { ...UPSTREAM_DEFAULTS, ...options };
    this.#slots = new Semaphore(this.#options.concurrency);
    this.#url = new URL(`${options.baseURL.replace(/\/+$/, "")}/chat/completions`);
  }

  /** Requests in flight to the upstream now, and waiting for a slot. */
  get load(): { inFlight: number; waiting: number } {
    return { inFlight: this.#slots.inUse, waiting: this.#slots.waiting };
  }

  /** Forwards a chat-completions body and relays the reply on `reply` (hijacked for a success). */
  async forward(body: unknown, reply: FastifyReply, options: ForwardOptions = {}): Promise<FastifyReply> {
    const { metrics } = options;
    let tapped = false;
    const tap = (relayed: RelayedReply): void => {
      if (tapped || options.tap === undefined) return;
      tapped = true;
      const take = options.tap;
      setImmediate(() => take(relayed));
    };
    const failed = (status: number): RelayedReply => ({ status, streamed: false, body: null });
    const o = this.#options;
    const clientGone = new AbortController();
    const onClose = (): void => {
      if (!reply.raw.writableFinished) clientGone.abort(new UpstreamStop("client_gone"));
    };
    reply.raw.once("close", onClose);
    if (reply.raw.destroyed || reply.request.raw.socket?.destroyed) onClose();

    let release: () => void;
    try {
      release = await this.#slots.acquire(AbortSignal.any([clientGone.signal, AbortSignal.timeout(o.queueTimeoutMs)]));
    } catch {
      if (clientGone.signal.aborted) {
        tap(failed(0));
        return reply;
      }
      throw new HttpError(503, `the upstream LLM is busy: ${o.concurrency} requests to it are in flight (the gateway's bound, upstream.concurrency) and none finished within ${o.queueTimeoutMs} ms; retry shortly`, "api_error", "upstream_busy", undefined, { "retry-after": "1" });
    }

    const exchange = new Exchange(this.#url, o, clientGone.signal);
    let res: IncomingMessage;
    try {
      res = await exchange.send(JSON.stringify(body));
    } catch (err) {
      exchange.end();
      release();
      reply.raw.off("close", onClose);
      metrics?.upstreamCalls.inc({ status: "0" });
      const kind = err instanceof UpstreamStop ? err.kind : null;
      if (kind === "client_gone") {
        tap(failed(0));
        return reply;
      }
      if (kind === "connect_timeout") throw new HttpError(504, `the upstream LLM did not accept a connection within ${o.connectTimeoutMs} ms`, "api_error", "upstream_timeout");
      if (kind === "timeout") throw new HttpError(504, `the upstream LLM did not answer within ${o.timeoutMs} ms`, "api_error", "upstream_timeout");
      // The error may carry request details; only a generic message goes back (never the key).
      throw new HttpError(502, "the upstream LLM is unreachable", "api_error", "upstream_unreachable");
    }
    metrics?.upstreamCalls.inc({ status: String(res.statusCode ?? 0) });
    const headers: Record<string, string> = {};
    for (const h of RELAYED_HEADERS) {
      const v = res.headers[h];
      if (typeof v === "string") headers[h] = v;
    }
    const status = res.statusCode ?? 502;
    const finish = (): void => {
      exchange.end();
      release();
      reply.raw.off("close", onClose);
    };

    if (status >= 400) {
      try {
        const text = await readCapped(res, MAX_ERROR_BODY_BYTES);
        const relayed = text === null ? JSON.stringify({ error: { message: `the upstream LLM answered HTTP ${status} with an error body too large to relay`, type: "api_error", code: "upstream_error" } }) : scrubSecret(text, o.apiKey);
        return await reply.code(status).headers(headers).send(relayed);
      } catch {
        if (clientGone.signal.aborted) return reply;
        throw new HttpError(502, `the upstream LLM broke off its HTTP ${status} answer`, "api_error", "upstream_unreachable");
      } finally {
        finish();
        tap(failed(status));
      }
    }

    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(status, headers);
    const streamed = /^text\/event-stream/i.test(headers["content-type"] ?? "");
    // A streamed reply may run as long as the generation does: only silence ends it.
    if (streamed) exchange.idleTimeout(o.idleTimeoutMs, res);
    res.once("end", () => raw.end());
    if (options.tap !== undefined) keepFor(res, (text) => tap({ status, streamed, body: text }));
    res.once("close", finish);
    // The upstream broke off mid-reply, or a timeout cut it: the status is already sent, so the connection is cut.
    res.once("error", () => raw.destroy());
    res.pipe(raw, { end: false });
    return reply;
  }

  /**
   * Sends a chat-completions body for the gateway's own use (a captured task's audit) and reads the
   * whole reply, which goes to no client: status 0 when the upstream could not be reached, was
   * busy or timed out; `text` null when the reply was over MAX_CAPTURED_BYTES.
   */
  async call(body: unknown, metrics?: GatewayMetrics): Promise<{ status: number; text: string | null }> {
    const o = this.#options;
    let release: () => void;
    try {
      release = await this.#slots.acquire(AbortSignal.timeout(o.queueTimeoutMs));
    } catch {
      return { status: 0, text: null };
    }
    const exchange = new Exchange(this.#url, o, new AbortController().signal);
    try {
      const res = await exchange.send(JSON.stringify(body));
      metrics?.upstreamCalls.inc({ status: String(res.statusCode ?? 0) });
      return { status: res.statusCode ?? 0, text: await readCapped(res, MAX_CAPTURED_BYTES) };
    } catch {
      metrics?.upstreamCalls.inc({ status: "0" });
      return { status: 0, text: null };
    } finally {
      exchange.end();
      release();
    }
  }
}

/** One request to the upstream with its timers; end() clears them and frees the socket if the exchange did not finish. */
class Exchange {
  readonly #controller = new AbortController();
  #timer: NodeJS.Timeout | null = null;
  #req: ClientRequest | null = null;
  #res: IncomingMessage | null = null;

  constructor(
    private readonly url: URL,
    private readonly options: Required<Pick<UpstreamOptions, "connectTimeoutMs" | "timeoutMs">> & UpstreamOptions,
    clientGone: AbortSignal,
  ) {
    clientGone.addEventListener("abort", () => this.#controller.abort(clientGone.reason), { once: true });
    this.#timer = setTimeout(() => this.#controller.abort(new UpstreamStop("timeout")), options.timeoutMs);
  }

  send(body: string): Promise<IncomingMessage> {
    const { url, options } = this;
    const secure = url.protocol === "https:";
    const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json, text/event-stream", "content-length": String(Buffer.byteLength(body)) };
    if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
    return new Promise((resolve, reject) => {
      const signal = this.#controller.signal;
      if (signal.aborted) return reject(signal.reason as Error);
      const req = (secure ? httpsRequest : httpRequest)(url, { method: "POST", headers, signal });
      this.#req = req;
      req.once("socket", (socket) => {
        if (!socket.connecting) return;
        const timer = setTimeout(() => this.#controller.abort(new UpstreamStop("connect_timeout")), options.connectTimeoutMs);
        socket.once(secure ? "secureConnect" : "connect", () => clearTimeout(timer));
        socket.once("close", () => clearTimeout(timer));
      });
      req.once("response", (res) => {
        this.#res = res;
        resolve(res);
      });
      // An abort surfaces here as an AbortError whose cause is the reason given to abort().
      req.once("error", (err) => reject(signal.aborted ? (signal.reason as Error) : err));
      req.end(body);
    });
  }

  /** From now on, a silence of `ms` between two chunks ends the exchange (replaces the total limit). */
  idleTimeout(ms: number, res: IncomingMessage): void {
    const arm = (): void => {
      if (this.#timer !== null) clearTimeout(this.#timer);
      this.#timer = setTimeout(() => this.#controller.abort(new UpstreamStop("timeout")), ms);
    };
    arm();
    res.on("data", arm);
  }

  end(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    // Aborting a finished exchange changes nothing; an unfinished one is cut and its socket closed.
    if (this.#req !== null && !this.#req.destroyed && this.#res?.complete !== true) this.#controller.abort(new UpstreamStop("client_gone"));
  }
}

/**
 * Keeps a copy of the bytes the reply relays (up to MAX_CAPTURED_BYTES) and hands them over once
 * it ended (the tap runs in a later turn: the relay is not slowed, and an error in the taker
 * cannot reach it); the first of end and close counts.
 */
function keepFor(res: IncomingMessage, take: (text: string | null) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  res.on("data", (chunk: Buffer) => {
    size += chunk.length;
    if (size <= MAX_CAPTURED_BYTES) chunks.push(chunk);
  });
  res.once("end", () => take(size > MAX_CAPTURED_BYTES ? null : Buffer.concat(chunks).toString("utf8")));
  // Broken off (the upstream or a timeout cut it, or the client went away): nothing to learn.
  res.once("close", () => take(null));
}

/** The body as text, or null when it is longer than `max` bytes (the rest is not read). */
async function readCapped(res: IncomingMessage, max: number): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) {
      res.destroy();
      return null;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}
