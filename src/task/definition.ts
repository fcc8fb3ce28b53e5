// A task: what the specialist learns and what the teacher is asked. The CLI reads it from a
// JSON or YAML file; the gateway stores the same shape. The schema is the documentation.
import { z } from "zod";
import { findTextFault } from "../data/text.js";
import { NONE_LABEL } from "./none.js";
import { TASK_NAME_PATTERN, TASK_NAME_RULE } from "./task-name.js";

/** A task's name: also the name a captured task is renamed or merged to. */
export const TaskNameSchema = z.string().regex(TASK_NAME_PATTERN, TASK_NAME_RULE);

/** A declared teacher's name (the configuration's `teachers`, a task's `teacher.name`): the task-name rule. */
export const TeacherNameSchema = z.string().regex(TASK_NAME_PATTERN, "a teacher name is 1-64 characters a-z, 0-9, '_' or '-'");

export const LabelSchema = z.object({
  name: z.string().min(1).max(200),
  /** Shown to the teacher in its prompt, to tell close labels apart. */
  description: z.string().max(2000).optional(),
  /** What a chatbot replies when this label is predicted (the gateway returns it as message content). */
  answer: z.string().max(20000).optional(),
});

/**
 * Where the teacher is, what it costs and how hard it may be pushed. On the gateway only its
 * operator sets these, per declared teacher (configuration `teachers:`, README "Teachers"); a
 * local task file for the CLI's offline commands may set them itself.
 */
const teacherEndpointFields = {
  /** `openai`: any OpenAI-compatible chat-completions endpoint. `sim`: the simulated teacher. */
  provider: z.enum(["openai", "sim"]),
  model: z.string().min(1),
  /** Falls back to OPENAI_BASE_URL, then the SDK's default. */
  base_url: z.string().url().optional(),
  /** Name of the environment variable that holds the key; the key itself never goes in a task file. */
  api_key_env: z.string().min(1),
  timeout_ms: z.number().int().positive(),
  max_retries: z.number().int().min(0).max(10),
  concurrency: z.number().int().positive().max(256),
  /** Prices in the user's currency per million tokens, for the cost figures. */
  price_input_per_mtok: z.number().min(0),
  price_output_per_mtok: z.number().min(0),
};
export const TeacherEndpointSchema = z.object(teacherEndpointFields);
export const TEACHER_ENDPOINT_DEFAULTS = {
  provider: "openai",
  model: "gpt-4o-mini",
  api_key_env: "OPENAI_API_KEY",
  timeout_ms: 30_000,
  max_retries: 3,
  concurrency: 4,
  price_input_per_mtok: 0.15,
  price_output_per_mtok: 0.6,
} as const satisfies z.input<typeof TeacherEndpointSchema>;
/** The endpoint fields a task's teacher block may carry only in a local task file. */
export const TEACHER_ENDPOINT_FIELDS = Object.keys(teacherEndpointFields) as (keyof typeof teacherEndpointFields)[];

/** What a task chooses about its teacher's answers, wherever it runs. */
export const TeacherKnobsSchema = z.object({
  temperature: z.number().min(0).max(2).default(0),
  /** Up to this many stored examples are shown to the teacher as few-shot examples. */
  few_shot: z.number().int().min(0).max(50).default(0),
  /** Structured output (JSON schema with an enum of labels); turn off for servers that reject it. */
  structured_output: z.boolean().default(true),
  /**
   * When a request routed to the teacher gets no valid answer (the teacher is down, times out, its
   * circuit is open, or it answers off the label list): `specialist` answers with the specialist's
   * prediction flagged `degraded` (never stored as an example); `fail` answers 503/502. Without a
   * specialist yet, or for `route: "teacher"`, there is nothing to fall back on either way.
   */
  on_failure: z.enum(["specialist", "fail"]).default("specialist"),
});

/**
 * A task's teacher block: on the gateway, `name` (a teacher its operator declared) and the knobs;
 * in a local task file, the endpoint fields too (every one optional: see localTeacherSettings).
 */
export const TaskTeacherSchema = TeacherKnobsSchema.extend({
  name: TeacherNameSchema.optional(),
  ...TeacherEndpointSchema.partial().shape,
});

/** Everything a teacher runs with: the endpoint's settings and the task's knobs. */
export type TeacherSettings = z.infer<typeof TeacherEndpointSchema> & z.infer<typeof TeacherKnobsSchema>;
export type TeacherEndpoint = z.infer<typeof TeacherEndpointSchema>;

/** The settings of a task's teacher as a local task file gives them (the CLI), defaults filled in. */
export function localTeacherSettings(task: Pick<Task, "teacher">): TeacherSettings {
  const given = Object.fromEntries(TEACHER_ENDPOINT_FIELDS.filter((f) => task.teacher[f] !== undefined).map((f) => [f, task.teacher[f]]));
  return { ...TeacherEndpointSchema.parse({ ...TEACHER_ENDPOINT_DEFAULTS, ...given }), ...knobsOf(task) };
}

/** The task's own choices about its teacher's answers. */
export function knobsOf(task: Pick<Task, "teacher">): z.infer<typeof TeacherKnobsSchema> {
  const { temperature, few_shot, structured_output, on_failure } = task.teacher;
  return { temperature, few_shot, structured_output, on_failure };
}

export const RoutingSchema = z.object({
  /** Highest error rate accepted on the requests the specialist answers, measured against the reference labels. */
  max_error: z.number().gt(0).lt(1).default(0.05),
  /** Probability with which the error bound must hold (Clopper–Pearson, one-sided). */
  confidence_level: z.number().gt(0.5).lt(1).default(0.95),
  /** Share of specialist-answered requests also sent to the teacher, to audit the specialist live. */
  audit_rate: z.number().min(0).max(1).default(0.05),
  /** Inputs whose out-of-scope score exceeds this go to the teacher whatever the confidence (1 turns the check off). */
  out_of_scope_max: z.number().min(0).max(1).default(0.9),
});

export const TrainingSchema = z.object({
  /** Retrain after this many new examples. */
  retrain_every: z.number().int().positive().default(250),
  /** Do not train a specialist before this many examples. */
  min_examples: z.number().int().positive().default(100),
  /** Share of examples held out for the routing threshold and for comparing model versions. */
  holdout_fraction: z.number().gt(0).lt(0.9).default(0.2),
  seed: z.number().int().default(1),
  /**
   * Names of the API keys whose requests the task learns from (teacher answers and audits become
   * examples); absent: every key. Requests of other keys are still answered, not learned from.
   */
  learn_from_keys: z.array(z.string().min(1).max(200)).max(1000).optional(),
});

/**
 * Teacher calls and cost allowed per calendar window (UTC hour, UTC day), for a task or an API key
 * (README "Teacher spend"). An absent field is no limit; 0 allows no teacher call at all.
 */
export const TeacherBudgetSchema = z
  .object({
    calls_per_hour: z.number().int().min(0).optional(),
    calls_per_day: z.number().int().min(0).optional(),
    /** In the task's currency (the teacher's prices). */
    cost_per_hour: z.number().min(0).optional(),
    cost_per_day: z.number().min(0).optional(),
  })
  .strict();

/**
 * The chat completion for a "none of these" answer (a label task's none label; a structured
 * object with a choice field answered none): `answer`, a configured reply; or `upstream_model`:
 * the request is passed to the gateway's upstream LLM under that model and its reply is returned,
 * as the app would have got it without Apprentice. Neither: a label task answers the none label's
 * `answer` when out_of_scope_label names a label that has one, else the label's name; a
 * structured task refuses, as OpenAI does a structured output it cannot give
 * (src/server/openai/completion.ts taskReply).
 */
export const NoneReplySchema = z
  .object({
    answer: z.string().max(20000).optional(),
    upstream_model: z.string().min(1).max(200).optional(),
  })
  .strict()
  .refine((n) => n.answer === undefined || n.upstream_model === undefined, "set answer or upstream_model, not both");

export const TaskSchema = z.object({
  name: TaskNameSchema,
  description: z.string().max(2000).optional(),
  instructions: z.string().min(1).max(20000),
  labels: z
    .array(LabelSchema)
    .min(2)
    .max(5000)
    .refine((ls) => new Set(ls.map((l) => l.name)).size === ls.length, "label names must be unique"),
  /** A label meaning "none of the above": the specialist never answers with it, the teacher does. */
  out_of_scope_label: z.string().optional(),
  /** What the gateway's chat completions answer when the answer is "none of these" (README "Out of scope"). */
  none: NoneReplySchema.optional(),
  teacher: TaskTeacherSchema.default(TaskTeacherSchema.parse({})),
  routing: RoutingSchema.default(RoutingSchema.parse({})),
  training: TrainingSchema.default(TrainingSchema.parse({})),
  /** The task's teacher budget: past it, requests that would call the teacher get 429 (README "Teacher spend"). */
  budget: TeacherBudgetSchema.optional(),
  /**
   * `hash_inputs`: the gateway's request log keeps only a SHA-256 of each input, not the text.
   * Texts the teacher labels still become training examples: that is how the specialist learns.
   */
  privacy: z.enum(["keep_inputs", "hash_inputs"]).default("keep_inputs"),
});

/**
 * A task as the gateway's API and configuration file take it: the teacher block names a declared
 * teacher and sets the knobs, nothing else (the gateway's checks, src/server/runtime/teachers.ts; this
 * schema documents them in the OpenAPI description).
 */
export const GatewayTaskSchema = TaskSchema.extend({
  teacher: TeacherKnobsSchema.extend({ name: TaskTeacherSchema.shape.name }).strict().optional(),
});

export type Label = z.infer<typeof LabelSchema>;
export type RoutingTarget = z.infer<typeof RoutingSchema>;
export type TrainingSettings = z.infer<typeof TrainingSchema>;
export type Task = z.infer<typeof TaskSchema>;
export type TeacherBudget = z.infer<typeof TeacherBudgetSchema>;
/** What a user writes: every setting with a default may be left out. */
export type TaskInput = z.input<typeof TaskSchema>;

export class TaskError extends Error {
  override name = "TaskError";
}

/** Validates a task; the error lists every problem with its path, e.g. `routing.max_error: ...`. */
export function parseTask(input: unknown): Task {
  const task = validateTask(TaskSchema, input);
  if (task.out_of_scope_label !== undefined && !task.labels.some((l) => l.name === task.out_of_scope_label)) {
    throw new TaskError(`invalid task: out_of_scope_label: "${task.out_of_scope_label}" is not one of the labels`);
  }
  return task;
}

/** Every problem zod found, each named by its path (`whole` names the root), joined by "; ". */
export function zodProblems(error: z.ZodError, whole: string): string {
  return error.issues.map((i) => `${i.path.join(".") || whole}: ${i.message}`).join("; ");
}

/**
 * Validates against a task schema (labels or structured): every problem is named by its path, and
 * text that would not read back as sent (U+0000, lone surrogates: see textFault) is refused by field.
 */
export function validateTask<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new TaskError(`invalid task: ${zodProblems(result.error, "(task)")}`);
  }
  const fault = findTextFault(result.data);
  if (fault !== null) throw new TaskError(`invalid task: ${fault.path}: ${fault.fault}`);
  return result.data;
}

export { NONE_LABEL } from "./none.js";

/** The task's name for "none of these": its out_of_scope_label, else NONE_LABEL. */
export function noneLabel(task: { out_of_scope_label?: string }): string {
  return task.out_of_scope_label ?? NONE_LABEL;
}

/**
 * Every answer the task admits: its labels, plus "none of these" (noneLabel) when the task names
 * no out_of_scope_label of its own. What the teacher is offered (a teacher forced to choose names
 * the nearest label for a message that fits none, and the live audit then cannot see the
 * problem), and what a person, a feedback call or an import may give.
 */
export function answerLabels(task: Pick<Task, "labels"> & { out_of_scope_label?: string }): string[] {
  const names = labelNames(task);
  return offersExtraNone(task) ? [...names, NONE_LABEL] : names;
}

/**
 * Whether NONE_LABEL is an answer beside the task's labels: not when the task names its own
 * out_of_scope_label, nor when it has a label of that name already (offered once).
 */
export function offersExtraNone(task: Pick<Task, "labels"> & { out_of_scope_label?: string }): boolean {
  return task.out_of_scope_label === undefined && !task.labels.some((l) => l.name === NONE_LABEL);
}

export function labelNames(task: Pick<Task, "labels">): string[] {
  return task.labels.map((l) => l.name);
}
