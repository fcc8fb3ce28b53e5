// Components of the API that several rooms of the gateway reply with or take: declared once here,
// referred to by `$ref` in /openapi.json (route-spec-docs.ts hoists every schema with an id).
import { z } from "zod";
import { EXAMPLE_ORIGINS, EXAMPLE_SOURCES } from "../../store/schema.js";
import { TASK_NAME_PATTERN } from "../../task/task-name.js";

/** Epoch milliseconds, documented as `<what>, epoch milliseconds`. */
export const epochMsSchema = (what: string) => z.number().int().describe(`${what}, epoch milliseconds`);


export const StructuredObjectSchema = z.record(z.string(), z.unknown()).meta({
  id: "StructuredObject",
  description:
    "A structured task's answer: one key per field of its output block — a choice's value (or `none_of_these`: the message fits none of its values), true/false, a list of tags, a string copied from the input (null: absent), a list of such strings, a teacher-only field's value. " +
    "In requests (feedback, edits, imports) it is checked as a teacher's answer is: every required field given, no other keys, extracted values found in the text.",
  example: { intent: "send_money", amount: "40", recipient: "Anna", urgent: false },
});

export const ExampleSchema = z
  .object({
    id: z.number().int(),
    text: z.string(),
    label: z.string().describe("The label; for a structured task, its object as canonical JSON (fields in task order)."),
    source: z.enum(EXAMPLE_SOURCES),
    holdout: z.boolean().describe("Held out from training: used for the routing threshold and to compare versions."),
    audited: z.boolean().describe("Came from a live audit of the specialist."),
    created_at: epochMsSchema("Creation time"),
    updated_at: epochMsSchema("When its label or source last changed"),
    origin: z
      .enum(EXAMPLE_ORIGINS)
      .nullable()
      .describe("What caused the current label: an import, feedback, a teacher answer through predict or chat completions, an audit, or an admin's edit; null for examples stored before this was recorded."),
    key_id: z.number().int().nullable().describe("The API key whose request caused it (null: none, e.g. the configuration file's import)."),
    key_name: z.string().nullable().describe("That key's name."),
  })
  .meta({ id: "Example" });

/**
 * A task's `:name` in a route's path (routes that declare no params are documented with it too).
 * The pattern is documented, not checked: a name that fits no task is a 404 whatever its spelling.
 */
export const taskNameSchema = z.string().meta({ description: "The task's name.", pattern: TASK_NAME_PATTERN.source, examples: ["banking-demo"] });
