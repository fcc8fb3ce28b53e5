// A chat completion the gateway answers itself (a task model's answer, or a captured task's
// specialist answer), in the shape the OpenAI SDKs read: one object, or the same as a stream of
// chunks. The answer is the message content, or one tool call whose arguments it is.
import type { FastifyReply } from "fastify";
import type { PredictResult } from "../runtime/predict.js";

export interface CompletionParts {
  /** `chatcmpl-<request id>`: the completion's id leads to its row in the request log. */
  id: string;
  requestId: string;
  /** The model name as the app asked for it. */
  model: string;
  /** The answer text: the content, or the tool call's arguments. */
  content: string;
  /** Answer as this tool's call instead of as content. */
  tool?: { name: string };
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  /** What the gateway decided, beside the OpenAI fields. */
  apprentice: object;
}

/**
 * What the gateway decided, beside the OpenAI fields: the prediction result without the echoed
 * input and route (spelled out: a rest pattern copied the object on a slow path).
 */
export function apprenticeField(result: PredictResult) {
  return {
    label: result.label,
    confidence: result.confidence,
    source: result.source,
    model_version: result.model_version,
    request_id: result.request_id,
    latency_ms: result.latency_ms,
    status: result.status,
    degraded: result.degraded,
  };
}

/** About four characters a token: a rough count for `usage`. */
export function roughTokens(text: string): number {
  return text.length === 0 ? 0 : Math.max(1, Math.ceil(text.length / 4));
}

const toolCallId = (p: CompletionParts) => `call_${p.requestId}`;

/** The chat.completion object. */
export function completionBody(p: CompletionParts) {
  const message =
    p.tool === undefined
      ? { role: "assistant", content: p.content, refusal: null }
      : { role: "assistant", content: null, refusal: null, tool_calls: [{ id: toolCallId(p), type: "function", function: { name: p.tool.name, arguments: p.content } }] };
  return {
    id: p.id,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: p.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: p.tool === undefined ? "stop" : "tool_calls" }],
    usage: p.usage,
    apprentice: p.apprentice,
  };
}

/** Writes the completion as server-sent chunks (the usage chunk when the request's stream_options asked for it). */
export function streamCompletion(reply: FastifyReply, p: CompletionParts, includeUsage: boolean): FastifyReply {
  const base = { id: p.id, object: "chat.completion.chunk", created: Math.floor(Date.now() / 1000), model: p.model };
  const deltas =
    p.tool === undefined
      ? [{ role: "assistant", content: "" }, { content: p.content }]
      : [
          { role: "assistant", content: null, tool_calls: [{ index: 0, id: toolCallId(p), type: "function", function: { name: p.tool.name, arguments: "" } }] },
          { tool_calls: [{ index: 0, function: { arguments: p.content } }] },
        ];
  const chunks: object[] = [
    ...deltas.map((delta) => ({ ...base, choices: [{ index: 0, delta, finish_reason: null }] })),
    { ...base, choices: [{ index: 0, delta: {}, finish_reason: p.tool === undefined ? "stop" : "tool_calls" }], apprentice: p.apprentice },
  ];
  if (includeUsage) chunks.push({ ...base, choices: [], usage: p.usage });
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive", "x-request-id": p.requestId });
  for (const c of chunks) raw.write(`data: ${JSON.stringify(c)}\n\n`);
  raw.end("data: [DONE]\n\n");
  return reply;
}

/** Whether a streamed request asked for the usage chunk. */
export function wantsUsage(body: Record<string, unknown>): boolean {
  return (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
}

/** The rough usage of a request's messages and an answer. */
export function roughUsage(messages: readonly unknown[], content: string, contentText: (c: unknown) => string | null): CompletionParts["usage"] {
  const prompt = messages.reduce((n: number, m: unknown) => n + roughTokens(contentText((m as { content?: unknown })?.content) ?? ""), 0);
  const completion = roughTokens(content);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}
