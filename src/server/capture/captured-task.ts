// The task a captured call founds: a structured task whose output block is the app's own answer
// schema, read the way the specialist can learn it, and whose capture block says how the app asks.
import { TaskError } from "../../task/definition.js";
import { parseStructuredTask, type StructuredTask } from "../../task/structured.js";
import type { CapturedCall } from "./captured-call.js";
import type { CaptureSettings } from "./capture-settings.js";

/** The keywords of a field the output block reads; the rest (format, pattern, minLength…) constrain the LLM, not the answer's shape. */
const FIELD_KEYWORDS = new Set(["type", "description", "enum", "items", "nullable"]);
const MAX_INSTRUCTIONS = 20_000;

/**
 * A plain string field the LLM fills is taken to be copied from the message (x-extract): for the
 * calls where it is, the specialist learns to find it; where it is not, the answer is counted as
 * not learnable and the task stays on the LLM, just as a free-text field would keep it there.
 */
function fieldFor(schema: unknown): unknown {
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) return schema;
  const raw = schema as Record<string, unknown>;
  // A nested object is kept whole, so the output block's own check names the problem.
  if (raw.type === "object" || "properties" in raw) return raw;
  const field: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) if (FIELD_KEYWORDS.has(k)) field[k] = k === "items" ? fieldFor(v) : v;
  const types = Array.isArray(field.type) ? field.type : [field.type];
  if (types.includes("string") && field.enum === undefined) field["x-extract"] = true;
  return field;
}

/** The task's name: the header's, or the schema's name and the fingerprint's start (the same on every instance). */
export function capturedTaskName(call: CapturedCall): string {
  if (call.header !== null) return call.header;
  const stem = (call.schemaName ?? "captured").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40) || "captured";
  return `${stem}-${call.fingerprint.slice(0, 10)}`;
}

/** The definition of the task `call` founds, or why it cannot have one (the schema's first problem). */
export function capturedTaskDefinition(call: CapturedCall & { schema: Record<string, unknown> }, settings: Pick<CaptureSettings, "privacy" | "task_defaults">, follows?: string): StructuredTask | { problem: string } {
  const properties = call.schema.properties;
  if (typeof properties !== "object" || properties === null || Array.isArray(properties)) return { problem: "the schema is not an object with properties" };
  const output: Record<string, unknown> = {
    type: "object",
    properties: Object.fromEntries(Object.entries(properties).map(([name, field]) => [name, fieldFor(field)])),
    ...(Array.isArray(call.schema.required) ? { required: call.schema.required } : {}),
  };
  const instructions = call.system.trim() === "" ? `Answer calls to ${call.model} with the ${call.schemaName ?? "answer"} schema.` : call.system.slice(0, MAX_INSTRUCTIONS);
  try {
    return parseStructuredTask({
      name: capturedTaskName(call),
      description: `Captured from calls to ${call.model}${call.schemaName === undefined ? "" : ` (${call.via === "tool" ? "tool" : "schema"} ${call.schemaName})`}.`,
      instructions,
      output,
      // The reply to a call has gone to the app already when the LLM fails: nothing may stand in for it.
      teacher: { on_failure: "fail" },
      privacy: settings.privacy,
      ...settings.task_defaults,
      capture: {
        fingerprints: [call.fingerprint],
        model: call.model,
        via: call.via,
        ...(call.schemaName === undefined ? {} : { schema_name: call.schemaName.slice(0, 200) }),
        ...(follows === undefined ? {} : { follows }),
      },
    });
  } catch (err) {
    if (err instanceof TaskError) return { problem: err.message };
    throw err;
  }
}
