// The gateway's OpenAPI 3.1 document (GET /openapi.json) and a docs page that renders it (GET /docs).
// Most routes are described here by hand, in one table, because their files carry no schemas; the
// routes declared with http/route.ts are described from their specs (route-spec-docs.ts), which
// replace the table's entries. test/server/openapi.test.ts compares the table with
// the routes Fastify actually registered
// (method, path and `config.access`), so a route added without documentation fails the tests.
// The task schema is generated from the zod validator so the two cannot drift apart.
import { readFileSync } from "node:fs";
import type { FastifyInstance } from "fastify";
import { GatewayTaskSchema, TaskSchema } from "../../task/definition.js";
import { StructuredTaskSchema } from "../../task/structured.js";
import type { RouteAccess } from "../http/auth.js";
import { docsPage } from "./docs-page.js";
import { IGNORED_QUERY, route, type RouteSpec } from "../http/route.js";
import { routeDocOf } from "./route-spec-docs.js";
import {
  arrayOf,
  bool,
  epochMs,
  ERROR_RESPONSES,
  fromZod,
  int,
  json,
  jsonReply,
  nullable,
  num,
  object,
  oneOfStrings,
  ref,
  str,
  type ErrorStatus,
  type ParameterDoc,
  type ResponseDoc,
  type RouteDoc,
  type Schema,
} from "./openapi-shapes.js";
import { BUCKET_MS, DEFAULT_REVIEW_LIMIT, MAX_REVIEW_LIMIT, MAX_TRAFFIC_BUCKETS, TOP_LABELS } from "../routes/insights.js";
import { CURVE_POINTS, TOP_CONFUSIONS } from "../runtime/model-report.js";
import { FIELD_NAME_PATTERN, MAX_ENUM_VALUES, MAX_FIELDS } from "../../task/output-fields.js";
import { OutputSchema } from "../../task/output-schema.js";
import { CaptureBlockSchema } from "../../task/capture.js";
import { MAX_BATCH_CHARS, MAX_PREDICT_INPUTS, MAX_TEXT_CHARS } from "../routes/tasks.js";

export const ROLE_EXTENSION = "x-apprentice-role";

const errorRef = (status: ErrorStatus): Schema => ({ $ref: `#/components/responses/${ERROR_RESPONSES[status].name}` });

function errorResponseComponents(): Record<string, ResponseDoc> {
  const components: Record<string, ResponseDoc> = {};
  for (const [status, { name, description }] of Object.entries(ERROR_RESPONSES)) {
    const example = { error: { message: description, type: Number(status) >= 500 ? "api_error" : "invalid_request_error", code: null } };
    components[name] = jsonReply(description, ref("Error"), example);
  }
  components.Unauthorized.headers = { "WWW-Authenticate": { description: 'Always `Bearer realm="apprentice"`.', schema: str() } };
  components.ServiceUnavailable.headers = { "Retry-After": { description: "While the teacher's circuit breaker is open: whole seconds until it lets a probe through.", schema: int() } };
  components.TooManyRequests.headers = {
    "Retry-After": { description: "Whole seconds to wait before retrying.", schema: int() },
    "X-RateLimit-Limit": { description: "The key's burst size.", schema: int() },
    "X-RateLimit-Remaining": { description: "Requests the key may still send at once.", schema: int() },
  };
  return components;
}

/** The error statuses a route can return: its own, plus those implied by its role and its body. */
function errorStatuses(route: RouteDoc): Map<ErrorStatus, string | undefined> {
  const statuses = new Map<ErrorStatus, string | undefined>();
  if (route.body !== undefined) for (const s of [400, 413, 415] as const) statuses.set(s, undefined);
  if (route.access !== "open") for (const s of [401, 429] as const) statuses.set(s, undefined);
  if (route.access === "admin") statuses.set(403, undefined);
  for (const [s, description] of Object.entries(route.errors ?? {})) statuses.set(Number(s) as ErrorStatus, description);
  statuses.set(500, undefined);
  return new Map([...statuses].sort(([a], [b]) => a - b));
}

// ---------------------------------------------------------------------------------------------
// Component schemas

const PREDICT_ROUTES = ["auto", "specialist", "teacher"] as const;

const feedbackText = str("The request's input: needed when the task keeps only a hash of its inputs (`privacy: hash_inputs`), and must match it.");

/** A structured task as the API takes it: the label task's gateway settings (a teacher named, not configured) without its label keys, plus `output`. */
function structuredGatewayTask() {
  return GatewayTaskSchema.omit({ labels: true, out_of_scope_label: true, none: true }).extend({ output: OutputSchema, capture: CaptureBlockSchema.optional() });
}

/** A generated structured task schema with its `output` block pointing at the hand-written OutputBlock (zod only knows it as a record). */
function withOutputBlock(schema: Schema): Schema {
  const properties = schema.properties as Record<string, Schema>;
  return { ...schema, properties: { ...properties, output: ref("OutputBlock") } };
}

/** The `output` block of a structured task and the objects its answers are (src/task/output-schema.ts). */
function outputBlockSchemas(): Record<string, Schema> {
  const list = (description: string): Schema => arrayOf(str(), { minItems: 1, description });
  return {
    OutputBlock: {
      type: "object",
      description:
        "The fields of a structured task's answer: the subset of JSON Schema OpenAI structured outputs take, plus short forms. " +
        "Field kinds: a string with an `enum` is a choice; a boolean; an array of enum strings is tags; a string with `x-extract: true` (short `extract: true`) is copied from the input, null when absent; an array of those is an extracted list (short `extract_list: true`); " +
        `anything else (a free string, a number) is teacher-only: the teacher answers it, the specialist cannot learn it. At most ${MAX_FIELDS} fields, ${MAX_ENUM_VALUES} enum values in all; no nested objects or arrays of objects.`,
      properties: {
        type: { const: "object" },
        description: str(),
        properties: { type: "object", description: "Field name (a letter, then letters, digits or `_`, at most 64) → its schema.", propertyNames: { pattern: FIELD_NAME_PATTERN.source }, additionalProperties: ref("OutputField"), minProperties: 1 },
        required: arrayOf(str(), { description: "Fields an answer must give (null allowed when the field is nullable); absent: every field. A field left out is optional, and nullable." }),
        additionalProperties: { const: false },
      },
      required: ["properties"],
      additionalProperties: false,
      example: STRUCTURED_TASK_EXAMPLE.output,
    },
    OutputField: {
      type: "object",
      description:
        "One field, in full form (`{type: string, enum: [...]}`, `{type: [boolean, \"null\"]}`, `{type: array, items: {type: string, x-extract: true}}`) " +
        "or a short form (`{enum: [...]}`, `{tags: [...]}`, `{extract: true}`, `{extract_list: true}`); `\"null\"` in `type` (or `nullable: true`, or null in the enum) lets it be absent.",
      properties: {
        type: { oneOf: [oneOfStrings(["string", "boolean", "number", "integer", "array", "null"]), arrayOf(oneOfStrings(["string", "boolean", "number", "integer", "array", "null"]))] },
        enum: arrayOf({ type: ["string", "null"] }, { minItems: 1, description: "The values of a choice (or, in `items`, of tags)." }),
        tags: list("Short form: an array of these values (any subset)."),
        extract: bool("Short form: a string copied from the input."),
        "x-extract": bool("The value is copied from the input (located in it; case and spacing may differ)."),
        extract_list: bool("Short form: every such string in the input."),
        items: { $ref: "#/components/schemas/OutputField", description: "An array's item: an enum string (tags) or an extracted string (a list)." },
        nullable: bool(),
        description: str("Shown to the teacher."),
        title: str(),
      },
      additionalProperties: false,
    },
    StructuredObject: {
      type: "object",
      description:
        "A structured task's answer: one key per field of its output block — a choice's value, true/false, a list of tags, a string copied from the input (null: absent), a list of such strings, a teacher-only field's value. " +
        "In requests (feedback, edits, imports) it is checked as a teacher's answer is: every required field given, no other keys, extracted values found in the text.",
      additionalProperties: true,
      example: { intent: "send_money", amount: "40", recipient: "Anna", urgent: false },
    },
  };
}

function componentSchemas(): Record<string, Schema> {
  // The chat completion's `apprentice` field is the same result without the echoed input and route.
  const { input, route, ...decision } = {
    input: str("The input, echoed."),
    label: nullable(str("The predicted label; null when the teacher gave no valid answer.")),
    confidence: nullable(num("The specialist's calibrated confidence; null when the teacher answered.")),
    source: oneOfStrings(["specialist", "teacher", "none"], "Who answered (`none`: nobody could; only in a batch, a single prediction answers 502/503 instead)."),
    route: oneOfStrings(PREDICT_ROUTES, "The route asked for."),
    model_version: nullable(int("The specialist version that routed or answered; null before the first one.")),
    request_id: str("Id of the logged request; send it to the feedback route to correct the label."),
    latency_ms: num(),
    status: oneOfStrings(["ok", "teacher_invalid", "teacher_error", "degraded"], "`degraded`: the teacher failed and the specialist's prediction stands in (`teacher.on_failure: specialist`)."),
    degraded: bool("The label is the specialist's fallback for a failed teacher: not checked by the teacher, never learned from."),
  };
  return {
    Error: object({
      error: object(
        {
          message: str("What went wrong, for people."),
          type: str("OpenAI-style error type, e.g. `invalid_request_error`, `authentication_error`, `permission_error`."),
          code: nullable(str("A stable code for programs, e.g. `not_found`, `conflict`, `invalid_api_key`.")),
          details: { description: "Extra detail when there is some, e.g. the invalid rows of an import." },
        },
        ["details"],
      ),
    }),
    // Input: what a client sends (settings with defaults may be left out). Output: what is stored.
    // Either kind of task: `labels` makes a label task, `output` a structured one (both: 400).
    TaskInput: { description: "A label task (`labels`: the teacher picks one) or a structured task (`output`: the teacher answers a JSON object of the block's fields); giving both, or neither, is refused.", oneOf: [ref("LabelTaskInput"), ref("StructuredTaskInput")] },
    LabelTaskInput: fromZod(GatewayTaskSchema, "input"),
    StructuredTaskInput: withOutputBlock(fromZod(structuredGatewayTask(), "input")),
    TaskPatch: { ...fromZod(GatewayTaskSchema.partial(), "input"), description: "Fields to change; the rest of the stored definition is kept. The name cannot change." },
    Task: { description: "The stored definition: a label task or a structured task (`output`), every setting filled in.", oneOf: [ref("LabelTask"), ref("StructuredTask")] },
    LabelTask: fromZod(TaskSchema, "output"),
    StructuredTask: withOutputBlock(fromZod(StructuredTaskSchema, "output")),
    ...outputBlockSchemas(),
    TaskRecord: object({ name: str(), definition: ref("Task"), created_at: epochMs("Creation time"), updated_at: epochMs("Last change") }),
    TaskCreated: {
      allOf: [
        ref("TaskRecord"),
        object({ notices: arrayOf(str(), { description: "Structured tasks only, and only when there is something to say: one line per field only the teacher can answer (teacher-only: free strings, numbers), with how to make it learnable." }) }, ["notices"]),
      ],
    },
    TaskDetail: {
      allOf: [
        ref("TaskRecord"),
        object({
          model_version: nullable(int("Live specialist version (0: none yet).")),
          cascade: nullable({ type: "object", description: "Counters of the live cascade since the gateway started: requests, teacher_calls, specialist_answers, degraded_answers, audits, examples, version, threshold…", additionalProperties: true }),
          teacher: nullable(
            object({
              name: str("The teacher, e.g. `openai:gpt-4o-mini`."),
              on_failure: oneOfStrings(["specialist", "fail"], "The task's `teacher.on_failure` policy."),
              circuit: object({
                state: oneOfStrings(["closed", "open", "half_open"], "`open`: teacher calls fail fast; `half_open`: the cool-down is over and the next call probes the teacher."),
                consecutive_failures: int(),
                opened: int("Times the circuit opened since the gateway started."),
                cooldown_ms: int("The current cool-down (doubles after each failed probe, up to a cap)."),
                retry_at: nullable(epochMs("While open: when the next probe is let through")),
              }),
            }),
          ),
        }),
      ],
    },
    PredictRequest: {
      description: `Either one \`input\` or up to ${MAX_PREDICT_INPUTS} \`inputs\` (each at most ${MAX_TEXT_CHARS} characters).`,
      oneOf: [
        object({ input: { type: "string", minLength: 1, maxLength: MAX_TEXT_CHARS }, route: ref("PredictRoute") }, ["route"]),
        object({ inputs: arrayOf({ type: "string", minLength: 1, maxLength: MAX_TEXT_CHARS }, { minItems: 1, maxItems: MAX_PREDICT_INPUTS }), route: ref("PredictRoute") }, ["route"]),
      ],
    },
    PredictRoute: { ...oneOfStrings(PREDICT_ROUTES, "`auto` (default): the cascade decides; `specialist` or `teacher` forces one (409 when there is no specialist yet)."), default: "auto" },
    PredictResult: object(
      {
        input,
        route,
        ...decision,
        output: nullable({ ...ref("StructuredObject"), description: "Structured tasks only: the answer as its object (`label` holds the same object as canonical JSON); null when nobody gave a valid answer." }),
        fields: { ...ref("FieldPredictions"), description: "Structured tasks, specialist answers only." },
      },
      ["output", "fields"],
    ),
    FieldPredictions: {
      type: "object",
      description: "Per field, the specialist's probability for its value and, for extracted fields, the spans it marked in the input.",
      additionalProperties: object(
        {
          confidence: num("The specialist's probability for the field's value."),
          spans: arrayOf(object({ start: int("UTF-16 offset in the input."), end: int("UTF-16 offset, exclusive."), text: str("The input's characters there."), probability: num() }), { description: "Extract and extract_list fields only." }),
        },
        ["spans"],
      ),
    },
    PredictBatch: object({ data: arrayOf(ref("PredictResult")) }),
    FeedbackRequest: {
      description: "`label` for a label task; `output` for a structured task, checked as a teacher's object is (every required field, choices from their enums, extracted values found in the input).",
      oneOf: [
        object({ request_id: str("From a prediction's `request_id`."), label: str("The right label."), text: feedbackText }, ["text"]),
        object({ request_id: str("From a prediction's `request_id`."), output: ref("StructuredObject"), text: feedbackText }, ["text"]),
      ],
    },
    FeedbackReply: object({ ok: bool(), request_id: str(), label: str("The recorded answer: the label, or a structured task's object as canonical JSON."), previous_label: nullable(str("The label the gateway had answered.")) }),
    RetrainReply: object(
      {
        promoted: bool("The candidate became the live version."),
        version: int("Live version after this retrain (0: still none)."),
        trainExamples: int(),
        holdoutExamples: int(),
        candidateAccuracy: nullable(num("Candidate's holdout accuracy; null when training was impossible.")),
        currentAccuracy: nullable(num("The previous live version's accuracy on the same holdout.")),
        threshold: nullable({ type: "object", description: "The live version's routing threshold and its proof.", additionalProperties: true }),
        seconds: num(),
        reason: str(),
        model_version: int("The version serving now."),
      },
      [],
      { additionalProperties: true },
    ),
    Stats: object(
      {
        task: str(),
        since: epochMs("Window start"),
        until: nullable(epochMs("Window end (null: open)")),
        requests: int(),
        by_source: { type: "object", additionalProperties: { type: "integer" } },
        by_status: { type: "object", additionalProperties: { type: "integer" } },
        teacher_calls: int(),
        audited: int(),
        disagreements: int("Audits where the teacher disagreed with the answer given."),
        none_answers: int('Requests answered "none of these" (the task\'s out_of_scope_label, else none_of_these).'),
        none_share: num("none_answers / requests (0 without requests)."),
        audited_none: int('Audits the teacher answered "none of these": out-of-scope inputs the specialist gave a label (each also a disagreement).'),
        cost: num("Teacher cost, in the currency of the task's prices."),
        latency_p50_ms: nullable(num()),
        latency_p95_ms: nullable(num()),
        daily: arrayOf(object({ day: str("UTC day, YYYY-MM-DD"), start: epochMs("Day start"), requests: int(), specialist: int(), teacher: int(), cost: num() })),
        model_version: int(),
        examples: int(),
        budget: nullable({
          type: "object",
          description: "The task's teacher budget and its use in the current UTC hour and day; null when the task has none.",
          properties: {
            limits: { type: "object", additionalProperties: { type: "number" } },
            windows: arrayOf(object({ period: oneOfStrings(["hour", "day"]), calls: int(), cost: num(), calls_limit: nullable(int()), cost_limit: nullable(num()), window_start: epochMs("Window start"), resets_at: epochMs("Window end") })),
          },
        }),
      },
      [],
      { additionalProperties: true },
    ),
    ...insightSchemas(),
    ModelVersion: object({
      task: str(),
      version: int(),
      status: oneOfStrings(["candidate", "promoted", "retired", "rejected"]),
      metrics: { type: "object", additionalProperties: true },
      threshold: nullable(num()),
      artifact_bytes: int(),
      created_at: epochMs("Training time"),
      promoted_at: nullable(epochMs("Promotion time")),
    }),
    ModelList: object({ data: arrayOf(ref("ModelVersion")), promoted: nullable(int("The version that serves.")) }),
    PromoteReply: object({ task: str(), promoted: int(), model_version: nullable(int("The version the reloaded runtime serves.")) }),
    OpenAIModel: object({ id: str("`task:<name>` or an alias"), object: { const: "model" }, created: int("Epoch seconds"), owned_by: str() }),
    OpenAIModelList: object({ object: { const: "list" }, data: arrayOf(ref("OpenAIModel")) }),
    ChatCompletionRequest: object(
      {
        model: str("`task:<name>` for a task; any other model is forwarded to the upstream LLM when one is configured."),
        messages: arrayOf(object({ role: str(), content: { description: "A string or an array of content parts; the last user message's text is classified." } }, ["content"]), { minItems: 1 }),
        stream: bool(),
        stream_options: object({ include_usage: bool() }, ["include_usage"]),
      },
      ["stream", "stream_options"],
      { additionalProperties: true },
    ),
    ChatCompletion: object(
      {
        id: str(),
        object: { const: "chat.completion" },
        created: int(),
        model: str(),
        choices: arrayOf(object({ index: int(), message: object({ role: str(), content: str(), refusal: { type: "null" } }), logprobs: { type: "null" }, finish_reason: str() })),
        usage: object({ prompt_tokens: int(), completion_tokens: int(), total_tokens: int() }),
        apprentice: { ...object(decision), description: "Task models only: the prediction behind the reply." },
      },
      ["apprentice"],
      { additionalProperties: true },
    ),
  };
}

/** Schemas of the insight routes (routes/insights.ts). */
function insightSchemas(): Record<string, Schema> {
  const probability = num("0–1");
  const labelProbabilities = arrayOf(object({ label: str(), probability }), { description: `The live specialist's ${TOP_LABELS} most probable labels, most probable first (empty before the first model).`, maxItems: TOP_LABELS });
  const point = object({ threshold: num("The specialist answers when its confidence is ≥ this."), coverage: num("Share of held-out texts it would answer."), accuracy: num("Accuracy on those texts (0 when none).") });
  const reviewKinds = ["disagreement", "low_confidence", "teacher_invalid"];
  return {
    Traffic: object({
      bucket: oneOfStrings(Object.keys(BUCKET_MS)),
      bucket_ms: int("Bucket size in milliseconds."),
      since: epochMs("Window start (inclusive)"),
      until: epochMs("Window end (exclusive)"),
      series: arrayOf(
        object({
          start: epochMs("Bucket start (a multiple of bucket_ms: UTC-aligned); the first and last buckets count only their part inside the window"),
          requests: int(),
          specialist: int(),
          teacher: int(),
          none: int("Requests nobody could answer (the teacher failed)."),
          none_of_these: int('Requests answered "none of these" (the task\'s out_of_scope_label, else none_of_these); part of the sources\' counts, not stacked on them.'),
          cost: num("Teacher cost, in the currency of the task's prices."),
          cost_saved: nullable(num("The bucket's requests priced at the window's mean cost per teacher call, minus their cost; null when the window has no paid teacher call.")),
        }),
        { description: "Contiguous buckets, oldest first, zeros where there were no requests." },
      ),
    }),
    CoveragePoint: point,
    ModelReport: { description: "A label task's report, or a structured task's (`kind: structured`).", oneOf: [ref("LabelModelReport"), ref("StructuredModelReport")] },
    StructuredModelReport: object({
      kind: { const: "structured" },
      model_version: nullable(int("The live version.")),
      threshold: nullable(num("The live routing threshold; null: the specialist does not answer yet.")),
      threshold_reason: str("Why this threshold, or why none."),
      holdout_examples: int("Held-out examples the report is computed on."),
      exact_match: num("Share of held-out texts whose whole object the specialist gets right (every field)."),
      curve: arrayOf(ref("CoveragePoint"), { maxItems: CURVE_POINTS, description: "Threshold descending, coverage ascending; accuracy is exact match." }),
      chosen: { oneOf: [ref("CoveragePoint"), { type: "null" }], description: "The live threshold's point (null without a threshold)." },
      per_field: arrayOf(
        object({ field: str(), agreement: num("Share of held-out texts where the specialist's value equals the reference's (never below exact_match)."), with_value: int("Held-out references that give the field a value (not null, not empty).") }),
        { description: "The fields the specialist learns (teacher-only ones left out), in the task's order." },
      ),
    }),
    LabelModelReport: object({
      model_version: nullable(int("The live version.")),
      threshold: nullable(num("The live routing threshold; null: the specialist does not answer yet.")),
      threshold_reason: str("Why this threshold, or why none."),
      holdout_examples: int("Held-out examples the report is computed on."),
      accuracy: num("Share of held-out texts whose top label is right."),
      macro_f1: num("Mean F1 over the labels present in the holdout."),
      curve: arrayOf(ref("CoveragePoint"), { maxItems: CURVE_POINTS, description: "Threshold descending, coverage ascending. Texts the router never lets the specialist answer (out of scope) are never covered." }),
      chosen: { oneOf: [ref("CoveragePoint"), { type: "null" }], description: "The live threshold's point (null without a threshold)." },
      labels: arrayOf(str(), { description: "The task's labels in task order (then any other label found in the holdout)." }),
      confusion: arrayOf(arrayOf(int()), { description: "confusion[i][j]: held-out texts of labels[i] predicted as labels[j]." }),
      top_confusions: arrayOf(object({ actual: str(), predicted: str(), count: int() }), { maxItems: TOP_CONFUSIONS, description: "Off-diagonal cells, largest first." }),
      per_label: arrayOf(object({ label: str(), precision: num(), recall: num(), f1: num(), support: int("Held-out texts of this label.") })),
    }),
    ReviewQueue: object({
      data: arrayOf(
        object({
          request_id: str("Send it to the feedback route with the right label."),
          kind: oneOfStrings(reviewKinds),
          input: str(),
          created_at: epochMs("Request time"),
          answer: object({ label: nullable(str()), source: oneOfStrings(["specialist", "teacher", "none"]), confidence: nullable(num()) }),
          teacher_label: nullable(str("The teacher's label when it was asked and answered validly.")),
          top: labelProbabilities,
        }),
      ),
      pending: { ...object(Object.fromEntries(reviewKinds.map((k) => [k, int()]))), description: "Requests in each queue (a request may count in more than one)." },
      low_confidence_below: nullable(num("`low_confidence` lists specialist answers whose confidence is below this: closer to the router's current threshold than to 1 (threshold + (1 − threshold) / 2). Null without a threshold: then every specialist answer.")),
    }),
    ExplainRequest: object({ input: { type: "string", minLength: 1, maxLength: MAX_TEXT_CHARS } }),
    Explanation: object({
      model_version: nullable(int()),
      label: nullable(str("The specialist's top label (null before the first model).")),
      confidence: nullable(probability),
      top: labelProbabilities,
      unknown_share: nullable(num("Share of the text's n-grams the specialist never learned.")),
      out_of_scope_max: num("The task's setting: above this unknown share the text is out of scope."),
      unknown_share_cut: num("The cut the router applies: out_of_scope_max or the cut fitted on the holdout from the teacher's none answers, the lower."),
      scope_score: nullable(num("Confidence in the best real label times the share of the text's n-grams the specialist learned (null before the first model).")),
      threshold: nullable(num()),
      route: object({
        decision: oneOfStrings(["specialist", "teacher"]),
        reason: oneOfStrings(["no_specialist", "no_threshold", "below_threshold", "out_of_scope", "out_of_scope_label", "confident"]),
      }),
      output: { ...ref("StructuredObject"), description: "Structured tasks with a specialist: its object for the text (`label` is its canonical JSON)." },
      fields: { ...ref("FieldPredictions"), description: "Structured tasks with a specialist: its fields' probabilities and spans." },
    }, ["output", "fields"]),
  };
}

// ---------------------------------------------------------------------------------------------
// The routes

const TASK_EXAMPLE = {
  name: "banking-demo",
  instructions: "Classify the customer's message into one support intent.",
  labels: [{ name: "card_arrival", answer: "Cards usually arrive within a week." }, { name: "lost_card" }],
  teacher: { name: "default" },
  routing: { max_error: 0.05, confidence_level: 0.95 },
};
const PREDICT_EXAMPLE = { input: "my card has not arrived", label: "card_arrival", confidence: 0.97, source: "specialist", route: "auto", model_version: 3, request_id: "5f0c…", latency_ms: 0.41, status: "ok", degraded: false };
const NOT_FOUND_TASK = "No such task.";
const STRUCTURED_TASK_EXAMPLE = {
  name: "transfers",
  instructions: "Read the banking app user's request.",
  output: { properties: { intent: { enum: ["send_money", "request_money"] }, amount: { extract: true }, recipient: { extract: true }, urgent: { type: "boolean" } } },
};

function insightRoutes(): RouteDoc[] {
  return [
    {
      method: "get",
      path: "/v1/tasks/{name}/traffic",
      tag: "Insights",
      summary: "Requests, sources, cost and savings over time, in buckets",
      access: "admin",
      query: [
        { name: "since", description: "Window start (inclusive): epoch milliseconds or an ISO 8601 date. Default: 24 hours before `until`.", schema: str() },
        { name: "until", description: "Window end (exclusive): epoch milliseconds or an ISO 8601 date. Default: now.", schema: str() },
        { name: "bucket", description: `Bucket size; at most ${MAX_TRAFFIC_BUCKETS} buckets per window.`, schema: { ...oneOfStrings(Object.keys(BUCKET_MS)), default: "hour" } },
      ],
      ok: { 200: jsonReply("The series.", ref("Traffic")) },
      errors: { 400: `A parameter is invalid, \`since\` is not before \`until\`, or the window needs more than ${MAX_TRAFFIC_BUCKETS} buckets.`, 404: NOT_FOUND_TASK },
    },
    {
      method: "get",
      path: "/v1/tasks/{name}/report",
      tag: "Insights",
      summary: "The live model on the holdout: coverage–accuracy curve, confusion matrix, per-label figures",
      access: "admin",
      ok: { 200: jsonReply("The report: per label for a label task, per field for a structured task.", ref("ModelReport")) },
      errors: { 400: "The route takes no query parameters.", 404: NOT_FOUND_TASK, 409: "The task has no model yet." },
    },
    {
      method: "get",
      path: "/v1/tasks/{name}/review",
      tag: "Insights",
      summary: "Requests to review: audit disagreements, low-confidence answers, invalid teacher answers",
      description:
        "A request leaves the queue once its text has a human or feedback example (e.g. after the feedback route). Requests whose input was not kept (`privacy: hash_inputs`) are never listed. " +
        "`all` lists disagreements, then invalid teacher answers, then low-confidence answers, each request once; disagreements and invalid answers newest first, low-confidence answers least confident first.",
      access: "admin",
      query: [
        { name: "kind", description: "Which queue.", schema: { ...oneOfStrings(["all", "disagreement", "low_confidence", "teacher_invalid"]), default: "all" } },
        { name: "limit", description: `Items at most, up to ${MAX_REVIEW_LIMIT}.`, schema: { type: "integer", minimum: 1, maximum: MAX_REVIEW_LIMIT, default: DEFAULT_REVIEW_LIMIT } },
      ],
      ok: { 200: jsonReply("The queue.", ref("ReviewQueue")) },
      errors: { 400: "A query parameter is invalid.", 404: NOT_FOUND_TASK },
    },
    {
      method: "post",
      path: "/v1/tasks/{name}/explain",
      tag: "Insights",
      summary: "What the router would do with a text, without calling the teacher or logging",
      access: "admin",
      body: json(ref("ExplainRequest"), { input: "my card has not arrived" }),
      ok: { 200: jsonReply("The decision and the specialist's view of the text.", ref("Explanation")) },
      errors: { 404: NOT_FOUND_TASK },
    },
  ];
}

function routes(): RouteDoc[] {
  const taskRoutes: RouteDoc[] = [
    {
      method: "post",
      path: "/v1/tasks",
      tag: "Tasks",
      summary: "Create a task",
      description:
        "Settings left out take their defaults; the stored definition has them all. " +
        "A label task names its `labels` (the example below); a structured task gives an `output` block instead, e.g. " +
        `\`${JSON.stringify(STRUCTURED_TASK_EXAMPLE)}\`. ` +
        "A structured field the specialist cannot learn (a free string, a number) is kept for the teacher alone and named in the reply's `notices`.",
      access: "admin",
      body: json(ref("TaskInput"), TASK_EXAMPLE),
      ok: { 201: jsonReply("Created; a structured task's reply may carry `notices`.", ref("TaskCreated")) },
      errors: { 409: "A task with this name exists." },
    },
    { method: "get", path: "/v1/tasks", tag: "Tasks", summary: "List the tasks", access: "admin", ok: { 200: jsonReply("The tasks.", object({ data: arrayOf(ref("TaskRecord")) })) } },
    { method: "get", path: "/v1/tasks/{name}", tag: "Tasks", summary: "Get a task, its live model version and cascade counters", access: "admin", ok: { 200: jsonReply("The task.", ref("TaskDetail")) }, errors: { 404: NOT_FOUND_TASK } },
    {
      method: "patch",
      path: "/v1/tasks/{name}",
      tag: "Tasks",
      summary: "Change a task's settings",
      description: "Merges the given top-level fields into the stored definition and validates the result; the task's runtime reloads with it.",
      access: "admin",
      body: json(ref("TaskPatch"), { routing: { max_error: 0.02 } }),
      ok: { 200: jsonReply("The updated task.", ref("TaskRecord")) },
      errors: { 404: NOT_FOUND_TASK },
    },
    { method: "delete", path: "/v1/tasks/{name}", tag: "Tasks", summary: "Delete a task with its examples, requests and models", access: "admin", ok: { 204: { description: "Deleted." } }, errors: { 404: NOT_FOUND_TASK } },
  ];

  const predictionRoutes: RouteDoc[] = [
    {
      method: "post",
      path: "/v1/tasks/{name}/predict",
      tag: "Predictions",
      summary: "Classify one input or a batch",
      description: "Each input goes through the cascade: the specialist answers when it is sure enough, else the teacher. Batch inputs are answered in order.",
      access: "predict",
      body: json(ref("PredictRequest"), { input: "my card has not arrived" }),
      ok: {
        200: {
          description: "One result for `input`, `{data: [...]}` for `inputs`.",
          content: json({ oneOf: [ref("PredictResult"), ref("PredictBatch")] }, PREDICT_EXAMPLE),
        },
      },
      errors: {
        404: NOT_FOUND_TASK,
        403: '`route: "teacher"` with a key that lacks the `force_teacher` permission.',
        409: '`route: "specialist"` but the task has no specialist yet.',
        413: `The body is over the body limit, or the inputs total more than ${MAX_BATCH_CHARS} characters (\`batch_too_large\`).`,
        429: "The key's rate limit, or a teacher budget (the task's or the key's) is spent and the request would call the teacher; `Retry-After` says when it resets. A batch stops at the first refusal, with the results so far in `details.results`.",
        502: "A single input: the teacher's answer was not a label and no specialist answer stands in.",
        503: "A single input: the teacher is unavailable and no specialist answer stands in (`on_failure: fail`, no specialist yet, or `route: teacher`).",
      },
    },
    {
      method: "post",
      path: "/v1/tasks/{name}/feedback",
      tag: "Predictions",
      summary: "Correct a prediction's label",
      access: "admin",
      body: json(ref("FeedbackRequest"), { request_id: "5f0c…", label: "lost_card" }),
      description: "The logged request's input becomes a human-labelled example: with `label` for a label task, with `output` (the corrected object) for a structured task.",
      ok: { 200: jsonReply("Recorded.", ref("FeedbackReply")) },
      errors: { 404: "No such task, or no such request for this task.", 409: "The task keeps only a hash of its inputs and no `text` was sent." },
    },
  ];

  const trainingRoutes: RouteDoc[] = [
    { method: "post", path: "/v1/tasks/{name}/retrain", tag: "Training", summary: "Retrain the specialist now", description: "Trains a candidate and promotes it only if it is not worse on the holdout. Gateway instances over one database take turns: while another one retrains the task, this answers 409 and serves the version that one promotes.", access: "admin", ok: { 200: jsonReply("What the retrain did.", ref("RetrainReply")) }, errors: { 404: NOT_FOUND_TASK, 409: "Another gateway instance is retraining the task." } },
    {
      method: "get",
      path: "/v1/tasks/{name}/stats",
      tag: "Training",
      summary: "Request statistics: sources, teacher calls, cost, latency, per day",
      access: "admin",
      query: [
        { name: "since", description: "Window start (inclusive): epoch milliseconds or an ISO 8601 date.", schema: str(), example: "2025-01-01" },
        { name: "until", description: "Window end (exclusive): epoch milliseconds or an ISO 8601 date.", schema: str() },
      ],
      ok: { 200: jsonReply("The statistics.", ref("Stats")) },
      errors: { 400: "`since` or `until` is not a time, or the window is invalid.", 404: NOT_FOUND_TASK },
    },
    { method: "get", path: "/v1/tasks/{name}/models", tag: "Models", summary: "List a task's model versions (metrics, threshold, status)", access: "admin", ok: { 200: jsonReply("The versions, newest first.", ref("ModelList")) }, errors: { 404: NOT_FOUND_TASK } },
    {
      method: "post",
      path: "/v1/tasks/{name}/models/{version}/promote",
      tag: "Models",
      summary: "Promote a model version",
      description: "The promoted version serves at once.",
      access: "admin",
      ok: { 200: jsonReply("Promoted.", ref("PromoteReply")) },
      errors: { 400: "The version is not a positive integer.", 404: "No such task or version." },
    },
    { method: "post", path: "/v1/tasks/{name}/rollback", tag: "Models", summary: "Roll back to the newest retired version older than the promoted one", access: "admin", ok: { 200: jsonReply("Rolled back.", ref("PromoteReply")) }, errors: { 404: NOT_FOUND_TASK, 409: "There is no earlier version to roll back to." } },
  ];

  const openaiRoutes: RouteDoc[] = [
    { method: "get", path: "/v1/models", tag: "OpenAI-compatible", summary: "List the tasks as `task:<name>` models", access: "predict", ok: { 200: jsonReply("The models.", ref("OpenAIModelList")) } },
    { method: "get", path: "/v1/models/{id}", tag: "OpenAI-compatible", summary: "One `task:<name>` model or alias (the SDKs' models.retrieve)", access: "predict", ok: { 200: jsonReply("The model.", ref("OpenAIModel")) }, errors: { 404: "No such task model or alias (`model_not_found`)." } },
    {
      method: "post",
      path: "/v1/chat/completions",
      tag: "OpenAI-compatible",
      summary: "Chat completions: `task:<name>` models, or pass-through to the upstream LLM",
      description:
        "For `model: \"task:<name>\"` (or a model alias configured for a task) the last user message is classified and the reply's content is the label's `answer` (or the label). " +
        "A \"none of these\" answer follows the task's `none` block: its `answer`, or with `upstream_model` the request forwarded to the upstream LLM under that model and its reply relayed (header `x-apprentice-request-id` names the logged request). " +
        "Any other model is forwarded unchanged to the configured upstream LLM, whose status and body are relayed (including its own errors). " +
        "`stream: true` answers with server-sent events (`chat.completion.chunk` objects, then `data: [DONE]`). " +
        "For a task model, `response_format` `json_object` makes the content `{\"label\": …}`, and `json_schema` fills the schema's one (required) string property with the label; " +
        "For a structured task the content is always the object's JSON; `text`, `json_object` and a `json_schema` of type object naming every field are accepted; a schema lacking a field or requiring another is refused with 400. " +
        "A schema a label cannot fill, `n` other than 1, `tools`/`functions`, a `tool_choice` that forces a call, `logprobs` and audio output are refused with 400 (`unsupported_parameter` or `unsupported_response_format`, naming the parameter).",
      access: "predict",
      body: json(ref("ChatCompletionRequest"), { model: "task:banking-demo", messages: [{ role: "user", content: "my card has not arrived" }] }),
      ok: {
        200: {
          description: "A chat completion, or its chunks as server-sent events when `stream` is true.",
          content: { ...json(ref("ChatCompletion")), "text/event-stream": { schema: str("`data: <chat.completion.chunk JSON>` events, ending with `data: [DONE]`.") } },
        },
      },
      errors: {
        400: "A parameter or response_format the task model cannot honour (named in the error).",
        404: "No such task model, or no upstream LLM is configured for other models.",
        502: "The teacher's answer was not a label and no specialist answer stands in, or the upstream LLM is unreachable.",
        503: "The teacher is unavailable and no specialist answer stands in.",
      },
    },
  ];

  return [...taskRoutes, ...predictionRoutes, ...trainingRoutes, ...insightRoutes(), ...openaiRoutes];
}

// ---------------------------------------------------------------------------------------------
// Assembling the document

const PATH_PARAMETERS: Record<string, ParameterDoc> = {
  name: { name: "name", description: "The task's name.", schema: { type: "string", pattern: "^[a-z0-9][a-z0-9_-]{0,63}$" }, example: "banking-demo" },
  id: { name: "id", description: "A model id: `task:<name>` or an alias.", schema: { type: "string" }, example: "task:banking-demo" },
  version: { name: "version", description: "A model version number.", schema: { type: "integer", minimum: 1 }, example: 3 },
};

const ROLE_TEXT: Record<RouteAccess, string> = {
  open: "Open: no API key needed.",
  predict: "Needs an API key with the `predict` or `admin` role.",
  admin: "Needs an API key with the `admin` role.",
};

/** `/v1/tasks/:name` → `/v1/tasks/{name}`: Fastify's path syntax to OpenAPI's. */
export function openApiPath(fastifyPath: string): string {
  return fastifyPath.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
}

function pathParameters(route: RouteDoc): Schema[] {
  return [...route.path.matchAll(/\{([^}]+)\}/g)].map(([, name]) => {
    const p = route.pathParams?.[name] ?? PATH_PARAMETERS[name] ?? { name, description: "", schema: str() };
    return { ...p, in: "path", required: true };
  });
}

function operation(route: RouteDoc): Schema {
  const responses: Record<string, unknown> = { ...route.ok };
  for (const [status, description] of errorStatuses(route)) {
    responses[status] = description === undefined ? errorRef(status) : { ...errorRef(status), description };
  }
  const parameters = [...pathParameters(route), ...(route.query ?? []).map((q) => ({ ...q, in: "query", required: false }))];
  return {
    operationId: `${route.method}${route.path.replace(/[{}]/g, "").replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? "").toUpperCase())}`,
    tags: [route.tag],
    summary: route.summary,
    description: [route.description, ROLE_TEXT[route.access]].filter((s) => s !== undefined).join("\n\n"),
    [ROLE_EXTENSION]: route.access,
    // Open routes override the document-wide bearer requirement.
    ...(route.access === "open" ? { security: [] } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body !== undefined ? { requestBody: { required: true, content: route.body } } : {}),
    responses,
  };
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version?: string };
  return pkg.version ?? "0.0.0";
}

/** The document for the hand-described routes below and the declared ones in `specs` (http/route.ts). */
export function buildOpenApiDocument(specs: readonly RouteSpec[] = []): Schema {
  const declaredSchemas: Record<string, Schema> = {};
  const declared = specs.map((spec) => routeDocOf(spec, declaredSchemas));
  const declaredKeys = new Set(declared.map((r) => `${r.method} ${r.path}`));
  const paths: Record<string, Record<string, Schema>> = {};
  for (const route of [...routes().filter((r) => !declaredKeys.has(`${r.method} ${r.path}`)), ...declared]) (paths[route.path] ??= {})[route.method] = operation(route);
  return {
    openapi: "3.1.0",
    info: {
      title: "Apprentice gateway",
      version: packageVersion(),
      description:
        "Trains small text classifiers (specialists) from a general LLM's answers (the teacher) and routes requests to them when they are sure enough. " +
        "Errors have the OpenAI shape `{error: {message, type, code}}` on every route.",
      license: { name: "Apache-2.0", identifier: "Apache-2.0" },
    },
    tags: [
      { name: "Tasks", description: "Create and manage classification tasks." },
      { name: "Examples", description: "Labelled examples the specialist learns from." },
      { name: "Predictions", description: "Classify inputs and correct the answers." },
      { name: "Training", description: "Retraining and request statistics." },
      { name: "Models", description: "A task's trained model versions." },
      { name: "Requests", description: "A task's request log, searched and paged (for the dashboard's Requests page)." },
      { name: "Keys", description: "The gateway's API keys: create (the secret is shown once), list, revoke." },
      { name: "Insights", description: "Traffic over time, the live model's report, the review queue and routing explanations (for the dashboard)." },
      { name: "Capture", description: "Tasks found in forwarded chat completions that ask for a structured answer: shadow figures, and the switch to serve." },
      { name: "OpenAI-compatible", description: "Use any OpenAI client with `baseURL: <gateway>/v1` and `model: \"task:<name>\"`." },
      { name: "Operations", description: "Health checks and metrics (no key)." },
      { name: "Documentation", description: "This document and its web page (no key)." },
      { name: "Dashboard", description: "The web dashboard at `/` (no key to load it; it signs in with an admin key)." },
    ],
    security: [{ apiKey: [] }],
    paths,
    components: {
      securitySchemes: {
        apiKey: {
          type: "http",
          scheme: "bearer",
          description:
            "An API key created with `apprentice keys create --role admin|predict`, sent as `Authorization: Bearer <key>`. " +
            "The `admin` role may use every route; the `predict` role may classify (predict), use chat completions and list models. " +
            "A missing or unknown key gets 401, a key whose role may not use the route 403, too many requests from one key 429 with `Retry-After`.",
        },
      },
      schemas: { ...componentSchemas(), ...declaredSchemas },
      responses: errorResponseComponents(),
    },
  };
}

/**
 * One of the document's component schemas, for a route to serialize its replies with (Fastify
 * compiles a response schema into a serializer that knows the fields in advance): the reply and
 * its documentation then cannot drift apart.
 */
export function componentSchema(name: string): Schema {
  const schema = componentSchemas()[name];
  if (schema === undefined) throw new Error(`no component schema "${name}"`);
  return schema;
}

/** Serves GET /openapi.json and GET /docs, both open; the document is built once the app is ready, from every declared route. */
export function registerOpenApi(app: FastifyInstance, specs: readonly RouteSpec[]): void {
  const doc = { method: "GET", access: "open", tag: "Documentation", query: IGNORED_QUERY } as const;
  const openApiRoute = { ...doc, url: "/openapi.json", summary: "This OpenAPI document", replies: { 200: { description: "The OpenAPI 3.1 document.", content: { "application/json": { schema: { type: "object" } } } } } };
  const pageRoute = { ...doc, url: "/docs", summary: "The API documentation as a web page", replies: { 200: { description: "A self-contained HTML page that renders /openapi.json.", content: { "text/html": { schema: { type: "string" } } } } } };
  // Built when the app is ready: a route registered in a plugin (the examples import's own
  // content-type scope) is only added, and its spec collected, once the plugins load. These two
  // routes are among the specs by then.
  let document = "";
  app.addHook("onReady", async () => {
    document = JSON.stringify(buildOpenApiDocument(specs));
  });
  const page = docsPage();
  route(app, openApiRoute, async (_input, _request, reply) => reply.header("content-type", "application/json; charset=utf-8").send(document));
  route(app, pageRoute, async (_input, _request, reply) =>
    reply
      .header("content-type", "text/html; charset=utf-8")
      .header("content-security-policy", page.csp)
      .header("x-content-type-options", "nosniff")
      .header("referrer-policy", "no-referrer")
      .send(page.html),
  );
}
