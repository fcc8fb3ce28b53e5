// The gateway's configuration file (apprentice.yaml or .json): where it listens, its database,
// the upstream LLM, the teachers tasks may use, defaults for the tasks it declares, model aliases,
// rate limits and API keys to install from the environment. Every field is optional; the schema is the
// reference (README "Configuration file"). Paths inside the file are relative to the file.
import { readFile } from "node:fs/promises";
import { dirname, extname, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { TASK_NAME_PATTERN } from "../task/task-name.js";
import { TEACHER_ENDPOINT_FIELDS, TeacherBudgetSchema, TeacherKnobsSchema, TeacherNameSchema, zodProblems } from "../task/definition.js";
import { CaptureSettingsSchema } from "./capture/capture-settings.js";
import { DeclaredTeacherSchema } from "./runtime/teachers.js";

const ApiKeySchema = z
  .object({
    name: z.string().min(1).max(200),
    role: z.enum(["admin", "predict"]),
    /** The environment variable holding the key (`apx_` + 32 or more base64url characters). */
    key_env: z.string().min(1),
    /** May send `route: "teacher"` (default: true for admin keys, false for predict keys). */
    force_teacher: z.boolean().optional(),
    /** The key's own teacher budget, across tasks (README "Teacher spend"). */
    teacher_budget: TeacherBudgetSchema.optional(),
  })
  .strict();

/** How long request-log rows are kept, and how many per task (README "Retention"). */
const RetentionLimitsSchema = z
  .object({
    max_age_days: z.number().positive().max(36_500).optional(),
    max_rows_per_task: z.number().int().min(1).optional(),
  })
  .strict();

const TaskEntrySchema = z
  .object({
    /** A task file (JSON or YAML), relative to the configuration file. */
    file: z.string().min(1).optional(),
    /** Or the task itself, inline (validated like a task file). */
    task: z.record(z.string(), z.unknown()).optional(),
    /** Examples (CSV or JSONL) imported when the task is first created. */
    examples: z.string().min(1).optional(),
  })
  .strict()
  .refine((t) => (t.file === undefined) !== (t.task === undefined), "give either file or task");

export const ConfigSchema = z
  .object({
    server: z
      .object({
        host: z.string().min(1).optional(),
        port: z.number().int().min(0).max(65535).optional(),
        /** Largest request body in MiB (example imports have their own, larger limit). */
        body_limit_mb: z.number().positive().max(1024).optional(),
      })
      .strict()
      .default({}),
    /** A SQLite path, sqlite:PATH or postgres://… (DATABASE_URL and --db take precedence). */
    database: z.string().min(1).optional(),
    /** `buffered` (default): reply first, write the request log within 50 ms; `sync`: commit each row before replying. */
    request_log: z.enum(["buffered", "sync"]).optional(),
    /** Origins allowed to call the API from a browser; absent: CORS off. */
    cors: z.object({ origins: z.array(z.string().min(1)).min(1), max_age_s: z.number().int().min(0).max(86_400).optional() }).strict().optional(),
    /** Requests per second per API key; false: no limit. */
    rate_limit: z
      .union([z.literal(false), z.object({ requests_per_second: z.number().positive(), burst: z.number().min(1).optional() }).strict()])
      .optional(),
    /** Where chat completions for any model other than a task are forwarded. */
    upstream: z
      .object({
        base_url: z.string().url(),
        api_key_env: z.string().min(1).default("OPENAI_API_KEY"),
        /** Limits of the pass-through (README "Pass-through to an upstream LLM"); defaults in upstream.ts. */
        connect_timeout_ms: z.number().int().positive().optional(),
        timeout_ms: z.number().int().positive().optional(),
        idle_timeout_ms: z.number().int().positive().optional(),
        concurrency: z.number().int().positive().max(10_000).optional(),
        queue_timeout_ms: z.number().int().min(0).optional(),
      })
      .strict()
      .optional(),
    /** Which calls forwarded to the upstream become captured tasks (README "Capture"); false: pure pass-through. */
    capture: z.union([z.literal(false), CaptureSettingsSchema]).optional(),
    /** The teachers tasks may use, by name: endpoint, key variable, model, prices, limits (README "Teachers"). */
    teachers: z.record(TeacherNameSchema, DeclaredTeacherSchema).default({}),
    /** What every task declared below starts from (its own settings win): which teacher, and the per-task teacher settings. */
    teacher: TeacherKnobsSchema.partial()
      .extend({ name: z.string().regex(TASK_NAME_PATTERN).optional() })
      .strict()
      .optional(),
    tasks: z.array(TaskEntrySchema).default([]),
    /** Extra model names for chat completions, e.g. `support-bot: task:banking`. */
    aliases: z.record(z.string().min(1), z.string().regex(/^task:[a-z0-9][a-z0-9_-]{0,63}$/, 'an alias must point to "task:<name>"')).default({}),
    keys: z.array(ApiKeySchema).default([]),
    /** Request-log retention: defaults for every task, `tasks` overrides by task name; false keeps everything. */
    retention: z
      .union([
        z.literal(false),
        RetentionLimitsSchema.extend({
          /** Seconds between pruning runs. */
          interval_s: z.number().positive().max(86_400).optional(),
          tasks: z.record(z.string().min(1), RetentionLimitsSchema).optional(),
        }).strict(),
      ])
      .optional(),
    /** `require_key: true`: /metrics needs a gateway key (any role) like the API. */
    metrics: z.object({ require_key: z.boolean().default(false) }).strict().optional(),
    /** Failed authentications allowed per client address (token bucket); false: no limit. */
    auth_failures: z
      .union([z.literal(false), z.object({ per_second: z.number().positive(), burst: z.number().min(1).optional(), max_clients: z.number().int().min(1).max(10_000_000).optional() }).strict()])
      .optional(),
  })
  .strict();

export type GatewayConfig = z.infer<typeof ConfigSchema> & {
  /** The folder relative paths in the file are resolved against. */
  baseDir: string;
};

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Validates configuration data; `source` names it in messages. */
export function parseConfig(data: unknown, source: string, baseDir: string): GatewayConfig {
  const teacher = (data as { teacher?: unknown } | null)?.teacher;
  const endpointField = typeof teacher === "object" && teacher !== null ? TEACHER_ENDPOINT_FIELDS.find((f) => f in teacher) : undefined;
  if (endpointField !== undefined) {
    throw new ConfigError(`configuration ${source} is invalid: teacher.${endpointField}: declare the teacher under teachers: (a name with its base_url, api_key_env, model, prices and limits) and choose it for the tasks with teacher.name`);
  }
  const result = ConfigSchema.safeParse(data ?? {});
  if (!result.success) {
    throw new ConfigError(`configuration ${source} is invalid: ${zodProblems(result.error, "(config)")}`);
  }
  return { ...result.data, baseDir };
}

export async function loadConfigFile(path: string): Promise<GatewayConfig> {
  const ext = extname(path).toLowerCase();
  if (![".yaml", ".yml", ".json"].includes(ext)) throw new ConfigError(`cannot tell the format of configuration ${path} from its extension: use .yaml, .yml or .json`);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(`cannot read configuration ${path}: ${code === "ENOENT" ? "file not found" : (err as Error).message}`, { cause: err });
  }
  let data: unknown;
  try {
    data = ext === ".json" ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError(`configuration ${path} is not valid ${ext === ".json" ? "JSON" : "YAML"}: ${(err as Error).message.split("\n")[0]}`, { cause: err });
  }
  return parseConfig(data, path, dirname(resolve(path)));
}

export function resolvePath(config: GatewayConfig, path: string): string {
  return resolve(config.baseDir, path);
}
