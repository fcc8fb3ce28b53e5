// The OpenAI-compatible surface's bodies as the SDKs know them (routes.ts): the model list, the
// chat-completions request (documented only: chat-request.ts checks it in OpenAI's terms, and a
// pass-through body reaches the upstream untouched) and the completion a task model answers.
import { z } from "zod";
import { PredictionSchema } from "../routes/prediction-schemas.js";

export const OpenAIModelSchema = z
  .object({ id: z.string().describe("`task:<name>` or an alias"), object: z.literal("model"), created: z.number().int().describe("Epoch seconds"), owned_by: z.string() })
  .meta({ id: "OpenAIModel" });

export const OpenAIModelListSchema = z.object({ object: z.literal("list"), data: z.array(OpenAIModelSchema) }).meta({ id: "OpenAIModelList" });

export const ChatCompletionRequestSchema = z
  .looseObject({
    model: z.string().describe("`task:<name>` for a task; any other model is forwarded to the upstream LLM when one is configured."),
    messages: z.array(z.object({ role: z.string(), content: z.unknown().optional().describe("A string or an array of content parts; the last user message's text is classified.") })).min(1),
    stream: z.boolean().optional(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).optional(),
  })
  .meta({ id: "ChatCompletionRequest" });

/** Loose at the top: a pass-through model's completion is the upstream's, relayed with whatever else it carries. */
export const ChatCompletionSchema = z
  .looseObject({
    id: z.string(),
    object: z.literal("chat.completion"),
    created: z.number().int().describe("Epoch seconds"),
    model: z.string(),
    choices: z.array(
      z.object({
        index: z.number().int(),
        message: z.object({
          role: z.literal("assistant"),
          content: z.string().nullable().describe("The answer; null for a refusal, and for a captured task's tool call."),
          refusal: z
            .string()
            .nullable()
            .describe('A structured task\'s answer that cannot be given: a choice field answered "none of these" while the task has no `none` block (null otherwise).'),
          tool_calls: z
            .array(z.object({ id: z.string(), type: z.literal("function"), function: z.object({ name: z.string(), arguments: z.string().describe("The answer object's JSON.") }) }))
            .optional()
            .describe("A captured task that asked for its answer as a tool call: the answer as that call's arguments."),
        }),
        logprobs: z.null(),
        finish_reason: z.enum(["stop", "tool_calls"]),
      }),
    ),
    usage: z.object({ prompt_tokens: z.number().int(), completion_tokens: z.number().int(), total_tokens: z.number().int() }).describe("Rough counts: about four characters a token."),
    apprentice: PredictionSchema.optional().describe("Task models only: the prediction behind the reply."),
  })
  .meta({ id: "ChatCompletion" });
