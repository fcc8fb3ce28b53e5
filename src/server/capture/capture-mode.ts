// Switching a captured task between shadow, serve and off, and its own auto_serve and
// descriptions: by an admin (PATCH /v1/captured/:name) or by auto_serve. All are part of the
// task's definition, so every gateway instance sharing the database follows them (their runtimes
// reload a changed definition).
import type { Store } from "../../store/index.js";
import type { CaptureMode } from "../../task/capture.js";
import { isCapturedTask, type StructuredTask } from "../../task/structured.js";
import type { TaskRuntimes } from "../runtime/task-runtime.js";

/** What an admin or auto_serve changes in a captured task's definition without renaming it. */
export interface CapturedTaskChange {
  mode?: CaptureMode | undefined;
  /** The task's own auto_serve. */
  auto_serve?: boolean | undefined;
  /** A new output block (descriptions changed, fields not: see captured-task-edits.ts). */
  output?: StructuredTask["output"] | undefined;
  /** The task's own description ("" removes it). */
  description?: string | undefined;
}

/** Applies `change` to a captured task and reloads its runtime; returns the updated definition, or null when there is no such captured task. */
export async function changeCapturedTask(store: Store, runtimes: TaskRuntimes, name: string, change: CapturedTaskChange): Promise<StructuredTask | null> {
  const record = await store.tasks.get(name);
  if (record === null || !isCapturedTask(record.definition)) return null;
  const { mode = record.definition.capture.mode, auto_serve, output, description } = change;
  const capture = { ...record.definition.capture, mode, ...(auto_serve === undefined ? {} : { auto_serve }) };
  const definition: StructuredTask = { ...record.definition, ...(output === undefined ? {} : { output }), capture };
  if (description === "") delete definition.description;
  else if (description !== undefined) definition.description = description;
  await store.tasks.update(name, definition);
  await runtimes.drop(name);
  return definition;
}
