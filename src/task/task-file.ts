// Reads a task from a JSON or YAML file (Node only). The extension picks the parser; every
// failure names the file, and validation goes through parseTask so the CLI, gateway and
// benchmarks accept exactly the same tasks.
import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { parse as parseYaml } from "yaml";
import { parseTask, TaskError, type Task } from "./definition.js";

const PARSERS: Record<string, "json" | "yaml"> = { ".json": "json", ".yaml": "yaml", ".yml": "yaml" };

export async function loadTaskFile(path: string): Promise<Task> {
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
  return parseTaskText(content, kind, path);
}

/** Parses and validates task text; `source` names it in messages. */
export function parseTaskText(content: string, kind: "json" | "yaml", source: string): Task {
  let data: unknown;
  try {
    data = kind === "json" ? JSON.parse(content) : parseYaml(content);
  } catch (err) {
    const message = err instanceof Error ? err.message.split("\n")[0] : String(err);
    throw new TaskError(`task file ${source} is not valid ${kind === "json" ? "JSON" : "YAML"}: ${message}`, { cause: err });
  }
  try {
    return parseTask(data);
  } catch (err) {
    if (err instanceof TaskError) throw new TaskError(`task file ${source}: ${err.message}`, { cause: err });
    throw err;
  }
}
