// A chat completion the gateway answers itself (a task model's answer, or a captured task's
// specialist answer), in the shape the OpenAI SDKs read: one object, or the same as a stream of
// chunks. The answer is the message content, or one tool call whose arguments it is.
import type { FastifyReply } from "fastify";
import { parseCanonical } from "../../engine/structured-answer.js";
import { noneFields } from "../../task/output-fields.js";
import { isStructuredTask, outputFields, type AnyTask } from "../../task/structured.js";
import type { PredictResult } from "../runtime/predict.js";
import { answerContent, type AnswerFormat } from "./chat-request.js";

export interface CompletionParts {
  /** `chatcmpl-<request id>`: the completion's id leads to its row in the request log. */
  id: string;
  requestId: string;
  /** The model name as the app asked for it. */
  model: string;
  /** The answer text: the content, or the tool call's arguments (or the refusal). */
  content: string;
  /** Answer as this tool's call instead of as content. */
  tool?: { name: string };
  /** `content` is a refusal: the message's `refusal`, its content null (see taskReply). */
  refusal?: boolean;
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

/**
 * What a task model's chat completion says for a prediction (`label`, the answer): the message
 * content, a refusal, or the request passed on to the upstream LLM.
 */
export type TaskReply =
  /** `refusal`: the content is a refusal (message.content null, message.refusal this text). */
  | { content: string; refusal?: boolean }
  /** Forward the request to the upstream LLM under this model and relay its reply. */
  | { upstream_model: string };

/**
 * The reply for a task's answer. A label task's is its label's `answer` text (else the label) or
 * the label as JSON, as `format` asks; a structured task's, its object's JSON. A "none of these"
 * answer (the none label; a structured object with a choice field answered none) follows the
 * task's `none` block: `upstream_model` (while the gateway has an upstream LLM) passes the
 * request on, `answer` is the content. A structured task without either answers as OpenAI does
 * when a structured output cannot be given: a refusal naming the fields, which the SDKs' parse
 * helpers surface (message.refusal, parsed null). `isNone`: the task's test for a none answer (its
 * cascade's SpecialistKind.isNone, built once per task; absent: it has none); `hasUpstream`:
 * whether an upstream is configured.
 */
export function taskReply(task: AnyTask, format: AnswerFormat, label: string, isNone: ((answer: string) => boolean) | undefined, hasUpstream: boolean): TaskReply {
  // isNone is a substring test for a structured answer: no parsing unless it is a none answer.
  const answeredNone = isNone?.(label) === true;
  const none = answeredNone ? task.none : undefined;
  if (none?.upstream_model !== undefined && hasUpstream) return { upstream_model: none.upstream_model };
  if (isStructuredTask(task)) {
    if (!answeredNone) return { content: answerContent(format, label, undefined) };
    if (none?.answer !== undefined) return { content: none.answer };
    return { content: noneRefusal(noneFields(outputFields(task), parseCanonical(label))), refusal: true };
  }
  return { content: answerContent(format, label, none?.answer ?? task.labels.find((l) => l.name === label)?.answer) };
}

/** The refusal of a structured answer some fields of which are "none of these": one sentence naming them. */
export function noneRefusal(fields: readonly string[]): string {
  const names = fields.map((f) => JSON.stringify(f));
  const list = names.length === 1 ? names[0] : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
  return `The message fits none of the values of ${names.length === 1 ? "field" : "fields"} ${list}, so no answer can be given.`;
}

/** The chat.completion object. */
export function completionBody(p: CompletionParts) {
  const message =
    p.tool !== undefined
      ? { role: "assistant", content: null, refusal: null, tool_calls: [{ id: toolCallId(p), type: "function", function: { name: p.tool.name, arguments: p.content } }] }
      : p.refusal === true
        ? { role: "assistant", content: null, refusal: p.content }
        : { role: "assistant", content: p.content, refusal: null };
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
    p.tool !== undefined
      ? [
          { role: "assistant", content: null, tool_calls: [{ index: 0, id: toolCallId(p), type: "function", function: { name: p.tool.name, arguments: "" } }] },
          { tool_calls: [{ index: 0, function: { arguments: p.content } }] },
        ]
      : p.refusal === true
        ? [{ role: "assistant", content: null, refusal: "" }, { refusal: p.content }]
        : [{ role: "assistant", content: "" }, { content: p.content }];
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
