// `apprentice simulate` for a structured task: the stream and holdout are JSONL files of gold
// objects ({"text", "output"}), the simulated teacher answers those objects at a set whole-object
// accuracy, and the cascade's answers are canonical objects, scored by exact match. What the label
// path and this one share (the run, the summary, the plot) stays in commands/simulate.ts.
import { Cascade } from "../cascade/cascade.js";
import type { LabelledText } from "../cascade/holdout-scores.js";
import { structuredKind } from "../cascade/specialist-kind.js";
import type { ObjectRecord } from "../data/object-dataset.js";
import { teacherOnlyNotices } from "../task/output-fields.js";
import { outputFields, type StructuredTask } from "../task/structured.js";
import type { Teacher } from "../teacher/types.js";
import { CliError } from "./errors.js";
import { warnAll } from "./output.js";
import { loadObjects, refuseLabelFlags } from "./structured.js";

/**
 * The simulated teacher's share of whole objects exactly right. Higher than the label default
 * (0.83, a many-label intent task) because this counts whole objects on a task with few fields:
 * prompted LLMs name the intent of a request nearly always right and slip mostly on copying
 * values with exact boundaries, so 85% of objects right is a strong prompted teacher, the figure
 * bench:structured uses on SNIPS.
 */
export const DEFAULT_STRUCTURED_SIM_ACCURACY = 0.85;
/** How often the simulated teacher answers "none of these" for a text (a structured task: a choice) that fits nothing offered: an LLM mostly does. */
export const DEFAULT_SIM_NONE_RATE = 0.9;

export interface StructuredSimFlags {
  stream: string;
  holdout?: string;
  textColumn?: string;
  labelColumn?: string;
  noneRate?: number;
  format?: string;
  onBadRow?: "skip" | "fail";
  teacherAccuracy?: number;
}

/** The cascade compares answers as strings: an object's canonical JSON. */
const asLabelled = (records: readonly ObjectRecord[]): LabelledText[] => records.map((r) => ({ text: r.text, label: r.answer }));

/** Reads and checks both files before anything runs, then builds the teacher and the cascade. */
export async function structuredSimulation(task: StructuredTask, kind: "sim" | "openai", flags: StructuredSimFlags) {
  refuseLabelFlags(flags);
  const fields = outputFields(task);
  warnAll(teacherOnlyNotices(fields));
  const stream = (await loadObjects(flags.stream, fields, flags)).examples;
  const holdout = flags.holdout === undefined ? undefined : (await loadObjects(flags.holdout, fields, flags)).examples;
  const teacher = await buildTeacher(kind, task, [...stream, ...(holdout ?? [])], flags.teacherAccuracy ?? DEFAULT_STRUCTURED_SIM_ACCURACY, flags.noneRate ?? DEFAULT_SIM_NONE_RATE);
  const cascade = new Cascade({ task, kind: structuredKind(fields), teacher });
  return { stream: asLabelled(stream), holdout: holdout && asLabelled(holdout), teacher, cascade, fields };
}

async function buildTeacher(kind: "sim" | "openai", task: StructuredTask, gold: ObjectRecord[], accuracy: number, noneRate: number): Promise<Teacher> {
  // Loaded on demand: the OpenAI SDK is only needed by the openai teacher.
  const { createTeacher } = await import("../teacher/index.js");
  // Gold "none of these" in a choice field marks an out-of-scope text: the simulated teacher says so at noneRate.
  const sim = { gold, accuracy, seed: task.training.seed, outOfScope: { rate: noneRate } };
  try {
    return kind === "sim" ? createTeacher(task, { kind, sim }) : createTeacher(task, { kind });
  } catch (err) {
    throw new CliError(`cannot set up the ${kind} teacher: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
