// Predictions and corrections as the API takes and returns them (routes/predictions.ts; the chat
// completion's `apprentice` field is a prediction too, openai/schemas.ts).
import { z } from "zod";
import type { RouteMode } from "../../cascade/router.js";
import { StructuredObjectSchema } from "../http/api-schemas.js";
import { InputTextSchema, MAX_TEXT_CHARS } from "./tasks.js";

export const MAX_PREDICT_INPUTS = 1000;

const PREDICT_ROUTES = ["auto", "specialist", "teacher"] as const satisfies readonly RouteMode[];

export const PredictRequestSchema = z
  .object(
    {
      input: InputTextSchema.optional().describe("One text."),
      inputs: z
        .array(InputTextSchema)
        .min(1, "must not be empty")
        .max(MAX_PREDICT_INPUTS, { error: (issue) => `at most ${MAX_PREDICT_INPUTS} inputs per request, got ${(issue.input as unknown[]).length}` })
        .optional()
        .describe("A batch, answered in order."),
      route: z
        .enum(PREDICT_ROUTES, { error: `must be one of ${PREDICT_ROUTES.join(", ")}` })
        .default("auto")
        .meta({ id: "PredictRoute", description: "`auto` (default): the cascade decides; `specialist` or `teacher` forces one (409 when there is no specialist yet)." }),
    },
    { error: 'must be {"input": "..."} or {"inputs": ["...", ...]}' },
  )
  .superRefine((body, ctx) => {
    if (body.input !== undefined && body.inputs !== undefined) ctx.addIssue({ code: "custom", message: 'give either "input" or "inputs", not both' });
    if (body.input === undefined && body.inputs === undefined) ctx.addIssue({ code: "custom", message: 'must be {"input": "..."} or {"inputs": ["...", ...]}' });
  })
  .meta({ id: "PredictRequest", description: `Either one \`input\` or up to ${MAX_PREDICT_INPUTS} \`inputs\` (each at most ${MAX_TEXT_CHARS} characters), not both.` });

/** What was decided about one input: the chat completion's `apprentice` field, and a prediction without the echoed input and route. */
export const PredictionSchema = z.object({
  label: z.string().nullable().describe("The predicted label; null when the teacher gave no valid answer."),
  confidence: z.number().nullable().describe("The specialist's calibrated confidence; null when the teacher answered."),
  source: z.enum(["specialist", "teacher", "none"]).describe("Who answered (`none`: nobody could; only in a batch, a single prediction answers 502/503 instead)."),
  model_version: z.number().int().nullable().describe("The specialist version that routed or answered; null before the first one."),
  request_id: z.string().describe("Id of the logged request; send it to the feedback route to correct the label."),
  latency_ms: z.number(),
  status: z.enum(["ok", "teacher_invalid", "teacher_error", "degraded"]).describe("`degraded`: the teacher failed and the specialist's prediction stands in (`teacher.on_failure: specialist`)."),
  degraded: z.boolean().describe("The label is the specialist's fallback for a failed teacher: not checked by the teacher, never learned from."),
});

export const FieldPredictionsSchema = z
  .record(
    z.string(),
    z.object({
      confidence: z.number().describe("The specialist's probability for the field's value."),
      spans: z
        .array(z.object({ start: z.number().int().describe("UTF-16 offset in the input."), end: z.number().int().describe("UTF-16 offset, exclusive."), text: z.string().describe("The input's characters there."), probability: z.number() }))
        .optional()
        .describe("Extract and extract_list fields only."),
    }),
  )
  .meta({ id: "FieldPredictions", description: "Per field, the specialist's probability for its value and, for extracted fields, the spans it marked in the input." });

const PredictResultSchema = z
  .object({
    input: z.string().describe("The input, echoed."),
    route: z.enum(PREDICT_ROUTES).describe("The route asked for."),
    ...PredictionSchema.shape,
    output: StructuredObjectSchema.nullable()
      .optional()
      .describe("Structured tasks only: the answer as its object (`label` holds the same object as canonical JSON); null when nobody gave a valid answer."),
    fields: FieldPredictionsSchema.optional().describe("Structured tasks, specialist answers only."),
  })
  .meta({ id: "PredictResult" });

export const PredictReplySchema = z.xor([PredictResultSchema, z.object({ data: z.array(PredictResultSchema) }).meta({ id: "PredictBatch" })]);

const feedbackFields = {
  request_id: z.string().describe("From a prediction's `request_id`."),
  text: InputTextSchema.optional().describe("The request's input: needed when the task keeps only a hash of its inputs (`privacy: hash_inputs`), and must match it."),
};

/** A label task's correction. */
export const LabelFeedbackSchema = z.object({ ...feedbackFields, label: z.string({ error: 'a label task takes the answer as {"label": "..."}' }).describe("The right label.") });
/** A structured task's correction. */
export const OutputFeedbackSchema = z.object({ ...feedbackFields, output: StructuredObjectSchema });

export const FeedbackRequestSchema = z.xor([LabelFeedbackSchema, OutputFeedbackSchema]).meta({
  id: "FeedbackRequest",
  description: "`label` for a label task; `output` for a structured task, checked as a teacher's object is (every required field, choices from their enums, extracted values found in the input).",
});

export const FeedbackReplySchema = z
  .object({
    ok: z.boolean(),
    request_id: z.string(),
    label: z.string().describe("The recorded answer: the label, or a structured task's object as canonical JSON."),
    previous_label: z.string().nullable().describe("The label the gateway had answered."),
  })
  .meta({ id: "FeedbackReply" });
