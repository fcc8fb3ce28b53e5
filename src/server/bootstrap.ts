// Applies a configuration file's declarations to the store when the gateway starts: the tasks it
// declares (created, or updated when the file changed them; examples imported on creation only)
// and the API keys it names (installed from environment variables, never written in the file).
// Runs before the gateway listens, so a bad declaration stops the start with a clear error.
import { loadDatasetFile } from "../data/dataset-file.js";
import type { ApiKeyPermissions, ApiKeyRecord, Store } from "../store/index.js";
import { readFile } from "node:fs/promises";
import { readObjectDataset } from "../data/object-dataset.js";
import { DatasetError } from "../data/errors.js";
import { labelNames } from "../task/definition.js";
import { isStructuredTask, outputFields, type AnyTask } from "../task/structured.js";
import { readTaskFileData } from "../task/task-file.js";
import { ConfigError, resolvePath, type GatewayConfig } from "./config.js";
import type { TaskRuntimes } from "./runtime/task-runtime.js";
import { isTaskRefusal, type TeacherRegistry } from "./runtime/teachers.js";

export interface BootstrapReport {
  created: string[];
  updated: string[];
  unchanged: string[];
  /** Examples imported per created task. */
  imported: Record<string, number>;
  keys: { name: string; role: ApiKeyRecord["role"]; created: boolean }[];
}

type TaskEntry = GatewayConfig["tasks"][number];

/** A declared task, checked like one created through the API: its teacher is one the configuration declares, by name. */
async function declaredTask(config: GatewayConfig, teachers: TeacherRegistry, entry: TaskEntry, index: number): Promise<AnyTask> {
  const source = entry.file === undefined ? `tasks[${index}] of the configuration` : resolvePath(config, entry.file);
  const data = entry.file === undefined ? entry.task : await readTaskFileData(source);
  if (typeof data !== "object" || data === null || Array.isArray(data)) throw new ConfigError(`${source}: a task must be an object`);
  const own = data as Record<string, unknown>;
  const teacher = { ...config.teacher, ...(own.teacher as Record<string, unknown> | undefined) };
  try {
    return teachers.checkTask({ ...own, teacher });
  } catch (err) {
    if (isTaskRefusal(err)) throw new ConfigError(`task file ${source}: ${err.message}`, { cause: err });
    throw err;
  }
}

/** Reads and checks a new task's examples file before anything is written: all-or-nothing, like the API. */
async function declaredExamples(config: GatewayConfig, task: AnyTask, file: string): Promise<{ text: string; label: string }[]> {
  const path = resolvePath(config, file);
  if (isStructuredTask(task)) {
    // JSONL objects ({"text", "output"}), checked like a teacher's answers.
    try {
      return readObjectDataset(await readFile(path, "utf8"), outputFields(task), { source: path }).examples.map((e) => ({ text: e.text, label: e.answer }));
    } catch (err) {
      if (err instanceof DatasetError) throw new ConfigError(`task "${task.name}": ${err.message}`, { cause: err });
      throw err;
    }
  }
  const dataset = await loadDatasetFile(path);
  const labels = new Set(labelNames(task));
  const unknown = dataset.examples.find((e) => !labels.has(e.label ?? ""));
  if (unknown !== undefined) throw new ConfigError(`${path}:${unknown.line}: label "${unknown.label}" is not one of task "${task.name}"'s labels`);
  return dataset.examples.map((e) => ({ text: e.text, label: e.label! }));
}

async function importExamples(runtimes: TaskRuntimes, task: AnyTask, rows: { text: string; label: string }[]): Promise<number> {
  const rt = await runtimes.get(task.name);
  if (rt === null) throw new ConfigError(`task "${task.name}" vanished while its examples were imported`);
  await rt.addHumanLabels(rows, "import");
  rt.scheduleRetrain();
  return rows.length;
}

function declaredKeys(config: GatewayConfig, env: NodeJS.ProcessEnv): { name: string; role: ApiKeyRecord["role"]; key: string; permissions: ApiKeyPermissions }[] {
  return config.keys.map((k) => {
    const key = env[k.key_env];
    if (key === undefined || key === "") throw new ConfigError(`API key "${k.name}": environment variable ${k.key_env} is not set`);
    const permissions = { ...(k.force_teacher === undefined ? {} : { force_teacher: k.force_teacher }), teacher_budget: k.teacher_budget ?? null };
    return { name: k.name, role: k.role, key, permissions };
  });
}

async function installKeys(store: Store, keys: ReturnType<typeof declaredKeys>): Promise<BootstrapReport["keys"]> {
  const installed: BootstrapReport["keys"] = [];
  for (const k of keys) {
    try {
      const { created } = await store.apiKeys.install(k.key, k.name, k.role, k.permissions);
      installed.push({ name: k.name, role: k.role, created });
    } catch (err) {
      // The store's message names the key by its prefix only, never the whole key.
      throw new ConfigError(`keys: ${(err as Error).message}`, { cause: err });
    }
  }
  return installed;
}

/**
 * Everything is read and checked first (task files, new tasks' examples, key variables), so a
 * mistake in the configuration stops the start before anything is written.
 */
export async function applyConfig(store: Store, runtimes: TaskRuntimes, teachers: TeacherRegistry, config: GatewayConfig, env: NodeJS.ProcessEnv = process.env): Promise<BootstrapReport> {
  const tasks = await Promise.all(config.tasks.map((entry, i) => declaredTask(config, teachers, entry, i)));
  const names = new Set<string>();
  for (const t of tasks) {
    if (names.has(t.name)) throw new ConfigError(`task "${t.name}" is declared twice in the configuration`);
    names.add(t.name);
  }
  const existing = await Promise.all(tasks.map((t) => store.tasks.get(t.name)));
  const examples = await Promise.all(
    tasks.map((t, i) => {
      const file = config.tasks[i].examples;
      return existing[i] === null && file !== undefined ? declaredExamples(config, t, file) : null;
    }),
  );
  const keys = declaredKeys(config, env);

  const report: BootstrapReport = { created: [], updated: [], unchanged: [], imported: {}, keys: await installKeys(store, keys) };
  for (const [i, task] of tasks.entries()) {
    const stored = existing[i];
    const rows = examples[i];
    if (stored === null) {
      await store.tasks.create(task);
      report.created.push(task.name);
      if (rows !== null) report.imported[task.name] = await importExamples(runtimes, task, rows);
    } else if (JSON.stringify(stored.definition) !== JSON.stringify(task)) {
      await store.tasks.update(task.name, task);
      await runtimes.drop(task.name);
      report.updated.push(task.name);
    } else {
      report.unchanged.push(task.name);
    }
  }
  return report;
}
