// A local OpenAI-compatible LLM for demos, tests and benchmarks of capture: it serves
// POST /v1/chat/completions on 127.0.0.1, answering each call with what `answer` says — plain or
// streamed in several chunks, as content or as the forced tool's arguments, with usage — so the
// gateway can be put in front of "the app's LLM" without a network or a model.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** What the simulated LLM answers a call with: the answer's text, or an HTTP error it replies with instead. */
export type SimulatedReply = { content: string } | { status: number; message: string };

export interface SimulatedLlm {
  /** The OpenAI base URL, `http://127.0.0.1:<port>/v1`. */
  url: string;
  /** Calls received so far. */
  readonly calls: number;
  close(): Promise<void>;
}

/** About four characters a token, like the gateway's rough usage. */
const tokens = (text: string) => Math.max(1, Math.ceil(text.length / 4));

/** Largest request body read (a call is a few kilobytes). */
const MAX_BODY_BYTES = 1024 * 1024;

export async function startSimulatedLlm(answer: (body: Record<string, unknown>) => SimulatedReply, port = 0): Promise<SimulatedLlm> {
  let calls = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on("end", () => {
      calls++;
      let body: Record<string, unknown>;
      try {
        if (size > MAX_BODY_BYTES) throw new Error("body too large");
        body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
      } catch (err) {
        res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: (err as Error).message, type: "invalid_request_error" } }));
        return;
      }
      const reply = answer(body);
      if ("status" in reply) {
        res.writeHead(reply.status, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: reply.message, type: "api_error", code: null } }));
        return;
      }
      writeCompletion(res, body, reply.content);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return {
    url,
    get calls() {
      return calls;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function writeCompletion(res: import("node:http").ServerResponse, body: Record<string, unknown>, content: string): void {
  const model = typeof body.model === "string" ? body.model : "simulated";
  const tool = forcedToolName(body);
  const prompt = JSON.stringify(body.messages ?? "").length;
  const usage = { prompt_tokens: tokens(" ".repeat(prompt)), completion_tokens: tokens(content), total_tokens: 0 };
  usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
  const id = "chatcmpl-sim";
  const created = Math.floor(Date.now() / 1000);
  const finish = tool === null ? "stop" : "tool_calls";
  if (body.stream !== true) {
    const message = tool === null ? { role: "assistant", content, refusal: null } : { role: "assistant", content: null, refusal: null, tool_calls: [{ id: "call_sim", type: "function", function: { name: tool, arguments: content } }] };
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ id, object: "chat.completion", created, model, choices: [{ index: 0, message, logprobs: null, finish_reason: finish }], usage }));
    return;
  }
  // Three pieces, as a model streams tokens: the gateway must relay them as they come.
  const third = Math.ceil(content.length / 3);
  const pieces = [content.slice(0, third), content.slice(third, 2 * third), content.slice(2 * third)];
  const chunk = (delta: object, finish_reason: string | null) => `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model, choices: [{ index: 0, delta, finish_reason }] })}\n\n`;
  res.writeHead(200, { "content-type": "text/event-stream" });
  res.write(chunk(tool === null ? { role: "assistant", content: "" } : { role: "assistant", content: null, tool_calls: [{ index: 0, id: "call_sim", type: "function", function: { name: tool, arguments: "" } }] }, null));
  for (const p of pieces) res.write(chunk(tool === null ? { content: p } : { tool_calls: [{ index: 0, function: { arguments: p } }] }, null));
  res.write(chunk({}, finish));
  const includeUsage = (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
  if (includeUsage) res.write(`data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model, choices: [], usage })}\n\n`);
  res.end("data: [DONE]\n\n");
}

function forcedToolName(body: Record<string, unknown>): string | null {
  const choice = body.tool_choice as { type?: unknown; function?: { name?: unknown } } | string | undefined;
  if (typeof choice === "object" && choice !== null && typeof choice.function?.name === "string") return choice.function.name;
  const tools = body.tools as { function?: { name?: unknown } }[] | undefined;
  if (choice === "required" && Array.isArray(tools) && tools.length === 1 && typeof tools[0].function?.name === "string") return tools[0].function.name;
  return null;
}

/** The last user message's text of a call (what an answer key looks up). */
export function lastUserText(body: Record<string, unknown>): string {
  const messages = Array.isArray(body.messages) ? (body.messages as { role?: unknown; content?: unknown }[]) : [];
  const last = messages.findLast((m) => m.role === "user");
  return typeof last?.content === "string" ? last.content : "";
}
