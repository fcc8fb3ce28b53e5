// The upstream's answer to a captured call, read from the bytes relayed to the app: a plain
// chat.completion, or a stream of chat.completion.chunk events assembled the way the SDKs do. What
// the task learns is the message's content (a json_schema response_format) or the forced tool
// call's arguments; a reply cut short (finish_reason "length") or without either is no answer.

export interface UpstreamAnswer {
  /** The JSON text of the answer, or null with `problem` saying why there is none. */
  json: string | null;
  problem?: string;
  usage?: { prompt_tokens: number; completion_tokens: number };
}

interface Message {
  content: string;
  args: string;
  finish: string | null;
  usage?: UpstreamAnswer["usage"];
}

/** Reads a relayed reply body; `streamed`: its content type was text/event-stream. */
export function readUpstreamReply(body: string, streamed: boolean, via: "response_format" | "tool"): UpstreamAnswer {
  let message: Message;
  try {
    message = streamed ? assembleStream(body) : readCompletion(body);
  } catch (err) {
    return { json: null, problem: `the reply is not an OpenAI chat completion: ${(err as Error).message}` };
  }
  const usage = message.usage === undefined ? {} : { usage: message.usage };
  if (message.finish === "length") return { json: null, problem: "the answer was cut short (finish_reason: length)", ...usage };
  const json = via === "tool" ? message.args : message.content;
  if (json.trim() === "") return { json: null, problem: via === "tool" ? "the reply holds no tool call arguments" : "the reply has no content", ...usage };
  return { json, ...usage };
}

function readCompletion(body: string): Message {
  const reply = JSON.parse(body) as { choices?: { message?: { content?: unknown; tool_calls?: { function?: { arguments?: unknown } }[] }; finish_reason?: unknown }[]; usage?: unknown };
  const choice = reply.choices?.[0];
  if (choice === undefined) throw new Error("it has no choices");
  const content = typeof choice.message?.content === "string" ? choice.message.content : "";
  const args = choice.message?.tool_calls?.[0]?.function?.arguments;
  return { content, args: typeof args === "string" ? args : "", finish: typeof choice.finish_reason === "string" ? choice.finish_reason : null, ...usageOf(reply.usage) };
}

/** Concatenates the deltas of choice 0 (content, and the first tool call's arguments), as the SDKs' stream helpers do. */
function assembleStream(body: string): Message {
  const message: Message = { content: "", args: "", finish: null };
  for (const line of body.split("\n")) {
    if (!line.startsWith("data:")) continue;
    const data = line.slice(5).trim();
    if (data === "" || data === "[DONE]") continue;
    const chunk = JSON.parse(data) as { choices?: { index?: number; delta?: { content?: unknown; tool_calls?: { index?: number; function?: { arguments?: unknown } }[] }; finish_reason?: unknown }[]; usage?: unknown };
    for (const choice of chunk.choices ?? []) {
      if ((choice.index ?? 0) !== 0) continue;
      if (typeof choice.delta?.content === "string") message.content += choice.delta.content;
      for (const call of choice.delta?.tool_calls ?? []) if ((call.index ?? 0) === 0 && typeof call.function?.arguments === "string") message.args += call.function.arguments;
      if (typeof choice.finish_reason === "string") message.finish = choice.finish_reason;
    }
    Object.assign(message, usageOf(chunk.usage));
  }
  return message;
}

function usageOf(usage: unknown): { usage?: UpstreamAnswer["usage"] } {
  if (typeof usage !== "object" || usage === null) return {};
  const u = usage as { prompt_tokens?: unknown; completion_tokens?: unknown };
  return typeof u.prompt_tokens === "number" && typeof u.completion_tokens === "number" ? { usage: { prompt_tokens: u.prompt_tokens, completion_tokens: u.completion_tokens } } : {};
}
