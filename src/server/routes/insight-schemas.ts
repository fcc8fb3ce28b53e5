// What the insight routes (insights.ts) take and answer, and the limits both they and their
// documentation state.
import { z } from "zod";
import { REVIEW_KINDS, REQUEST_SOURCES } from "../../store/index.js";
import { CURVE_POINTS, TOP_CONFUSIONS } from "../runtime/model-report.js";
import { epochMsSchema, StructuredObjectSchema } from "../http/api-schemas.js";
import { enumSchema, integerSchema, timeWindowQuery } from "../http/query-params.js";
import { FieldPredictionsSchema } from "./prediction-schemas.js";
import { InputTextSchema } from "./tasks.js";

export const BUCKET_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
const BUCKET_NAMES = ["minute", "hour", "day"] as const satisfies readonly (keyof typeof BUCKET_MS)[];
export const MAX_TRAFFIC_BUCKETS = 2000;
const DEFAULT_REVIEW_LIMIT = 50;
const MAX_REVIEW_LIMIT = 200;
/** Labels listed with their probabilities in review items and explanations. */
export const TOP_LABELS = 5;

export const TrafficQuery = z.object({
  ...timeWindowQuery({ since: "24 hours before `until`", until: "now" }),
  bucket: enumSchema(`Bucket size; at most ${MAX_TRAFFIC_BUCKETS} buckets per window.`, BUCKET_NAMES, "hour"),
});

export const ReviewQuery = z.object({
  kind: enumSchema("Which queue.", ["all", ...REVIEW_KINDS], "all"),
  limit: integerSchema(`Items at most, up to ${MAX_REVIEW_LIMIT}.`, 1, MAX_REVIEW_LIMIT, DEFAULT_REVIEW_LIMIT),
});

export const TrafficSchema = z
  .object({
    bucket: z.enum(BUCKET_NAMES),
    bucket_ms: z.number().int().describe("Bucket size in milliseconds."),
    since: epochMsSchema("Window start (inclusive)"),
    until: epochMsSchema("Window end (exclusive)"),
    series: z
      .array(
        z.object({
          start: epochMsSchema("Bucket start (a multiple of bucket_ms: UTC-aligned); the first and last buckets count only their part inside the window"),
          requests: z.number().int(),
          specialist: z.number().int(),
          teacher: z.number().int(),
          none: z.number().int().describe("Requests nobody could answer (the teacher failed)."),
          none_of_these: z.number().int().describe('Requests answered "none of these" (the task\'s out_of_scope_label, else none_of_these; for a structured task, answers with a choice field `none_of_these`); part of the sources\' counts, not stacked on them.'),
          cost: z.number().describe("Teacher cost, in the currency of the task's prices."),
          cost_saved: z.number().nullable().describe("The bucket's requests priced at the window's mean cost per teacher call, minus their cost; null when the window has no paid teacher call."),
        }),
      )
      .describe("Contiguous buckets, oldest first, zeros where there were no requests."),
  })
  .meta({ id: "Traffic" });

const CoveragePointSchema = z
  .object({
    threshold: z.number().describe("The specialist answers when its confidence is ≥ this."),
    coverage: z.number().describe("Share of held-out texts it would answer."),
    accuracy: z.number().describe("Accuracy on those texts (0 when none)."),
  })
  .meta({ id: "CoveragePoint" });

/** What both kinds of report say about the live version and its threshold. */
const reportHead = {
  model_version: z.number().int().nullable().describe("The live version."),
  threshold: z.number().nullable().describe("The live routing threshold; null: the specialist does not answer yet."),
  threshold_reason: z.string().describe("Why this threshold, or why none."),
  holdout_examples: z.number().int().describe("Held-out examples the report is computed on."),
  chosen: CoveragePointSchema.nullable().describe("The live threshold's point (null without a threshold)."),
};
const curve = (description: string) => z.array(CoveragePointSchema).max(CURVE_POINTS).describe(description);

const LabelModelReportSchema = z
  .object({
    ...reportHead,
    accuracy: z.number().describe("Share of held-out texts whose top label is right."),
    macro_f1: z.number().describe("Mean F1 over the labels present in the holdout."),
    curve: curve("Threshold descending, coverage ascending. Texts the router never lets the specialist answer (out of scope) are never covered."),
    labels: z.array(z.string()).describe("The task's labels in task order (then any other label found in the holdout)."),
    confusion: z.array(z.array(z.number().int())).describe("confusion[i][j]: held-out texts of labels[i] predicted as labels[j]."),
    top_confusions: z
      .array(z.object({ actual: z.string(), predicted: z.string(), count: z.number().int() }))
      .max(TOP_CONFUSIONS)
      .describe("Off-diagonal cells, largest first."),
    per_label: z.array(z.object({ label: z.string(), precision: z.number(), recall: z.number(), f1: z.number(), support: z.number().int().describe("Held-out texts of this label.") })),
  })
  .meta({ id: "LabelModelReport" });

const StructuredModelReportSchema = z
  .object({
    kind: z.literal("structured"),
    ...reportHead,
    exact_match: z.number().describe("Share of held-out texts whose whole object the specialist gets right (every field)."),
    curve: curve("Threshold descending, coverage ascending; accuracy is exact match."),
    per_field: z
      .array(
        z.object({
          field: z.string(),
          agreement: z.number().describe("Share of held-out texts where the specialist's value equals the reference's (never below exact_match)."),
          with_value: z.number().int().describe("Held-out references that give the field a value (not null, not empty)."),
        }),
      )
      .describe("The fields the specialist learns (teacher-only ones left out), in the task's order."),
  })
  .meta({ id: "StructuredModelReport" });

export const ModelReportSchema = z
  .xor([LabelModelReportSchema, StructuredModelReportSchema])
  .meta({ id: "ModelReport", description: "A label task's report, or a structured task's (`kind: structured`)." });

const labelProbabilities = z
  .array(z.object({ label: z.string(), probability: z.number().describe("0–1") }))
  .max(TOP_LABELS)
  .describe(`The live specialist's ${TOP_LABELS} most probable labels, most probable first (empty before the first model).`);

export const ReviewQueueSchema = z
  .object({
    data: z.array(
      z.object({
        request_id: z.string().describe("Send it to the feedback route with the right label."),
        kind: z.enum(REVIEW_KINDS),
        input: z.string(),
        created_at: epochMsSchema("Request time"),
        answer: z.object({ label: z.string().nullable(), source: z.enum(REQUEST_SOURCES), confidence: z.number().nullable() }),
        teacher_label: z.string().nullable().describe("The teacher's label when it was asked and answered validly."),
        top: labelProbabilities,
      }),
    ),
    pending: z
      .record(z.enum(REVIEW_KINDS), z.number().int())
      .describe("Requests in each queue (a request may count in more than one)."),
    low_confidence_below: z
      .number()
      .nullable()
      .describe(
        "`low_confidence` lists specialist answers whose confidence is below this: closer to the router's current threshold than to 1 (threshold + (1 − threshold) / 2). Null without a threshold: then every specialist answer.",
      ),
  })
  .meta({ id: "ReviewQueue" });

export const ExplainRequestSchema = z.object({ input: InputTextSchema }).meta({ id: "ExplainRequest" });

export const ExplanationSchema = z
  .object({
    model_version: z.number().int().nullable(),
    label: z.string().nullable().describe("The specialist's top label (null before the first model)."),
    confidence: z.number().nullable().describe("0–1"),
    top: labelProbabilities,
    unknown_share: z.number().nullable().describe("Share of the text's n-grams the specialist never learned."),
    out_of_scope_max: z.number().describe("The task's setting: above this unknown share the text is out of scope."),
    unknown_share_cut: z.number().describe("The cut the router applies: out_of_scope_max or the cut fitted on the holdout from the teacher's none answers, the lower."),
    scope_score: z.number().nullable().describe("Confidence in the best real label times the share of the text's n-grams the specialist learned (null before the first model)."),
    threshold: z.number().nullable(),
    route: z.object({
      decision: z.enum(["specialist", "teacher"]),
      reason: z.enum(["no_specialist", "no_threshold", "below_threshold", "out_of_scope", "out_of_scope_label", "confident", "surge", "held"]),
    }),
    output: StructuredObjectSchema.optional().describe("Structured tasks with a specialist: its object for the text (`label` is its canonical JSON)."),
    fields: FieldPredictionsSchema.optional().describe("Structured tasks with a specialist: its fields' probabilities and spans."),
  })
  .meta({ id: "Explanation" });
