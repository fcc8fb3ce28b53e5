// A structured task: the teacher answers with a JSON object (its `output` block) instead of one
// label. Everything else — instructions, teacher, routing, training, budget, privacy — is the
// label task's, so both kinds share one schema for it and one error style.
import type { z } from "zod";
import { parseTask, TaskError, TaskSchema, validateTask, type Task } from "./definition.js";
import { CaptureBlockSchema } from "./capture.js";
import { compileOutput, offeringNone, type TaskOutputField } from "./output-fields.js";
import { OutputSchema } from "./output-schema.js";

/**
 * The label task's fields minus those about labels, plus `output`. `none` is the label task's:
 * what a chat completion answers when a choice field's answer is "none of these".
 */
export const StructuredTaskSchema = TaskSchema.omit({ labels: true, out_of_scope_label: true }).extend({
  output: OutputSchema,
  /** Present on a task the gateway captured from the traffic it forwards (README "Capture"). */
  capture: CaptureBlockSchema.optional(),
});

export type StructuredTask = z.infer<typeof StructuredTaskSchema>;
export type StructuredTaskInput = z.input<typeof StructuredTaskSchema>;
/** Either kind of task; isStructuredTask tells them apart. */
export type AnyTask = Task | StructuredTask;

/** Validates a structured task; errors name every path, e.g. `output.properties.amount.type: ...`. */
export function parseStructuredTask(input: unknown): StructuredTask {
  const task = validateTask(StructuredTaskSchema, input);
  // A captured task answers by the app's own schema, which has no "none of these" to reply to.
  if (task.capture !== undefined && task.none !== undefined) throw new TaskError("invalid task: none: a captured task follows its app's schema, which offers no \"none of these\"; leave none out");
  return task;
}

export function isStructuredTask(task: AnyTask): task is StructuredTask {
  return "output" in task;
}

/** A task the gateway captured from forwarded traffic: it has a capture block. */
export function isCapturedTask(task: AnyTask): task is StructuredTask & { capture: NonNullable<StructuredTask["capture"]> } {
  return isStructuredTask(task) && task.capture !== undefined;
}

/**
 * Validates a task of either kind: `output` makes it structured, `labels` a label task. Both at
 * once is refused rather than one silently ignored (each schema would drop the other's key).
 */
export function parseAnyTask(input: unknown): AnyTask {
  const given = (key: string) => typeof input === "object" && input !== null && (input as Record<string, unknown>)[key] !== undefined;
  if (given("output") && given("labels")) throw new TaskError("invalid task: give labels (a label task) or output (a structured task), not both");
  if (given("output")) return parseStructuredTask(input);
  if (typeof input === "object" && input !== null && !given("labels")) throw new TaskError("invalid task: give labels (a label task) or output (a structured task)");
  return parseTask(input);
}

// A task's output block is fixed once parsed: compile it once per output object (per kind of task).
const compiled = { declared: new WeakMap<object, TaskOutputField[]>(), captured: new WeakMap<object, TaskOutputField[]>() };

/**
 * The fields of a structured task's answer, in the order its output block lists them. A declared
 * task's choice fields offer "none of these" (offeringNone); a captured task's are the app's.
 */
export function outputFields(task: Pick<StructuredTask, "output" | "capture">): TaskOutputField[] {
  const cache = task.capture === undefined ? compiled.declared : compiled.captured;
  let fields = cache.get(task.output);
  if (fields === undefined) {
    fields = task.capture === undefined ? offeringNone(compileOutput(task.output)) : compileOutput(task.output);
    cache.set(task.output, fields);
  }
  return fields;
}
