// What a chat-completions request to a task model may ask for, checked before anything is
// predicted: a task answers one label, deterministically, so parameters that ask for something
// else (several choices, tool calls, log probabilities) are refused by name rather than ignored,
// and a `response_format` decides how the label is written into the message content.
import { HttpError } from "../http/errors.js";

/** How the answer is written as the message's content. */
export type AnswerFormat =
  /** The label's `answer` text when the task defines one, else the label. */
  | { kind: "text" }
  /** A JSON object with the label under `property` (json_object: `label`; json_schema: the schema's one string property). */
  | { kind: "json"; property: string }
  /** A structured task's answer: its object's JSON, whatever the format asked for (see objectFormat). */
  | { kind: "object" };

function unsupported(parameter: string, why: string): HttpError {
  return new HttpError(400, `"${parameter}" is not supported for task models: ${why}`, "invalid_request_error", "unsupported_parameter", { param: parameter });
}

function badFormat(why: string, kind = "a label task"): HttpError {
  return new HttpError(400, `"response_format" cannot be honoured by ${kind}: ${why}`, "invalid_request_error", "unsupported_response_format", { param: "response_format" });
}

/** Refuses parameters a task model cannot honour; everything else (temperature, max_tokens, user…) leaves a label unchanged. */
export function refuseUnsupported(body: Record<string, unknown>): void {
  if (body.n !== undefined && body.n !== null && body.n !== 1) throw unsupported("n", "a task answers with exactly one choice; send n: 1 or leave it out");
  const tools = body.tools ?? body.functions;
  if (Array.isArray(tools) ? tools.length > 0 : tools !== undefined && tools !== null) {
    throw unsupported(body.tools !== undefined ? "tools" : "functions", "a task answers with a label, never a tool call; use response_format for a JSON answer");
  }
  for (const choice of ["tool_choice", "function_call"] as const) {
    const v = body[choice];
    if (v !== undefined && v !== null && v !== "none" && v !== "auto") throw unsupported(choice, "a task never calls tools");
  }
  if (body.logprobs === true || (body.top_logprobs !== undefined && body.top_logprobs !== null && body.top_logprobs !== 0)) {
    throw unsupported(body.logprobs === true ? "logprobs" : "top_logprobs", "a task has no token probabilities; the apprentice field carries the label's confidence");
  }
  const modalities = body.modalities;
  if (Array.isArray(modalities) && modalities.some((m) => m !== "text")) throw unsupported("modalities", "a task answers with text only");
  if (body.audio !== undefined && body.audio !== null) throw unsupported("audio", "a task answers with text only");
}

/**
 * The answer format a `response_format` asks for. A json_schema must describe an object that one
 * string property fills — the label — with every other property optional; an enum on it must
 * allow every label, so that whatever the task predicts validates against the client's schema.
 */
export function answerFormat(responseFormat: unknown, labels: readonly { name: string }[]): AnswerFormat {
  if (responseFormat === undefined || responseFormat === null) return { kind: "text" };
  if (typeof responseFormat !== "object" || Array.isArray(responseFormat)) throw badFormat("it must be an object with a type");
  const rf = responseFormat as { type?: unknown; json_schema?: unknown };
  if (rf.type === "text") return { kind: "text" };
  if (rf.type === "json_object") return { kind: "json", property: "label" };
  if (rf.type !== "json_schema") throw badFormat(`type ${JSON.stringify(rf.type)} is not one of text, json_object, json_schema`);
  const schema = (rf.json_schema as { schema?: unknown } | undefined)?.schema;
  if (typeof schema !== "object" || schema === null) throw badFormat("json_schema.schema is missing");
  const s = schema as { type?: unknown; properties?: unknown; required?: unknown };
  if (s.type !== "object" || typeof s.properties !== "object" || s.properties === null) throw badFormat('the schema must be of type "object" with properties');
  const properties = Object.entries(s.properties as Record<string, unknown>);
  const required = Array.isArray(s.required) ? (s.required as unknown[]) : [];
  const stringProps = properties.filter(([, p]) => typeof p === "object" && p !== null && (p as { type?: unknown }).type === "string");
  const candidates = required.length > 0 ? stringProps.filter(([name]) => required.includes(name)) : stringProps;
  if (candidates.length !== 1) throw badFormat(`the schema must have exactly one ${required.length > 0 ? "required " : ""}string property for the label, it has ${candidates.length}`);
  const others = required.filter((r) => r !== candidates[0][0]);
  if (others.length > 0) throw badFormat(`a label task fills one property; ${others.map((o) => JSON.stringify(o)).join(", ")} would be missing`);
  const [property, spec] = candidates[0];
  const allowed = (spec as { enum?: unknown }).enum;
  if (Array.isArray(allowed)) {
    const missing = labels.map((l) => l.name).filter((l) => !allowed.includes(l));
    if (missing.length > 0) throw badFormat(`the enum of "${property}" lacks ${missing.length} of the task's labels (e.g. ${JSON.stringify(missing[0])})`);
  }
  return { kind: "json", property };
}

/**
 * Checks a `response_format` against a structured task, whose content is always its object's JSON:
 * text and json_object take it as it is; a json_schema must be an object schema naming every
 * field of the task (the answer carries them all, null when absent) and no other required one.
 */
export function objectFormat(responseFormat: unknown, fields: readonly { name: string }[]): AnswerFormat {
  const format = { kind: "object" } as const;
  if (responseFormat === undefined || responseFormat === null) return format;
  const refuse = (why: string) => badFormat(why, "this structured task");
  if (typeof responseFormat !== "object" || Array.isArray(responseFormat)) throw refuse("it must be an object with a type");
  const rf = responseFormat as { type?: unknown; json_schema?: unknown };
  if (rf.type === "text" || rf.type === "json_object") return format;
  if (rf.type !== "json_schema") throw refuse(`type ${JSON.stringify(rf.type)} is not one of text, json_object, json_schema`);
  const schema = (rf.json_schema as { schema?: unknown } | undefined)?.schema;
  if (typeof schema !== "object" || schema === null) throw refuse("json_schema.schema is missing");
  const s = schema as { type?: unknown; properties?: unknown; required?: unknown };
  if (s.type !== "object" || typeof s.properties !== "object" || s.properties === null) throw refuse('the schema must be of type "object" with properties');
  const properties = new Set(Object.keys(s.properties));
  const missing = fields.filter((f) => !properties.has(f.name)).map((f) => f.name);
  if (missing.length > 0) throw refuse(`the schema lacks the task's field${missing.length > 1 ? "s" : ""} ${missing.map((m) => JSON.stringify(m)).join(", ")}`);
  const names = new Set(fields.map((f) => f.name));
  const extra = (Array.isArray(s.required) ? (s.required as unknown[]) : []).filter((r) => typeof r !== "string" || !names.has(r));
  if (extra.length > 0) throw refuse(`the schema requires ${extra.map((r) => JSON.stringify(r)).join(", ")}, which the task does not answer`);
  return format;
}

/** The message content for a predicted label (a structured task's: its canonical object). */
export function answerContent(format: AnswerFormat, label: string, answerText: string | undefined): string {
  if (format.kind === "object") return label;
  return format.kind === "text" ? (answerText ?? label) : JSON.stringify({ [format.property]: label });
}

/** A message's text: a string, or its text parts joined by newlines (null: no text at all). */
export function contentText(content: unknown): string | null {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    const parts = content.filter((p): p is { type: "text"; text: string } => typeof p === "object" && p !== null && (p as { type?: unknown }).type === "text" && typeof (p as { text?: unknown }).text === "string");
    return parts.length === 0 ? null : parts.map((p) => p.text).join("\n");
  }
  return null;
}
