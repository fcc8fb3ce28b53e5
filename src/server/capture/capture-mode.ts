// Switching a captured task between shadow, serve and off: by an admin (PATCH /v1/captured/:name)
// or by auto_serve. The mode is part of the task's definition, so every gateway instance sharing
// the database follows it (their runtimes reload a changed definition).
import type { Store } from "../../store/index.js";
import type { CaptureMode } from "../../task/capture.js";
import { isCapturedTask, type StructuredTask } from "../../task/structured.js";
import type { TaskRuntimes } from "../runtime/task-runtime.js";

/** Sets a captured task's mode (and its own auto_serve when given); returns the updated definition, or null when there is no such captured task. */
export async function setCaptureMode(store: Store, runtimes: TaskRuntimes, name: string, mode: CaptureMode, autoServe?: boolean): Promise<StructuredTask | null> {
  const record = await store.tasks.get(name);
  if (record === null || !isCapturedTask(record.definition)) return null;
  const capture = { ...record.definition.capture, mode, ...(autoServe === undefined ? {} : { auto_serve: autoServe }) };
  const definition: StructuredTask = { ...record.definition, capture };
  await store.tasks.update(name, definition);
  await runtimes.drop(name);
  return definition;
}
