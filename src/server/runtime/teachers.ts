// The teachers a gateway may call, declared by its operator: in the configuration file
// (`teachers:`), from the environment for the default one (OPENAI_BASE_URL / OPENAI_API_KEY), or
// in code (the demo and tests, which alone may enable the simulated teacher). A task refers to
// one by name; no API caller, admin included, can name an endpoint or an environment variable,
// so no key is ever sent anywhere its operator did not pair it with. Keys are read once, here.
import { z } from "zod";
import { knobsOf, TaskError, TEACHER_ENDPOINT_DEFAULTS, TEACHER_ENDPOINT_FIELDS, TeacherEndpointSchema, type TeacherEndpoint } from "../../task/definition.js";
import { isCapturedTask, parseAnyTask, type AnyTask } from "../../task/structured.js";
import { OpenAITeacher, Semaphore, type OpenAITeacherOptions, type Teacher, type TeacherAnswer } from "../../teacher/index.js";
import type { TeacherFactory } from "./task-runtime.js";

/** The teacher a task without `teacher.name` gets, and the one the environment declares. */
export const DEFAULT_TEACHER = "default";
/** The simulated teacher's name where the demo or a test enables it. */
export const SIM_TEACHER = "sim";
/** Where the OpenAI SDK sends requests when no base URL is given (named here so the SDK never reads OPENAI_BASE_URL itself). */
const OPENAI_API_URL = "https://api.openai.com/v1";

/** One teacher as the operator declares it; every field but the name has a default (README "Teachers"). */
export const DeclaredTeacherSchema = TeacherEndpointSchema.partial().strict();
export type TeacherDeclaration = z.input<typeof DeclaredTeacherSchema>;

/** A declaration the gateway cannot use at all (the simulated teacher outside the demo and tests). */
export class TeacherDeclarationError extends Error {
  override name = "TeacherDeclarationError";
}

/** A task the gateway refuses: `message` starts with the field at fault. */
export class TaskTeacherError extends Error {
  override name = "TaskTeacherError";
}

/** The default teacher as the environment declares it: OPENAI_API_KEY (and OPENAI_BASE_URL, OPENAI_MODEL). */
export function teachersFromEnv(env: NodeJS.ProcessEnv): Record<string, TeacherDeclaration> {
  if (!env.OPENAI_API_KEY && !env.OPENAI_BASE_URL) return {};
  return { [DEFAULT_TEACHER]: { provider: "openai", api_key_env: "OPENAI_API_KEY", ...(env.OPENAI_BASE_URL ? { base_url: env.OPENAI_BASE_URL } : {}), ...(env.OPENAI_MODEL ? { model: env.OPENAI_MODEL } : {}) } };
}

interface Declared {
  name: string;
  settings: TeacherEndpoint;
  apiKey: string | undefined;
  /** Every task of this teacher shares it: `concurrency` bounds the teacher, not each task. */
  semaphore: Semaphore;
  /** Why no task can use it (its key is not set), or null. */
  problem: string | null;
}

export interface TeacherRegistryOptions {
  /** Builds the simulated teacher for a task: given only by the demo and tests, it enables provider `sim` (and declares `sim`). */
  simulated?: TeacherFactory;
  /** Test hooks of the OpenAI teacher (sleep, random, fetch); never the endpoint or key. */
  openai?: Pick<OpenAITeacherOptions, "sleep" | "random" | "now" | "fetch">;
}

/** What a task's teacher resolves to: a declared teacher, or why it has none. */
export type TeacherResolution = { declared: Declared; legacy: boolean } | { declared: null; problem: string };

/** A task whose teacher cannot be used answers through this: every call fails with the reason, nothing is sent anywhere. */
class UnavailableTeacher implements Teacher {
  readonly name = "unavailable";
  constructor(readonly reason: string) {}
  async classify(): Promise<TeacherAnswer> {
    return { label: null, status: "error", reason: this.reason, usage: { input_tokens: 0, output_tokens: 0 }, cost: 0, latency_ms: 0, attempts: 0 };
  }
}

const trimSlash = (url: string): string => url.replace(/\/+$/, "");

export class TeacherRegistry {
  readonly #declared = new Map<string, Declared>();
  readonly #options: TeacherRegistryOptions;

  /** `declarations` by name; throws TeacherDeclarationError for one that names the simulated teacher without `simulated`. */
  constructor(declarations: Record<string, TeacherDeclaration>, env: NodeJS.ProcessEnv, options: TeacherRegistryOptions = {}) {
    this.#options = options;
    const all = options.simulated === undefined ? declarations : { [SIM_TEACHER]: { provider: "sim" as const }, ...declarations };
    for (const [name, declaration] of Object.entries(all)) {
      const settings = TeacherEndpointSchema.parse({ ...TEACHER_ENDPOINT_DEFAULTS, ...declaration });
      if (settings.provider === "sim" && options.simulated === undefined) {
        throw new TeacherDeclarationError(`teachers.${name}.provider: the simulated teacher runs only in the demo and in tests`);
      }
      const apiKey = settings.provider === "openai" ? env[settings.api_key_env] || undefined : undefined;
      const problem = settings.provider === "openai" && apiKey === undefined ? `teacher "${name}" has no API key: the operator must set the environment variable ${settings.api_key_env}` : null;
      this.#declared.set(name, { name, settings: { ...settings, base_url: trimSlash(settings.base_url ?? OPENAI_API_URL) }, apiKey, semaphore: new Semaphore(settings.concurrency), problem });
    }
  }

  names(): string[] {
    return [...this.#declared.keys()];
  }

  /** The teacher a new task without `teacher.name` gets: `default`, else the only one declared, else none. */
  defaultName(): string | null {
    if (this.#declared.has(DEFAULT_TEACHER)) return DEFAULT_TEACHER;
    return this.#declared.size === 1 ? [...this.#declared.keys()][0] : null;
  }

  /** Why a task cannot use the teacher of that name, or null. */
  problem(name: string): string | null {
    const declared = this.#declared.get(name);
    if (declared === undefined) {
      const names = this.names();
      return `no teacher "${name}" is declared on this gateway (${names.length === 0 ? "none is: the operator declares them in the configuration file's teachers:, or sets OPENAI_API_KEY" : `declared: ${names.join(", ")}`})`;
    }
    return declared.problem;
  }

  /**
   * Validates a task created or changed through the API or the configuration file: its teacher
   * block may name a declared teacher and set the task's own knobs, nothing else. Returns the task
   * with `teacher.name` filled in; throws TaskTeacherError (field first) or TaskError.
   */
  checkTask(data: unknown): AnyTask {
    const teacher = typeof data === "object" && data !== null ? (data as { teacher?: unknown }).teacher : undefined;
    if (typeof teacher === "object" && teacher !== null) {
      const field = TEACHER_ENDPOINT_FIELDS.find((f) => f in teacher);
      if (field !== undefined) {
        throw new TaskTeacherError(`teacher.${field}: a task cannot choose its teacher's ${field.replaceAll("_", " ")}; the operator declares teachers (endpoint, key, model, prices, limits) in the configuration file's teachers:, and a task names one with teacher.name`);
      }
    }
    const task = parseAnyTask(data);
    const name = task.teacher.name ?? this.defaultName();
    if (name === null) throw new TaskTeacherError(`teacher.name: this gateway declares ${this.#declared.size === 0 ? "no teacher" : `several teachers (${this.names().join(", ")})`}: name one`);
    const problem = this.problem(name);
    if (problem !== null) throw new TaskTeacherError(`teacher.name: ${problem}`);
    return { ...task, teacher: { ...task.teacher, name } };
  }

  /**
   * The declared teacher a stored task uses. A task stored before teachers were declared (no
   * `teacher.name`, endpoint fields instead) maps to the declared teacher of its base URL, or the
   * default one when it named none, or the simulated one if it was simulated; otherwise it has no
   * teacher until an admin names one.
   */
  resolve(task: AnyTask): TeacherResolution {
    const { name } = task.teacher;
    if (name !== undefined) {
      const problem = this.problem(name);
      return problem === null ? { declared: this.#declared.get(name)!, legacy: false } : { declared: null, problem };
    }
    if (isCapturedTask(task)) {
      return {
        declared: null,
        problem: `task "${task.name}" is a captured task: its teacher is the upstream's own answer to each captured call to ${task.capture.model}, so it has no teacher to ask directly; to ask one (predict with route "teacher", or when the specialist is unsure on /v1/tasks/${task.name}/predict), an admin names a declared teacher with PATCH /v1/tasks/${task.name} {"teacher": {"name": ...}}`,
      };
    }
    const { provider, base_url } = task.teacher;
    const candidates = [...this.#declared.values()].filter((d) => d.problem === null);
    const match =
      provider === "sim"
        ? candidates.find((d) => d.settings.provider === "sim")
        : base_url === undefined
          ? candidates.find((d) => d.name === DEFAULT_TEACHER && d.settings.provider === "openai")
          : candidates.find((d) => d.settings.provider === "openai" && d.settings.base_url === trimSlash(base_url));
    if (match !== undefined) return { declared: match, legacy: true };
    return {
      declared: null,
      problem: `task "${task.name}" was stored before teachers were declared by the operator, and no declared teacher matches its old teacher settings: an admin names one with PATCH /v1/tasks/${task.name} {"teacher": {"name": ...}}`,
    };
  }

  /** The task's teacher (TaskRuntimes' factory). Never throws: a task without a usable teacher gets one that always fails with the reason. */
  readonly teacherFor: TeacherFactory = (task) => {
    const resolved = this.resolve(task);
    if (resolved.declared === null) return new UnavailableTeacher(resolved.problem);
    const { settings, apiKey, semaphore } = resolved.declared;
    if (settings.provider === "sim") return this.#options.simulated!(task);
    return new OpenAITeacher(task, { ...this.#options.openai, settings: { ...settings, ...knobsOf(task) }, apiKey, baseURL: settings.base_url, semaphore, env: {} });
  };

  /** What GET /v1/tasks/:name shows of the task's teacher: never a key, its variable or the endpoint. */
  describe(task: AnyTask): { name: string | null; provider: string | null; model: string | null; status: "ready" | "unavailable"; reason?: string } {
    const resolved = this.resolve(task);
    if (resolved.declared === null) return { name: task.teacher.name ?? null, provider: null, model: null, status: "unavailable", reason: resolved.problem };
    const { name, settings } = resolved.declared;
    return { name, provider: settings.provider, model: settings.provider === "sim" ? null : settings.model, status: "ready" };
  }
}

/** TaskError and TaskTeacherError, the two ways checkTask refuses a task. */
export function isTaskRefusal(err: unknown): err is TaskError | TaskTeacherError {
  return err instanceof TaskError || err instanceof TaskTeacherError;
}
