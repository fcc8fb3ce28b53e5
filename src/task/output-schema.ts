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
import { compile, MAX_DESCRIPTION_CHARS } from "./output-fields.js";

export const OutputSchema = z
  .object({
    /** May be left out (YAML); when given, the top level must be an object. */
    type: z.literal("object").optional(),
    description: z.string().max(MAX_DESCRIPTION_CHARS).optional(),
    properties: z.record(z.string(), z.unknown()),
    /** The fields an answer must contain; absent: all of them (what strict structured outputs want anyway). */
    required: z.array(z.string()).optional(),
    additionalProperties: z.literal(false).optional(),
  })
  .strict()
  .superRefine((output, ctx) => {
    for (const p of compile(output).problems) ctx.addIssue({ code: "custom", path: p.path, message: p.message });
  });

