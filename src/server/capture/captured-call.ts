// Which forwarded chat completions belong to a captured task, and what of them the task keeps
// (README "Capture"). A call is captured when it asks for a structured answer — a json_schema
// response_format, or exactly one tool that it forces — or names its task in the
// X-Apprentice-Task header. Its task is found by a fingerprint of what makes the call the same
// task: the model, the system and developer messages, the turns before the last user message (an
// app's few-shot examples written as user and assistant messages), and the answer's schema (with
// its name and how it is asked for). The input is the last user message's text: the specialist
// reads that alone, so a call is one task's only when everything else in it is the task's fixed
// prompt (a conversation whose earlier turns vary is not captured; capture.ts).
import { createHash } from "node:crypto";
import { contentText } from "../openai/chat-request.js";

export const TASK_HEADER = "x-apprentice-task";

export interface CapturedCall {
  /** Hex SHA-256 of the call's canonical form (fingerprintOf). */
  fingerprint: string;
  /** The task the X-Apprentice-Task header names, if any. */
  header: string | null;
  model: string;
  via: "response_format" | "tool";
  /** The json_schema's name, or the forced tool's. */
  schemaName: string | undefined;
  /** The answer's JSON schema (null: the header names the task, and the call asks for no schema). */
  schema: Record<string, unknown> | null;
  /** The system and developer messages' text, in order. */
  system: string;
  /** The last user message's text: what the specialist reads. */
  input: string;
  /** How many messages other than system and developer ones come before it. */
  earlierTurns: number;
}

/** Why a forwarded call is not captured (counted in apprentice_capture_skipped_total). */
export type SkipReason = "no_schema" | "no_user_text" | "several_choices" | "not_forced_tool" | "bad_header" | "unrepeated_turns";

export type CaptureReading = { call: CapturedCall } | { skip: SkipReason } | null;

const HEADER_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/**
 * Reads a chat-completions body (already a JSON object) and its header: the captured call, the
 * reason it cannot be, or null when nothing marks it as a task at all (plain chat traffic).
 */
export function readCapturedCall(body: Record<string, unknown>, taskHeader: string | string[] | undefined): CaptureReading {
  const header = typeof taskHeader === "string" ? taskHeader.trim() : null;
  const answer = answerSchema(body);
  if (answer === null && header === null) return null;
  if (header !== null && !HEADER_NAME.test(header)) return { skip: "bad_header" };
  if (answer !== null && "skip" in answer) return answer;
  if (body.n !== undefined && body.n !== null && body.n !== 1) return { skip: "several_choices" };
  const messages = Array.isArray(body.messages) ? (body.messages as unknown[]) : [];
  const last = messages.findLastIndex((m) => isRecord(m) && m.role === "user");
  const input = last === -1 ? null : contentText((messages[last] as Record<string, unknown>).content);
  if (input === null || input.trim() === "") return { skip: "no_user_text" };
  const isPrompt = (m: unknown) => isRecord(m) && (m.role === "system" || m.role === "developer");
  const system = messages
    .filter(isPrompt)
    .map((m) => contentText((m as Record<string, unknown>).content) ?? "")
    .join("\n\n");
  const turns = messages.slice(0, last).filter((m) => !isPrompt(m)).map(turnOf);
  const model = typeof body.model === "string" ? body.model : "";
  const via = answer?.via ?? "response_format";
  const schema = answer?.schema ?? null;
  const schemaName = answer?.name;
  const fingerprint = cachedFingerprint({ model, system, via, schemaName, schema, ...(turns.length > 0 ? { turns } : {}) });
  return { call: { fingerprint, header, model, via, schemaName, schema, system, input, earlierTurns: turns.length } };
}

/** What of an earlier message makes the task: its role, text, and any tool calls or their ids. */
function turnOf(m: unknown): Record<string, unknown> {
  if (!isRecord(m)) return { message: m ?? null };
  const { role, content, tool_calls, tool_call_id, name } = m;
  return { role: role ?? null, content: contentText(content) ?? content ?? null, ...(tool_calls === undefined ? {} : { tool_calls }), ...(tool_call_id === undefined ? {} : { tool_call_id }), ...(name === undefined ? {} : { name }) };
}

/**
 * Fingerprints of the parts recent calls sent. An app sends the same prompt and schema call after
 * call, and building and hashing their canonical form costs about 20 µs a call; so does building a
 * string key of the parts (serialising the schema, then hashing that string in a Map). A call
 * instead finds the entries kept under its system text and compares the rest of its parts with
 * theirs as JSON values (under 1 µs for a schema of five fields): a match is exactly a call with
 * the same canonical form, whatever its key order. Bounded in system texts kept, in entries per
 * text, and in the length of a prompt kept (a longer one is hashed every time).
 */
interface FingerprintEntry {
  parts: FingerprintParts;
  fingerprint: string;
}
type FingerprintParts = Parameters<typeof fingerprintOf>[0];
const fingerprintCache = new Map<string, FingerprintEntry[]>();
const MAX_CACHED_SYSTEM_TEXTS = 256;
const MAX_ENTRIES_PER_SYSTEM_TEXT = 8;
const MAX_CACHED_PROMPT_CHARS = 64 * 1024;

function cachedFingerprint(parts: FingerprintParts): string {
  // Turns count toward the bound: a conversation's history can be long, and each is its own.
  const size = parts.system.length + (parts.turns === undefined ? 0 : JSON.stringify(parts.turns).length);
  if (size > MAX_CACHED_PROMPT_CHARS) return fingerprintOf(parts);
  let entries = fingerprintCache.get(parts.system);
  const hit = entries?.find((e) => e.parts.model === parts.model && e.parts.via === parts.via && e.parts.schemaName === parts.schemaName && sameJson(e.parts.schema, parts.schema) && sameJson(e.parts.turns, parts.turns));
  if (hit !== undefined) return hit.fingerprint;
  const fingerprint = fingerprintOf(parts);
  if (entries === undefined) {
    if (fingerprintCache.size >= MAX_CACHED_SYSTEM_TEXTS) fingerprintCache.delete(fingerprintCache.keys().next().value!);
    entries = [];
    fingerprintCache.set(parts.system, entries);
  }
  if (entries.length >= MAX_ENTRIES_PER_SYSTEM_TEXT) entries.shift();
  entries.push({ parts, fingerprint });
  return fingerprint;
}

/** Whether two values parsed from JSON are the same JSON value (object keys in any order). */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let keys = 0;
  for (const k in x) {
    if (!Object.hasOwn(y, k) || !sameJson(x[k], y[k])) return false;
    keys++;
  }
  for (const _ in y) keys--;
  return keys === 0;
}

type AnswerSchema = { via: "response_format" | "tool"; name: string | undefined; schema: Record<string, unknown> } | { skip: SkipReason };

/** The schema the call asks its answer to follow, or null when it asks for none. */
function answerSchema(body: Record<string, unknown>): AnswerSchema | null {
  const rf = body.response_format;
  if (isRecord(rf) && rf.type === "json_schema" && isRecord(rf.json_schema) && isRecord(rf.json_schema.schema)) {
    const name = typeof rf.json_schema.name === "string" ? rf.json_schema.name : undefined;
    return { via: "response_format", name, schema: rf.json_schema.schema };
  }
  const tools = Array.isArray(body.tools) ? body.tools.filter((t) => isRecord(t) && t.type === "function" && isRecord(t.function)) : [];
  if (tools.length === 0) return null;
  const forced = forcedTool(body.tool_choice, tools as { function: Record<string, unknown> }[]);
  if (forced === null) return { skip: "not_forced_tool" };
  const parameters = forced.function.parameters;
  if (!isRecord(parameters)) return { skip: "no_schema" };
  return { via: "tool", name: typeof forced.function.name === "string" ? forced.function.name : undefined, schema: parameters };
}

/** The one tool the call forces: tool_choice names it, or is "required" with a single tool. */
function forcedTool(choice: unknown, tools: { function: Record<string, unknown> }[]): { function: Record<string, unknown> } | null {
  if (choice === "required") return tools.length === 1 ? tools[0] : null;
  if (isRecord(choice) && choice.type === "function" && isRecord(choice.function)) {
    const name = choice.function.name;
    return tools.find((t) => t.function.name === name) ?? null;
  }
  return null;
}

/**
 * The fingerprint of a call's task: SHA-256 over its canonical form, where object keys are sorted
 * and runs of whitespace in the prompt are one space, so re-serialising a schema or re-indenting a
 * prompt keeps the task, while any change of wording, schema, name or model makes a new one.
 */
export function fingerprintOf(parts: { model: string; system: string; via: string; schemaName: string | undefined; schema: unknown; turns?: unknown[] }): string {
  const canonical = canonicalJson({ ...parts, schemaName: parts.schemaName ?? null, system: parts.system.replace(/\s+/g, " ").trim() });
  return createHash("sha256").update(canonical).digest("hex");
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (isRecord(value)) {
    const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}
