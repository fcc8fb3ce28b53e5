// What a person (feedback, an admin's correction) may give as the answer to a text, for either
// kind of task: a label of a label task, or an object of a structured task, checked by the rules a
// teacher's object is held to and turned into its canonical answer (the string the cascade stores).
import { isStructuredTask, outputFields, type AnyTask } from "../../task/structured.js";
import type { NoneAnswers } from "../../store/index.js";
import { answerLabels, NONE_LABEL, noneLabel } from "../../task/definition.js";
import { noneMarkers } from "../../task/output-fields.js";
import { checkStructuredObject } from "../../teacher/structured-parse.js";
import { badRequest } from "../http/errors.js";

/**
 * The answer in a body: `label` for a label task, `output` (an object) for a structured task.
 * `text` is the input the answer is for: an object's extracted values must occur in it. An answer
 * the task does not admit is a 400 whose message names the field and the problem.
 */
export function givenAnswer(task: AnyTask, body: { label?: unknown; output?: unknown }, text: string): string {
  if (isStructuredTask(task)) {
    const output = body.output;
    if (typeof output !== "object" || output === null || Array.isArray(output)) throw badRequest('output: a structured task takes the answer as {"output": {...}}, an object of its fields');
    const checked = checkStructuredObject(output as Record<string, unknown>, text, outputFields(task));
    if ("invalid" in checked) throw badRequest(`output: ${checked.invalid}`);
    return checked.label;
  }
  if (typeof body.label !== "string") throw badRequest('label: a label task takes the answer as {"label": "..."}');
  if (!answerLabels(task).includes(body.label)) throw badRequest(`label: "${body.label}" is not one of the task's labels`);
  return body.label;
}

/**
 * The task's "none of these" answer, which people may give in reviews and corrections: a label
 * task's none label; for a structured task, the value a choice field takes (NONE_LABEL), or
 * nothing when no field offers it (a captured task, or one without choice fields).
 */
export function noneAnswerOf(task: AnyTask): string | undefined {
  if (!isStructuredTask(task)) return noneLabel(task);
  return outputFields(task).some((f) => f.offersNone === true) ? NONE_LABEL : undefined;
}

/** What the request log counts as the task's none answers (its stats' none_answers, audited_none, a series' none_of_these). */
export function noneAnswersOf(task: AnyTask): NoneAnswers | undefined {
  if (!isStructuredTask(task)) return { label: noneLabel(task) };
  const markers = noneMarkers(outputFields(task));
  return markers.length === 0 ? undefined : { markers };
}
