// apprentice simulate: replays a labelled stream through a cascade from a cold start and reports
// how many teacher calls it saved and what that cost in accuracy, against calling the teacher on
// every request. With --teacher sim the teacher is simulated from the files' own labels, so a run
// is free, offline and repeatable. A structured task (an `output` block) reads JSONL files of gold
// objects instead and scores whole objects by exact match (../simulate-structured.ts).
import { writeFile } from "node:fs/promises";
import { InvalidArgumentError, Option, type Command } from "commander";
import { Cascade, type CascadeTask } from "../../cascade/cascade.js";
import type { LabelledText } from "../../cascade/holdout-scores.js";
import { simulationSvg } from "../../cascade/plot-svg.js";
import { simulate, type Checkpoint, type SimulationResult } from "../../cascade/simulation.js";
import { describeDatasetWarnings } from "../../data/dataset-report.js";
import { localTeacherSettings, NONE_LABEL, noneLabel, type Task } from "../../task/definition.js";
import { isStructuredTask, type AnyTask, type StructuredTask } from "../../task/structured.js";
import type { Teacher } from "../../teacher/types.js";
import { loadDataset } from "../dataset.js";
import { CliError, PROGRAM, UsageError } from "../errors.js";
import { count, fixed, keyValues, percent } from "../format.js";
import { datasetOptions, formatOption, integer, labelColumnOption, onBadRowOption, textColumnOption, type DatasetFlags } from "../options.js";
import { printLines, warnAll } from "../output.js";
import { DEFAULT_SIM_NONE_RATE, DEFAULT_STRUCTURED_SIM_ACCURACY, structuredSimulation } from "../simulate-structured.js";
import { loadTask } from "../structured.js";

type SimulateFlags = Omit<DatasetFlags, "data"> & {
  stream: string;
  task: string;
  teacher?: "sim" | "openai";
  teacherAccuracy?: number;
  noneRate?: number;
  holdout?: string;
  json?: boolean;
  plot?: string;
  seed?: number;
  teacherOnly: boolean;
};

/** A typical accuracy for a small hosted LLM on a many-label intent task. */
const DEFAULT_SIM_ACCURACY = 0.83;

function accuracyArg(value: string): number {
  const x = Number(value);
  if (value.trim() === "" || !(x >= 0 && x <= 1)) throw new InvalidArgumentError("expected a number from 0 to 1.");
  return x;
}

export function registerSimulate(program: Command): void {
  program
    .command("simulate")
    .description("replay a labelled stream through the cascade from a cold start: teacher calls saved, accuracy kept")
    .requiredOption("--stream <file>", 'labelled texts in arrival order (.csv, .jsonl or .ndjson); for a structured task, JSONL lines {"text", "output": {…}}')
    .requiredOption("--task <file>", "task definition (.json, .yaml or .yml)")
    .addOption(textColumnOption())
    .addOption(labelColumnOption())
    .addOption(new Option("--teacher <kind>", "sim: simulated from the files' labels; openai: the task's teacher (default: the task's provider)").choices(["sim", "openai"]))
    .addOption(new Option("--teacher-accuracy <x>", `accuracy of the simulated teacher, 0–1 (default: ${DEFAULT_SIM_ACCURACY}; structured task, share of whole objects right: ${DEFAULT_STRUCTURED_SIM_ACCURACY})`).argParser(accuracyArg))
    .option("--holdout <file>", "labelled texts to evaluate the final cascade on (same columns; labels outside the task count as out-of-scope)")
    .addOption(new Option("--none-rate <x>", `sim: share of out-of-scope texts the teacher answers "none of these" (structured task: of out-of-scope choice fields, gold "${NONE_LABEL}" or a value outside the field's enum; default ${DEFAULT_SIM_NONE_RATE})`).argParser(accuracyArg))
    .option("--json", "print one JSON object on stdout instead of the summary (structured task: accuracy figures are exact matches of whole objects)")
    .option("--plot <file.svg>", "write an SVG of teacher calls and rolling accuracy")
    .addOption(new Option("--seed <n>", "seed of the run: holdout assignment, audits, training, simulated teacher (default: the task's training.seed)").argParser(integer))
    .option("--no-teacher-only", "do not measure the teacher-only baseline (it costs an extra teacher call per specialist answer)")
    .addOption(onBadRowOption())
    .addOption(formatOption())
    .action(async (flags: SimulateFlags) => {
      const task = withSeed(await loadTask(flags.task), flags.seed);
      const kind = flags.teacher ?? localTeacherSettings(task).provider;
      if (kind !== "sim" && flags.teacherAccuracy !== undefined) throw new UsageError("--teacher-accuracy applies to --teacher sim only");
      const run = isStructuredTask(task) ? await structuredRun(task, kind, flags) : await labelRun(task, kind, flags);
      const { stream, teacher, wording } = run;

      const result = await simulate(run.cascade, {
        stream,
        holdout: run.holdout,
        teacherOnly: flags.teacherOnly,
        onCheckpoint: (c) => process.stderr.write(`${progressLine(c, stream.length, wording)}\n`),
      });
      if (flags.plot !== undefined) await writePlot(flags.plot, result, task, teacher.name);
      const meta = { task: task.name, teacher: teacher.name, stream: flags.stream, holdout: flags.holdout, plot: flags.plot, ...run.meta };
      if (flags.json) process.stdout.write(`${JSON.stringify(resultJson(result, meta))}\n`);
      else printLines(summaryLines(result, task, teacher.name, flags, wording));
    });
}

/** What a run needs, for either kind of task. */
interface Run {
  stream: LabelledText[];
  holdout?: LabelledText[];
  teacher: Teacher;
  cascade: Parameters<typeof simulate>[0];
  wording: Wording;
  /** Extra keys of the --json output. */
  meta?: Record<string, unknown>;
}

/**
 * How answers are scored in the output. A label is right or wrong; a structured answer is right
 * only when every field is, and "accuracy" would read as a per-field average that it is not.
 */
interface Wording {
  score: string;
  right: string;
  /** What an answer is, when that needs saying. */
  answers?: string;
}
const LABEL_WORDING: Wording = { score: "accuracy", right: "accurate" };
const OBJECT_WORDING: Wording = { score: "exact match", right: "exact matches" };

async function labelRun(task: Task, kind: "sim" | "openai", flags: SimulateFlags): Promise<Run> {
  const stream = await loadLabelled(flags.stream, flags, task);
  const holdout = flags.holdout === undefined ? undefined : await loadLabelled(flags.holdout, flags, task, true);
  const teacher = await buildTeacher(kind, task, [...stream, ...(holdout ?? [])], flags.teacherAccuracy ?? DEFAULT_SIM_ACCURACY, flags.noneRate ?? DEFAULT_SIM_NONE_RATE);
  return { stream, holdout, teacher, cascade: new Cascade({ task, teacher }), wording: LABEL_WORDING };
}

async function structuredRun(task: StructuredTask, kind: "sim" | "openai", flags: SimulateFlags): Promise<Run> {
  const run = await structuredSimulation(task, kind, flags);
  const names = run.fields.map((f) => f.name).join(", ");
  const wording = { ...OBJECT_WORDING, answers: `objects of ${run.fields.length} fields (${names}), right only when every field is` };
  return { ...run, wording, meta: { task_kind: "structured", scoring: "exact_match", fields: run.fields.map((f) => f.name) } };
}

function withSeed<T extends AnyTask>(task: T, seed: number | undefined): T {
  return seed === undefined ? task : { ...task, training: { ...task.training, seed } };
}

/**
 * A labelled file. Labels outside the task are refused in the stream (a typo there would train
 * a wrong task); in the holdout (`outOfScope`) they mean "fits no label" and are evaluated as
 * out-of-scope, with a notice naming them.
 */
async function loadLabelled(path: string, flags: SimulateFlags, task: Task, outOfScope = false): Promise<{ text: string; label: string }[]> {
  const ds = await loadDataset(path, datasetOptions({ ...flags, data: path }));
  warnAll(describeDatasetWarnings(ds));
  const names = new Set(task.labels.map((l) => l.name));
  const unknown = ds.labels.filter((l) => !names.has(l.label)).map((l) => JSON.stringify(l.label));
  if (unknown.length > 0 && outOfScope) {
    const shown = unknown.slice(0, 5).join(", ") + (unknown.length > 5 ? `, and ${unknown.length - 5} more` : "");
    warnAll([`${path}: labels not in the task count as out-of-scope (the right answer is "none of these"): ${shown}`]);
  } else if (unknown.length > 0) {
    const shown = unknown.slice(0, 5).join(", ") + (unknown.length > 5 ? `, and ${unknown.length - 5} more` : "");
    throw new CliError(`${path} has labels that are not in the task's labels: ${shown}`);
  }
  return ds.examples.map((e) => ({ text: e.text, label: e.label! }));
}

async function buildTeacher(kind: "sim" | "openai", task: Task, gold: { text: string; label: string }[], accuracy: number, noneRate: number): Promise<Teacher> {
  // Loaded on demand: the OpenAI SDK is only needed by the openai teacher.
  const { createTeacher } = await import("../../teacher/index.js");
  // The simulated teacher is offered "none of these": the task's none label is its answer for
  // texts whose gold is none or no label of the task, not one of the labels it chooses among.
  const none = noneLabel(task);
  const labels = task.labels.map((l) => l.name).filter((l) => l !== none);
  const sim = { gold, accuracy, seed: task.training.seed, labels, outOfScope: { label: none, rate: noneRate } };
  try {
    return kind === "sim" ? createTeacher(task, { kind, sim }) : createTeacher(task, { kind });
  } catch (err) {
    throw new CliError(`cannot set up the ${kind} teacher: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

function progressLine(c: Checkpoint, total: number, wording: Wording): string {
  const teacher = c.teacher_only_accuracy === null ? "" : ` (teacher only ${percent(c.teacher_only_accuracy)})`;
  return (
    `${PROGRAM}: simulate: ${count(c.requests)}/${count(total)} requests, teacher calls ${count(c.teacher_calls)} (${percent(c.teacher_calls / c.requests)}), ` +
    `specialist answered ${percent(c.window_coverage)} of the last ${count(c.window_requests)}, ${wording.score} ${percent(c.accuracy)}${teacher}, ` +
    `model v${c.version}, threshold ${c.threshold === null ? "none" : fixed(c.threshold, 3)}`
  );
}

async function writePlot(path: string, result: SimulationResult, task: CascadeTask, teacher: string): Promise<void> {
  const title = `${task.name}: cascade vs teacher only (${teacher}), max error ${percent(task.routing.max_error)} at ${percent(task.routing.confidence_level)}`;
  try {
    await writeFile(path, simulationSvg(result.trace, { title }));
  } catch (err) {
    throw new CliError(`cannot write the plot ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** Everything but the per-request trace, with the holdout figures at the top level. */
export function resultJson(result: SimulationResult, meta: Record<string, unknown>): Record<string, unknown> {
  const { trace: _trace, holdout, ...rest } = result;
  return { ...meta, ...rest, teacher_share: result.requests === 0 ? 0 : result.teacher_calls / result.requests, ...(holdout ?? {}) };
}

function summaryLines(r: SimulationResult, task: CascadeTask, teacher: string, flags: SimulateFlags, wording: Wording): string[] {
  const vsTeacher = (x: number | null) => (x === null ? "" : ` (teacher only ${percent(x)})`);
  const money = (x: number | null) => (x === null ? "n/a" : x.toFixed(4));
  const lines = [
    `Simulation of ${task.name} on ${flags.stream} (${teacher} teacher, max error ${percent(task.routing.max_error)} at ${percent(task.routing.confidence_level)})`,
    ...keyValues([
      ...(wording.answers === undefined ? [] : [["answers", wording.answers] as [string, string]]),
      ["requests", count(r.requests)],
      ["teacher calls", `${count(r.teacher_calls)} (${percent(r.requests ? r.teacher_calls / r.requests : 0)}; ${count(r.audits)} audits, ${count(r.teacher_failures)} failed)`],
      ["specialist answered", `${count(r.specialist_answers)} (${percent(r.coverage)})`],
      ["specialist answers", `${percent(r.specialist_accuracy)} ${wording.right}, ${percent(r.specialist_error_vs_teacher)} differ from the teacher's (max ${percent(task.routing.max_error)})`],
      [wording.score, `${percent(r.accuracy)}${vsTeacher(r.teacher_only_accuracy)}`],
      ["cost", `${money(r.cost)} (teacher only ${money(r.teacher_only_cost)})`],
      ["model versions", `${r.versions} promoted, ${r.rejected_versions} rejected, ${r.retrains} retrains`],
      ["audits", `${count(r.audits)}, ${count(r.disagreements)} disagreements, ${r.tightenings} tightenings`],
      ["final threshold", r.final_threshold === null ? "none" : fixed(r.final_threshold, 4)],
    ]),
    `  ${r.final_threshold_reason}`,
  ];
  if (r.holdout) {
    const h = r.holdout;
    lines.push(
      "",
      `Final cascade on ${flags.holdout} (${count(h.holdout_requests)} texts, frozen)`,
      ...keyValues([
        [wording.score, `${percent(h.holdout_accuracy)}${vsTeacher(h.holdout_teacher_only_accuracy)}`],
        ["specialist answered", percent(h.holdout_coverage)],
        ["sent to the teacher", percent(h.holdout_teacher_share)],
      ]),
    );
    if (h.holdout_out_of_scope > 0) {
      lines.push(
        ...keyValues([
          ["out-of-scope texts", `${count(h.holdout_out_of_scope)} (labels outside the task: gold "none of these")`],
          ["in-scope", `specialist answered ${percent(h.holdout_in_scope_coverage)}, accuracy ${percent(h.holdout_in_scope_accuracy)}`],
          ["out-of-scope answered", `${percent(h.holdout_out_of_scope_answered)} got a specialist label`],
          ["specialist error", `${percent(h.holdout_specialist_error)} vs gold (teacher's own there ${percent(h.holdout_teacher_error_on_answered)}), ${percent(h.holdout_specialist_error_vs_teacher)} vs the teacher`],
          ["scope score AUROC", h.holdout_scope_auroc === null ? "n/a" : fixed(h.holdout_scope_auroc, 3)],
        ]),
      );
    }
  }
  if (flags.plot !== undefined) lines.push("", `Plot written to ${flags.plot}`);
  return lines;
}
