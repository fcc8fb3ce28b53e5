// Predictions under /v1/tasks/:name: answer one input or a batch through the task's cascade, and
// correct an answer (feedback), which becomes a human-labelled example.
import type { Readable } from "node:stream";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { textHash } from "../../store/index.js";
import { isStructuredTask } from "../../task/structured.js";
import { readJsonObjectBody } from "../http/body-stream.js";
import { badRequest, conflict, HttpError, notFound } from "../http/errors.js";
import { requestProblem, route } from "../http/route.js";
import { givenAnswer } from "../runtime/answers.js";
import { batchReply, predictMany, predictOne } from "../runtime/predict.js";
import { requireForceTeacher } from "../runtime/teacher-budget.js";
import { FeedbackReplySchema, FeedbackRequestSchema, LabelFeedbackSchema, OutputFeedbackSchema, PredictReplySchema, PredictRequestSchema } from "./prediction-schemas.js";
import { NOT_FOUND_TASK, runtimeOf, type RouteDeps } from "./tasks.js";

/**
 * Characters of input in one predict batch. The default 5 MiB body carries at most about 5.2 M;
 * this bounds a batch's work when an operator raises server.body_limit_mb.
 */
export const MAX_BATCH_CHARS = 8_000_000;

const PREDICT_EXAMPLE = { input: "my card has not arrived", label: "card_arrival", confidence: 0.97, source: "specialist", route: "auto", model_version: 3, request_id: "5f0c…", latency_ms: 0.41, status: "ok", degraded: false };

/**
 * The text a correction labels: the logged input, or under `privacy: hash_inputs` the caller's
 * copy, accepted only if it hashes to what was logged (a label must not land on another text).
 */
function feedbackText(logged: { input: string | null; input_hash: string }, given: string | undefined): string {
  if (logged.input !== null) {
    if (given !== undefined && given !== logged.input) throw badRequest('"text" differs from the logged input of this request');
    return logged.input;
  }
  if (given === undefined) throw conflict('this task keeps only a hash of its inputs: send the request\'s input as "text" with the label');
  if (textHash(given) !== logged.input_hash) throw badRequest('"text" is not the input of this request (its hash differs)');
  return given;
}

export function registerPredictionRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { runtimes, metrics } = deps;

  // Encapsulated: this route's JSON bodies are parsed as they arrive (a batch is up to the body
  // limit, 5 MiB by default), every other route keeps Fastify's parser.
  app.register(async (scope) => {
    scope.removeContentTypeParser("application/json");
    scope.addContentTypeParser("application/json", (request: FastifyRequest, payload: Readable) => readJsonObjectBody(request, payload));
    route(
      scope,
      {
        method: "POST",
        url: "/v1/tasks/:name/predict",
        access: "predict",
        tag: "Predictions",
        summary: "Classify one input or a batch",
        description: "Each input goes through the cascade: the specialist answers when it is sure enough, else the teacher. Batch inputs are answered in order.",
        body: PredictRequestSchema,
        bodyExample: { input: "my card has not arrived" },
        replies: { 200: { description: "One result for `input`, `{data: [...]}` for `inputs`.", schema: PredictReplySchema, example: PREDICT_EXAMPLE } },
        errors: {
          400: "The body is not one `input` or a list of `inputs`, a text is empty, too long or not storable as sent, or `route` is not one of auto, specialist, teacher (the message names the field).",
          403: '`route: "teacher"` with a key that lacks the `force_teacher` permission.',
          404: NOT_FOUND_TASK,
          409: '`route: "specialist"` but the task has no specialist yet.',
          413: `The body is over the body limit, or the inputs total more than ${MAX_BATCH_CHARS} characters (\`batch_too_large\`).`,
          429: "The key's rate limit, or a teacher budget (the task's or the key's) is spent and the request would call the teacher; `Retry-After` says when it resets. A batch stops at the first refusal, with the results so far in `details.results`.",
          502: "A single input: the teacher's answer was not a label and no specialist answer stands in.",
          503: "A single input: the teacher is unavailable and no specialist answer stands in (`on_failure: fail`, no specialist yet, or `route: teacher`).",
        },
      },
      async ({ params, body: { input, inputs, route: mode } }, request, reply) => {
        const rt = await runtimeOf(runtimes, params.name);
        if (mode === "teacher") requireForceTeacher(request.apiKey);
        const options = { metrics, route: mode, caller: { key: request.apiKey, via: "predict" as const } };
        if (input !== undefined) return predictOne(app.requestLog, rt, input, request.id, options);
        const batch = inputs ?? [];
        const chars = batch.reduce((n, x) => n + x.length, 0);
        if (chars > MAX_BATCH_CHARS) throw new HttpError(413, `"inputs" total ${chars} characters, over the limit of ${MAX_BATCH_CHARS} per request; split the batch`, "invalid_request_error", "batch_too_large");
        return batchReply(reply, await predictMany(app.requestLog, rt, batch, options));
      },
    );
  });

  route(
    app,
    {
      method: "POST",
      url: "/v1/tasks/:name/feedback",
      access: "admin",
      tag: "Predictions",
      summary: "Correct a prediction's label",
      description: "The logged request's input becomes a human-labelled example: with `label` for a label task, with `output` (the corrected object) for a structured task.",
      // Which of the two bodies applies is the task's kind: checked in the handler, against it.
      rawBody: FeedbackRequestSchema,
      bodyExample: { request_id: "5f0c…", label: "lost_card" },
      replies: { 200: { description: "Recorded.", schema: FeedbackReplySchema } },
      errors: {
        400: "A field is missing or invalid for the task's kind, the label is not one of the task's, the object is not one its teacher could answer, or `text` is not the request's input (the message names the field).",
        404: "No such task, or no such request for this task.",
        409: "The task keeps only a hash of its inputs and no `text` was sent.",
      },
    },
    async ({ params, body }, request) => {
      const rt = await runtimeOf(runtimes, params.name);
      const parsed = (isStructuredTask(rt.task) ? OutputFeedbackSchema : LabelFeedbackSchema).safeParse(body);
      if (!parsed.success) throw badRequest(requestProblem(parsed.error, "body"));
      const { request_id, text: given } = parsed.data;
      const logged = await app.requestLog.get(request_id);
      if (logged === null || logged.task !== rt.task.name) throw notFound(`no request "${request_id}" for task "${rt.task.name}"`);
      const text = feedbackText(logged, given);
      const label = givenAnswer(rt.task, parsed.data, text);
      await rt.addHumanLabels([{ text, label }], "feedback", request.apiKey);
      rt.scheduleRetrain();
      return { ok: true, request_id: logged.id, label, previous_label: logged.label };
    },
  );
}

