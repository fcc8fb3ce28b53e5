// What the teacher is asked. The prompt is the same for every provider that speaks the
// OpenAI chat protocol; the JSON schema (when the server supports it) makes off-list
// answers impossible, the prompt rule keeps them rare when it does not.
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import type { ResponseFormatJSONSchema } from "openai/resources/shared";
import { noneLabel, offersExtraNone, type Task } from "../task/definition.js";
import type { FewShotExample } from "./types.js";

export type PromptTask = Pick<Task, "instructions" | "labels"> & Partial<Pick<Task, "out_of_scope_label">>;

export function buildSystemPrompt(task: PromptTask): string {
  const labelLines = task.labels.map((l) => {
    const description = l.description?.trim();
    // JSON-quote names so labels with spaces or punctuation are unambiguous.
    return description ? `- ${JSON.stringify(l.name)}: ${oneLine(description)}` : `- ${JSON.stringify(l.name)}`;
  });
  const none = noneLabel(task);
  if (offersExtraNone(task)) labelLines.push(`- ${JSON.stringify(none)}: the message fits none of the labels above.`);
  return [
    task.instructions.trim(),
    "",
    "Labels:",
    ...labelLines,
    "",
    `If the message fits none of the labels, answer ${JSON.stringify(none)}.`,
    'Answer with exactly one of the labels above, spelled exactly as listed, as a JSON object: {"label": "..."}.',
    "Do not add any other text.",
  ].join("\n");
}

export function buildMessages(task: PromptTask, text: string, fewShot: FewShotExample[] = []): ChatCompletionMessageParam[] {
  const messages: ChatCompletionMessageParam[] = [{ role: "system", content: buildSystemPrompt(task) }];
  // Examples as real turns: models imitate the answer format of prior assistant turns
  // more reliably than examples pasted into the system prompt.
  for (const example of fewShot) {
    messages.push({ role: "user", content: example.text });
    messages.push({ role: "assistant", content: JSON.stringify({ label: example.label }) });
  }
  messages.push({ role: "user", content: text });
  return messages;
}

export function labelResponseFormat(labels: string[]): ResponseFormatJSONSchema {
  return {
    type: "json_schema",
    json_schema: {
      name: "label",
      strict: true,
      schema: {
        type: "object",
        properties: { label: { type: "string", enum: labels } },
        required: ["label"],
        additionalProperties: false,
      },
    },
  };
}

// Descriptions are shown one per line so the label list stays readable to the model.
function oneLine(s: string): string {
  return s.replace(/\s+/g, " ");
}
