// A structured task's `output` block as a task file or the API gives it: the subset of JSON Schema
// users already write for OpenAI structured outputs, plus short forms that read well in YAML. The
// zod schema checks the block's top level and reports every problem compile (output-fields.ts)
// finds in its fields, at its path. Anything the specialist cannot learn is kept as `teacher_only`
// and reported (teacherOnlyNotices) rather than refused: the teacher can still answer it.
//
// Full form (JSON Schema):
//   output:
//     type: object
//     properties:
//       intent: { type: string, enum: [refund, complaint] }        # choice
//       urgent: { type: [boolean, "null"] }                         # boolean, may be null
//       topics: { type: array, items: { type: string, enum: [a, b] } }          # tags
//       amount: { type: string, x-extract: true }                  # extract (copied from the text)
//       people: { type: array, items: { type: string, x-extract: true } }       # extract_list
//       summary: { type: string, description: One sentence. }       # teacher_only
//     required: [intent, urgent, topics, amount, people, summary]  # absent: every field
//
// Short forms (the same fields):
//   intent: { enum: [refund, complaint] }     topics: { tags: [a, b] }
//   amount: { extract: true }                 people: { extract_list: true }
import { z } from "zod";
import { compile, FIELD_NAME_PATTERN, MAX_DESCRIPTION_CHARS, MAX_ENUM_VALUES, MAX_FIELDS } from "./output-fields.js";

/** A block of each kind of field the specialist learns, as the API documentation shows it. */
export const OUTPUT_EXAMPLE = { properties: { intent: { enum: ["send_money", "request_money"] }, amount: { extract: true }, recipient: { extract: true }, urgent: { type: "boolean" } } };

const TYPE_NAME = { type: "string", enum: ["string", "boolean", "number", "integer", "array", "null"] };
const list = (description: string) => ({ type: "array", items: { type: "string" }, minItems: 1, description });

/**
 * One field as /openapi.json describes it. Each is parsed as unknown and checked by compile(),
 * which names what is wrong at its path; this only documents the keywords compile reads (its
 * KEYWORDS), hence JSON Schema written out rather than a zod schema that would check them too.
 */
const OutputFieldSchema = z.unknown().meta({
  id: "OutputField",
  type: "object",
  description:
    "One field, in full form (`{type: string, enum: [...]}`, `{type: [boolean, \"null\"]}`, `{type: array, items: {type: string, x-extract: true}}`) " +
    "or a short form (`{enum: [...]}`, `{tags: [...]}`, `{extract: true}`, `{extract_list: true}`); `\"null\"` in `type` (or `nullable: true`, or null in the enum) lets it be absent.",
  properties: {
    type: { oneOf: [TYPE_NAME, { type: "array", items: TYPE_NAME }] },
    enum: { type: "array", items: { type: ["string", "null"] }, minItems: 1, description: "The values of a choice (or, in `items`, of tags)." },
    tags: list("Short form: an array of these values (any subset)."),
    extract: { type: "boolean", description: "Short form: a string copied from the input." },
    "x-extract": { type: "boolean", description: "The value is copied from the input (located in it; case and spacing may differ)." },
    extract_list: { type: "boolean", description: "Short form: every such string in the input." },
    items: { $ref: "#/components/schemas/OutputField", description: "An array's item: an enum string (tags) or an extracted string (a list)." },
    nullable: { type: "boolean" },
    description: { type: "string", description: "Shown to the teacher." },
    title: { type: "string" },
  },
  additionalProperties: false,
});

export const OutputSchema = z
  .object({
    /** May be left out (YAML); when given, the top level must be an object. */
    type: z.literal("object").optional(),
    description: z.string().max(MAX_DESCRIPTION_CHARS).optional(),
    properties: z
      .record(z.string(), OutputFieldSchema)
      .meta({ description: "Field name (a letter, then letters, digits or `_`, at most 64) → its schema.", propertyNames: { pattern: FIELD_NAME_PATTERN.source }, minProperties: 1 }),
    /** The fields an answer must contain; absent: all of them (what strict structured outputs want anyway). */
    required: z
      .array(z.string())
      .optional()
      .describe("Fields an answer must give (null allowed when the field is nullable); absent: every field. A field left out is optional, and nullable."),
    additionalProperties: z.literal(false).optional(),
  })
  .strict()
  .superRefine((output, ctx) => {
    for (const p of compile(output).problems) ctx.addIssue({ code: "custom", path: p.path, message: p.message });
  })
  .meta({
    id: "OutputBlock",
    description:
      "The fields of a structured task's answer: the subset of JSON Schema OpenAI structured outputs take, plus short forms. " +
      "Field kinds: a string with an `enum` is a choice; a boolean; an array of enum strings is tags; a string with `x-extract: true` (short `extract: true`) is copied from the input, null when absent; an array of those is an extracted list (short `extract_list: true`); " +
      `anything else (a free string, a number) is teacher-only: the teacher answers it, the specialist cannot learn it. At most ${MAX_FIELDS} fields, ${MAX_ENUM_VALUES} enum values in all; no nested objects or arrays of objects.`,
    example: OUTPUT_EXAMPLE,
  });

