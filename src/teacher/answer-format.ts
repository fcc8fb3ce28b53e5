// How one kind of task is asked and read: a label task wants one label, a structured task a JSON
// object whose canonical form stands as its label. The OpenAI teacher's transport (retries,
// concurrency, timeouts, cost, scrubbing) is the same for both, so it takes one of these.
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import type { ResponseFormatJSONSchema } from "openai/resources/shared";
import { answerLabels } from "../task/definition.js";
import { isStructuredTask, outputFields, type AnyTask } from "../task/structured.js";
import { parseLabel, type ParseResult } from "./parse.js";
import { buildMessages, labelResponseFormat } from "./prompt.js";
import { parseStructuredAnswer } from "./structured-parse.js";
import { buildStructuredMessages, structuredResponseFormat } from "./structured-prompt.js";
import type { FewShotExample } from "./types.js";

export interface AnswerFormat {
  messages(text: string, fewShot?: FewShotExample[]): ChatCompletionMessageParam[];
  /** Sent while the server accepts structured output. */
  readonly responseFormat: ResponseFormatJSONSchema;
  /** The answer's label in the model's content (for a structured task, its canonical JSON), or why there is none. */
  parse(content: string, text: string): ParseResult;
}

export function answerFormat(task: AnyTask): AnswerFormat {
  if (isStructuredTask(task)) {
    const fields = outputFields(task);
    return {
      messages: (text, fewShot) => buildStructuredMessages(task, fields, text, fewShot),
      responseFormat: structuredResponseFormat(fields),
      parse: (content, text) => parseStructuredAnswer(content, text, fields),
    };
  }
  const labels = answerLabels(task);
  return {
    messages: (text, fewShot) => buildMessages(task, text, fewShot),
    responseFormat: labelResponseFormat(labels),
    parse: (content) => parseLabel(content, labels),
  };
}
