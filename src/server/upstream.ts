// Pass-through of non-task models to an upstream OpenAI-compatible LLM. The caller's JSON body is
// forwarded unchanged with the upstream's own key (never the caller's gateway key); the upstream's
// status and body are relayed, and a streamed reply (SSE) is piped through as it arrives.
import { Readable } from "node:stream";
import type { FastifyReply } from "fastify";
import { HttpError } from "./errors.js";
import type { GatewayMetrics } from "./metrics.js";

export interface UpstreamOptions {
  /** The upstream's OpenAI-style base URL, e.g. `https://api.openai.com/v1`. */
  baseURL: string;
  apiKey?: string;
}

/** The upstream from the environment: APPRENTICE_UPSTREAM_* first, then OPENAI_BASE_URL / OPENAI_API_KEY. */
export function upstreamFromEnv(env: NodeJS.ProcessEnv = process.env): UpstreamOptions | undefined {
  const baseURL = env.APPRENTICE_UPSTREAM_BASE_URL || env.OPENAI_BASE_URL;
  if (!baseURL) return undefined;
  const apiKey = env.APPRENTICE_UPSTREAM_API_KEY || env.OPENAI_API_KEY;
  return { baseURL, ...(apiKey ? { apiKey } : {}) };
}

const RELAYED_HEADERS = ["content-type", "cache-control", "x-request-id", "openai-processing-ms", "retry-after"];

/** Forwards a chat-completions body to the upstream and relays its reply on `reply` (hijacked). */
export async function forwardChatCompletion(upstream: UpstreamOptions, body: unknown, reply: FastifyReply, metrics?: GatewayMetrics): Promise<FastifyReply> {
  const url = `${upstream.baseURL.replace(/\/+$/, "")}/chat/completions`;
  const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json, text/event-stream" };
  if (upstream.apiKey) headers.authorization = `Bearer ${upstream.apiKey}`;
  let res: Response;
  try {
    res = await fetch(url, { method: "POST", headers, body: JSON.stringify(body) });
  } catch {
    metrics?.upstreamCalls.inc({ status: "0" });
    // The error may carry request details; only a generic message goes back (never the key).
    throw new HttpError(502, "the upstream LLM is unreachable", "api_error", "upstream_unreachable");
  }
  metrics?.upstreamCalls.inc({ status: String(res.status) });
  const out: Record<string, string> = {};
  for (const h of RELAYED_HEADERS) {
    const v = res.headers.get(h);
    if (v !== null) out[h] = v;
  }
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(res.status, out);
  if (res.body === null) {
    raw.end();
    return reply;
  }
  const stream = Readable.fromWeb(res.body as import("node:stream/web").ReadableStream<Uint8Array>);
  // The upstream broke off mid-reply: the status is already sent, so the connection is cut.
  stream.on("error", () => raw.destroy());
  raw.on("close", () => stream.destroy());
  stream.pipe(raw);
  return reply;
}
