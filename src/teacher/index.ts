// One place to build a teacher from a task, so the CLI, gateway and benchmarks agree.
import { localTeacherSettings, type Task } from "../task/definition.js";
import { isStructuredTask, outputFields, type AnyTask, type StructuredTask } from "../task/structured.js";
import { OpenAITeacher, type OpenAITeacherOptions } from "./openai-teacher.js";
import { structuredAnswerKey, type StructuredKeyOptions } from "./sim-structured-key.js";
import { SimulatedTeacher, type SimulatedTeacherOptions } from "./simulated-teacher.js";
import type { Teacher } from "./types.js";

export interface CreateTeacherOptions {
  /** Defaults to the task file's `teacher.provider` (or the settings' given in `openai`). */
  kind?: "openai" | "sim";
  /** Required for "sim": the gold set and target accuracy (labels default to the task's). */
  sim?: Omit<SimulatedTeacherOptions, "labels"> & { labels?: string[] };
  openai?: OpenAITeacherOptions;
}

/** For a structured task, the simulated teacher answers gold objects (the fields are the task's). */
export interface CreateStructuredTeacherOptions extends Omit<CreateTeacherOptions, "sim"> {
  /** Required for "sim": the gold objects and the target whole-object accuracy. */
  sim?: Omit<StructuredKeyOptions, "fields">;
}

export function createTeacher(task: Task, options?: CreateTeacherOptions): Teacher;
export function createTeacher(task: StructuredTask, options?: CreateStructuredTeacherOptions): Teacher;
export function createTeacher(task: AnyTask, options: CreateTeacherOptions | CreateStructuredTeacherOptions = {}): Teacher {
  const kind = options.kind ?? options.openai?.settings?.provider ?? localTeacherSettings(task).provider;
  if (kind === "openai") return new OpenAITeacher(task, options.openai);
  if (!options.sim) throw new TypeError('createTeacher: kind "sim" needs options.sim (gold set and accuracy)');
  // The overloads pair each kind of task with its own sim options.
  if (isStructuredTask(task)) {
    const sim = options.sim as Omit<StructuredKeyOptions, "fields">;
    return new SimulatedTeacher({ key: structuredAnswerKey({ ...sim, fields: outputFields(task) }) });
  }
  const sim = options.sim as NonNullable<CreateTeacherOptions["sim"]>;
  return new SimulatedTeacher({ ...sim, labels: sim.labels ?? task.labels.map((l) => l.name) });
}

export { OpenAITeacher, TeacherConfigError, type OpenAITeacherOptions } from "./openai-teacher.js";
export { SimulatedTeacher, type SimulatedTeacherOptions } from "./simulated-teacher.js";
export { simulatedAnswerKey, type SimulatedAnswerKey, type AnswerKeyOptions } from "./sim-answer-key.js";
export { structuredAnswerKey, type StructuredKeyOptions } from "./sim-structured-key.js";
export { buildMessages, buildSystemPrompt, labelResponseFormat } from "./prompt.js";
export { parseLabel, type ParseResult } from "./parse.js";
export { answerFormat, type AnswerFormat } from "./answer-format.js";
export { buildStructuredMessages, buildStructuredSystemPrompt, structuredResponseFormat } from "./structured-prompt.js";
export { checkStructuredObject, parseStructuredAnswer, type StructuredParseResult } from "./structured-parse.js";
export { Semaphore } from "./semaphore.js";
export { CircuitBreaker, CircuitBreakerTeacher, type CircuitBreakerOptions, type CircuitSnapshot, type CircuitState } from "./circuit-breaker.js";
export type { Teacher, TeacherAnswer, TeacherStatus, TeacherUsage, ClassifyOptions, FewShotExample } from "./types.js";
