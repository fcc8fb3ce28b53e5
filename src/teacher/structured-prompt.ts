// What the teacher of a structured task is asked: the task's instructions, one line per field
// saying what it holds, and (when the server supports it) the strict JSON schema of the object,
// which makes off-schema answers impossible; the prompt keeps them rare when it is off.
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import type { ResponseFormatJSONSchema } from "openai/resources/shared";
import { NONE_LABEL } from "../task/none.js";
import { choiceAnswers, outputJsonSchema, valueTypeName, type TaskOutputField } from "../task/output-fields.js";
import type { StructuredTask } from "../task/structured.js";
import type { FewShotExample } from "./types.js";

export function buildStructuredSystemPrompt(task: Pick<StructuredTask, "instructions">, fields: readonly TaskOutputField[]): string {
  const lines = fields.map((f) => {
    const description = f.description?.trim();
    return `- ${JSON.stringify(f.name)}: ${fieldHolds(f)}${description ? `. ${description.replace(/\s+/g, " ")}` : ""}`;
  });
  const copies = fields.some((f) => f.kind === "extract" || f.kind === "extract_list");
  const none = fields.some((f) => f.offersNone === true);
  return [
    task.instructions.trim(),
    "",
    "Answer with a JSON object with exactly these fields:",
    ...lines,
    "",
    // The gateway checks every copied value against the message and refuses the answer otherwise.
    ...(copies ? ["Copy values taken from the message character for character: do not rephrase, correct, translate or reformat them."] : []),
    // Forced to choose, a model names the nearest value for a message that fits none, and nothing downstream could tell.
    ...(none
      ? [`Answer ${JSON.stringify(NONE_LABEL)} for a field that lists it when the message fits none of that field's other values. That is not null: null means the message does not say.`]
      : []),
    "Give every field (null where the field allows it and the message does not say). Answer with the JSON object only, without any other text.",
  ].join("\n");
}

function fieldHolds(f: TaskOutputField): string {
  const orNull = f.nullable ? ", or null" : "";
  const list = (values: readonly string[] | undefined) => (values ?? []).map((v) => JSON.stringify(v)).join(", ");
  switch (f.kind) {
    case "choice":
      return `one of ${list(choiceAnswers(f))}${orNull}`;
    case "boolean":
      return `true or false${orNull}`;
    case "tags":
      return `a list of any of ${list(f.values)} ([] when none applies)`;
    case "extract":
      return "text copied from the message, or null when it is not there";
    case "extract_list":
      return "a list of every passage of the message that is one, each copied from it ([] when none)";
    case "teacher_only": {
      const t = f.valueType ?? { type: "string", list: false };
      return `${valueTypeName(t)}${t.list ? "" : orNull}`;
    }
  }
}

export function buildStructuredMessages(
  task: Pick<StructuredTask, "instructions">,
  fields: readonly TaskOutputField[],
  text: string,
  fewShot: FewShotExample[] = [],
): ChatCompletionMessageParam[] {
  const messages: ChatCompletionMessageParam[] = [{ role: "system", content: buildStructuredSystemPrompt(task, fields) }];
  // An example's label is already the canonical JSON of its object: exactly the answer wanted.
  for (const example of fewShot) {
    messages.push({ role: "user", content: example.text });
    messages.push({ role: "assistant", content: example.label });
  }
  messages.push({ role: "user", content: text });
  return messages;
}

/** The strict structured-output request for the fields' object; `name` is the schema's name (a-z, A-Z, 0-9, _ or -). */
export function structuredResponseFormat(fields: readonly TaskOutputField[], name = "answer"): ResponseFormatJSONSchema {
  return { type: "json_schema", json_schema: { name, strict: true, schema: outputJsonSchema(fields) } };
}
