// OpenAI-compatible surface: GET /v1/models and POST /v1/chat/completions for `model: "task:<name>"`.
// The reply's content is the predicted label's `answer` text when the task defines one, else the
// label; a "none of these" answer follows the task's `none` block (a reply, or the upstream's own).
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { Store } from "../../store/index.js";
import { isStructuredTask, outputFields } from "../../task/structured.js";
import { badRequest, HttpError } from "../http/errors.js";
import { IGNORED_QUERY, route } from "../http/route.js";
import { predictOne, type PredictResult } from "../runtime/predict.js";
import { checkText } from "../routes/tasks.js";
import type { GatewayMetrics } from "../operations/metrics.js";
import type { TaskRuntimes } from "../runtime/task-runtime.js";
import type { Upstream } from "./upstream.js";
import type { Capture } from "../capture/capture.js";
import { answerFormat, contentText, objectFormat, refuseUnsupported } from "./chat-request.js";
import { apprenticeField, completionBody, roughUsage, streamCompletion, taskReply, wantsUsage } from "./completion.js";
import { ChatCompletionRequestSchema, ChatCompletionSchema, OpenAIModelListSchema, OpenAIModelSchema } from "./schemas.js";

export const TASK_MODEL_PREFIX = "task:";

export interface OpenAIRouteDeps {
  store: Store;
  runtimes: TaskRuntimes;
  metrics?: GatewayMetrics | undefined;
  /** Where calls for other models go (none: they are refused). */
  upstream?: Upstream | undefined;
  /** Captures forwarded calls that ask for a structured answer (none: they are only forwarded). */
  capture?: Capture | undefined;
  /** Model names that stand for a task: alias → "task:<name>". */
  aliases: Record<string, string>;
}

export function registerOpenAIRoutes(app: FastifyInstance, deps: OpenAIRouteDeps): void {
  const { store, runtimes, metrics, aliases } = deps;
  const { upstream, capture } = deps;
  const aliasOf = new Map(Object.entries(aliases));

  /** A model object of the list and of models.retrieve, for a task created at `createdMs`. */
  const modelEntry = (id: string, createdMs: number) => ({ id, object: "model", created: Math.floor(createdMs / 1000), owned_by: "apprentice" });
  const modelNotFound = (message: string) => new HttpError(404, message, "invalid_request_error", "model_not_found");
  route(
    app,
    {
      method: "GET",
      url: "/v1/models",
      // A parameter a client adds of its own accord (a proxy's, Azure's api-version) names nothing here: ignored, not refused.
      query: IGNORED_QUERY,
      access: "predict",
      tag: "OpenAI-compatible",
      summary: "List the tasks as `task:<name>` models",
      replies: { 200: { description: "The models.", schema: OpenAIModelListSchema } },
    },
    async () => {
      const tasks = await store.tasks.list();
      const created = new Map(tasks.map((t) => [`${TASK_MODEL_PREFIX}${t.name}`, t.created_at]));
      const aliased = [...aliasOf].filter(([, target]) => created.has(target)).map(([alias, target]) => modelEntry(alias, created.get(target)!));
      return { object: "list", data: [...[...created].map(([id, at]) => modelEntry(id, at)), ...aliased] };
    },
  );

  // The SDKs' models.retrieve(): one entry of the list above, or OpenAI's model_not_found.
  route(
    app,
    {
      method: "GET",
      url: "/v1/models/:id",
      query: IGNORED_QUERY,
      access: "predict",
      tag: "OpenAI-compatible",
      summary: "One `task:<name>` model or alias (the SDKs' models.retrieve)",
      params: z.object({ id: z.string().meta({ description: "A model id: `task:<name>` or an alias.", examples: ["task:banking-demo"] }) }),
      replies: { 200: { description: "The model.", schema: OpenAIModelSchema } },
      errors: { 404: "No such task model or alias (`model_not_found`)." },
    },
    async ({ params: { id } }) => {
      const target = aliasOf.get(id) ?? id;
      const task = target.startsWith(TASK_MODEL_PREFIX) ? await store.tasks.get(target.slice(TASK_MODEL_PREFIX.length)) : null;
      if (task === null) throw modelNotFound(`The model \`${id}\` does not exist`);
      return modelEntry(id, task.created_at);
    },
  );

  route(
    app,
    {
      method: "POST",
      url: "/v1/chat/completions",
      query: IGNORED_QUERY,
      access: "predict",
      tag: "OpenAI-compatible",
      summary: "Chat completions: `task:<name>` models, or pass-through to the upstream LLM",
      description:
        "For `model: \"task:<name>\"` (or a model alias configured for a task) the last user message is classified and the reply's content is the label's `answer` (or the label). " +
        "A \"none of these\" answer follows the task's `none` block: its `answer`, or with `upstream_model` the request forwarded to the upstream LLM under that model and its reply relayed (header `x-apprentice-request-id` names the logged request). " +
        "For a structured task a none answer (a choice field `none_of_these`) follows `none` the same way; without a `none` block the reply is a refusal: `message.content` null and `message.refusal` naming the fields (streamed as `refusal` deltas). " +
        "Any other model is forwarded unchanged to the configured upstream LLM, whose status and body are relayed (including its own errors). " +
        "`stream: true` answers with server-sent events (`chat.completion.chunk` objects, then `data: [DONE]`). " +
        "For a task model, `response_format` `json_object` makes the content `{\"label\": …}`, and `json_schema` fills the schema's one (required) string property with the label; " +
        "For a structured task the content is always the object's JSON; `text`, `json_object` and a `json_schema` of type object naming every field are accepted; a schema lacking a field or requiring another is refused with 400. " +
        "A schema a label cannot fill, `n` other than 1, `tools`/`functions`, a `tool_choice` that forces a call, `logprobs` and audio output are refused with 400 (`unsupported_parameter` or `unsupported_response_format`, naming the parameter).",
      // Checked by chat-request.ts in OpenAI's terms, and only for task models: another model's body goes to the upstream as sent.
      rawBody: ChatCompletionRequestSchema,
      bodyExample: { model: "task:banking-demo", messages: [{ role: "user", content: "my card has not arrived" }] },
      replies: {
        200: {
          description: "A chat completion, or its chunks as server-sent events when `stream` is true.",
          schema: ChatCompletionSchema,
          content: { "text/event-stream": { schema: { type: "string", description: "`data: <chat.completion.chunk JSON>` events, ending with `data: [DONE]`." } } },
        },
      },
      // A compiled serializer took half the time JSON.stringify did on the task replies. Streams and pass-through replies are written raw.
      serialize: [200],
      errors: {
        400: "A parameter or response_format the task model cannot honour (named in the error).",
        404: "No such task model, or no upstream LLM is configured for other models.",
        502: "The teacher's answer was not a label and no specialist answer stands in, or the upstream LLM is unreachable.",
        503: "The teacher is unavailable and no specialist answer stands in.",
      },
    },
    async ({ body: raw }, request, reply) => {
      if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw badRequest("the body must be a JSON object");
      const body = raw as Record<string, unknown>;
      const model = body.model;
      if (typeof model !== "string" || model === "") throw badRequest('"model" is required');
      const taskModel = aliasOf.get(model) ?? model;
      if (!taskModel.startsWith(TASK_MODEL_PREFIX)) {
        if (capture !== undefined) return capture.chat(body, request, reply);
        if (upstream !== undefined) return upstream.forward(body, reply, { metrics });
        throw modelNotFound(`The model \`${model}\` does not exist: this gateway serves "task:<name>" models only (no upstream LLM is configured)`);
      }
      const name = taskModel.slice(TASK_MODEL_PREFIX.length);
      const rt = await runtimes.get(name);
      if (rt === null) throw modelNotFound(`The model \`${model}\` does not exist: no task "${name}"`);
      refuseUnsupported(body);
      const task = rt.task;
      const structured = isStructuredTask(task);
      const format = structured ? objectFormat(body.response_format, outputFields(task)) : answerFormat(body.response_format, task.labels);
      const messages = body.messages;
      if (!Array.isArray(messages) || messages.length === 0) throw badRequest('"messages" must be a non-empty array');
      const lastUser = messages.findLastIndex((m: unknown) => typeof m === "object" && m !== null && (m as { role?: unknown }).role === "user");
      const input = lastUser === -1 ? null : contentText((messages[lastUser] as { content?: unknown }).content);
      if (input === null || input.trim() === "") throw badRequest('"messages" needs a user message with text content');
      checkText(input, `messages[${lastUser}].content`);

      const result: PredictResult = await predictOne(app.requestLog, rt, input, request.id, { metrics, caller: { key: request.apiKey, via: "chat" } });
      // predictOne throws (503/502) after logging when there is no label to answer with.
      const label = result.label;
      if (label === null) throw new Error(`prediction ${result.request_id} has no label`);
      const answer = taskReply(task, format, label, rt.cascade.kind.isNone, upstream !== undefined);
      // "None of these" with an upstream model configured: the app gets the LLM's own reply, as it would without Apprentice.
      if ("upstream_model" in answer) {
        reply.raw.setHeader("x-apprentice-request-id", result.request_id);
        return upstream!.forward({ ...body, model: answer.upstream_model }, reply, { metrics });
      }
      const apprentice = apprenticeField(result);
      const parts = { id: `chatcmpl-${result.request_id}`, requestId: result.request_id, model, ...answer, usage: roughUsage(messages, answer.content, contentText), apprentice };
      return body.stream === true ? streamCompletion(reply, parts, wantsUsage(body)) : completionBody(parts);
    },
  );
}
