// One place to build a teacher from a task, so the CLI, gateway and benchmarks agree.
import { localTeacherSettings, type Task } from "../task/definition.js";
import { OpenAITeacher, type OpenAITeacherOptions } from "./openai-teacher.js";
import { SimulatedTeacher, type SimulatedTeacherOptions } from "./simulated-teacher.js";
import type { Teacher } from "./types.js";

export interface CreateTeacherOptions {
  /** Defaults to the task file's `teacher.provider` (or the settings' given in `openai`). */
  kind?: "openai" | "sim";
  /** Required for "sim": the gold set and target accuracy (labels default to the task's). */
  sim?: Omit<SimulatedTeacherOptions, "labels"> & { labels?: string[] };
  openai?: OpenAITeacherOptions;
}

export function createTeacher(task: Task, options: CreateTeacherOptions = {}): Teacher {
  const kind = options.kind ?? options.openai?.settings?.provider ?? localTeacherSettings(task).provider;
  if (kind === "openai") return new OpenAITeacher(task, options.openai);
  if (!options.sim) throw new TypeError('createTeacher: kind "sim" needs options.sim (gold set and accuracy)');
  return new SimulatedTeacher({ ...options.sim, labels: options.sim.labels ?? task.labels.map((l) => l.name) });
}

export { OpenAITeacher, TeacherConfigError, type OpenAITeacherOptions } from "./openai-teacher.js";
export { SimulatedTeacher, type SimulatedTeacherOptions } from "./simulated-teacher.js";
export { simulatedAnswerKey, type SimulatedAnswerKey, type AnswerKeyOptions } from "./sim-answer-key.js";
export { buildMessages, buildSystemPrompt, labelResponseFormat } from "./prompt.js";
export { parseLabel, type ParseResult } from "./parse.js";
export { answerFormat, type AnswerFormat } from "./answer-format.js";
export { buildStructuredMessages, buildStructuredSystemPrompt, structuredResponseFormat } from "./structured-prompt.js";
export { parseStructuredAnswer, type StructuredParseResult } from "./structured-parse.js";
export { Semaphore } from "./semaphore.js";
export { CircuitBreaker, CircuitBreakerTeacher, type CircuitBreakerOptions, type CircuitSnapshot, type CircuitState } from "./circuit-breaker.js";
export type { Teacher, TeacherAnswer, TeacherStatus, TeacherUsage, ClassifyOptions, FewShotExample } from "./types.js";
