// Reads a task from a JSON or YAML file (Node only). The extension picks the parser; every
// failure names the file, and validation goes through parseTask (parseAnyTask for the loaders
// that take either kind) so the CLI, gateway and benchmarks accept exactly the same tasks.
import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { parse as parseYaml } from "yaml";
import { parseTask, TaskError, type Task } from "./definition.js";
import { parseAnyTask, type AnyTask } from "./structured.js";

const PARSERS: Record<string, "json" | "yaml"> = { ".json": "json", ".yaml": "yaml", ".yml": "yaml" };

export async function loadTaskFile(path: string): Promise<Task> {
  return taskFromData(await readTaskFileData(path), path);
}

/** A label task or a structured task (see parseAnyTask). */
export async function loadAnyTaskFile(path: string): Promise<AnyTask> {
  return anyTaskFromData(await readTaskFileData(path), path);
}

/** The file's data before validation, for callers that merge defaults in first. */
export async function readTaskFileData(path: string): Promise<unknown> {
  const kind = PARSERS[extname(path).toLowerCase()];
  if (kind === undefined) throw new TaskError(`cannot tell the format of task file ${path} from its extension: use .json, .yaml or .yml`);
  let content: string;
  try {
    content = await readFile(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "file not found" : code === "EISDIR" ? "it is a directory" : err instanceof Error ? err.message : String(err);
    throw new TaskError(`cannot read task file ${path}: ${why}`, { cause: err });
  }
  return parseTaskData(content, kind, path);
}

/** Parses and validates task text; `source` names it in messages. */
export function parseTaskText(content: string, kind: "json" | "yaml", source: string): Task {
  return taskFromData(parseTaskData(content, kind, source), source);
}

/** parseTaskText for either kind of task. */
export function parseAnyTaskText(content: string, kind: "json" | "yaml", source: string): AnyTask {
  return anyTaskFromData(parseTaskData(content, kind, source), source);
}

function parseTaskData(content: string, kind: "json" | "yaml", source: string): unknown {
  try {
    return kind === "json" ? JSON.parse(content) : parseYaml(content);
  } catch (err) {
    const message = err instanceof Error ? err.message.split("\n")[0] : String(err);
    throw new TaskError(`task file ${source} is not valid ${kind === "json" ? "JSON" : "YAML"}: ${message}`, { cause: err });
  }
}

/** Validates task data; errors are prefixed with `source`. */
export function taskFromData(data: unknown, source: string): Task {
  return validatedFrom(parseTask, data, source);
}

/** taskFromData for either kind of task. */
export function anyTaskFromData(data: unknown, source: string): AnyTask {
  return validatedFrom(parseAnyTask, data, source);
}

function validatedFrom<T>(parse: (data: unknown) => T, data: unknown, source: string): T {
  try {
    return parse(data);
  } catch (err) {
    if (err instanceof TaskError) throw new TaskError(`task file ${source}: ${err.message}`, { cause: err });
    throw err;
  }
}
