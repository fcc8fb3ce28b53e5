// apprentice tasks: list, create, show, delete and retrain the tasks of a running gateway, over its
// HTTP API (the gateway owns the store; these commands never open it).
import type { Command } from "commander";
import type { RetrainReport } from "../../cascade/cascade.js";
import type { TaskRecord } from "../../store/tasks.js";
import { loadAnyTaskFile } from "../../task/task-file.js";
import { isStructuredTask, type AnyTask } from "../../task/structured.js";
import { CliError, UsageError } from "../errors.js";
import { count, fixed, keyValues, percent, seconds, table } from "../format.js";
import { addGatewayOptions, callGateway, gatewayFrom, getTask, printJson, taskPath, type GatewayFlags, type TaskDetail } from "../gateway-client.js";
import { printLines } from "../output.js";

type JsonFlags = GatewayFlags & { json?: boolean };

/** Label names shown by `tasks show` before the rest is summarised (a task may have thousands). */
const SHOWN_LABELS = 20;

export function registerTasks(program: Command): void {
  const tasks = program.command("tasks").description("list, create, show, delete and retrain the tasks of a running gateway");
  tasks.addHelpText("after", "\nEach subcommand takes --url (or APPRENTICE_URL) and --key (or APPRENTICE_KEY, an admin key).");

  addGatewayOptions(tasks.command("list").description("list the tasks: labels, examples and the model version served"))
    .option("--json", "print the gateway's reply as JSON")
    .action(listTasks);

  addGatewayOptions(tasks.command("create").description("create a task from a JSON or YAML task file"))
    .argument("<task-file>", "the task definition (.json, .yaml or .yml)")
    .action(createTask);

  addGatewayOptions(tasks.command("show").description("show a task's definition, model version and examples"))
    .argument("<name>", "the task's name")
    .option("--json", "print the gateway's reply as JSON")
    .action(showTask);

  addGatewayOptions(tasks.command("delete").description("delete a task with its examples and model versions (its request log stays)"))
    .argument("<name>", "the task's name")
    .option("--yes", "confirm the deletion (it cannot be undone)")
    .action(deleteTask);

  addGatewayOptions(tasks.command("train").description("retrain a task's specialist now; the candidate is promoted only if it is not worse"))
    .argument("<name>", "the task's name")
    .option("--json", "print the gateway's reply as JSON")
    .action(trainTask);
}

async function listTasks(flags: JsonFlags): Promise<void> {
  const gateway = gatewayFrom(flags);
  const reply = await callGateway<{ data: TaskRecord[] }>(gateway, "GET", "/v1/tasks");
  if (flags.json === true) return printJson(reply);
  if (reply.data.length === 0) {
    process.stderr.write("apprentice: the gateway has no tasks yet; create one with `apprentice tasks create <task-file>`\n");
    return;
  }
  // The list holds only definitions; examples and the served version come with each task. One at
  // a time, because each one loads the task's runtime on the gateway.
  const details: TaskDetail[] = [];
  for (const task of reply.data) details.push(await getTask(gateway, task.name));
  const rows = details.map((t) => [t.name, answerShape(t.definition), t.cascade === null ? "n/a" : count(t.cascade.examples), modelVersion(t.model_version)]);
  printLines(table([["name", "answers", "examples", "model"], ...rows], "lrrr", ""));
}

/** What a task answers with: "77 labels", or "5 fields" for a structured task. */
function answerShape(task: AnyTask): string {
  return isStructuredTask(task) ? `${count(Object.keys(task.output.properties).length)} fields` : `${count(task.labels.length)} labels`;
}

async function createTask(file: string, flags: GatewayFlags): Promise<void> {
  const task = await loadAnyTaskFile(file);
  const record = await callGateway<TaskRecord & { notices?: string[] }>(gatewayFrom(flags), "POST", "/v1/tasks", { json: task });
  printLines([`created task ${record.name} (${answerShape(record.definition)})`, ...(record.notices ?? [])]);
}

async function showTask(name: string, flags: JsonFlags): Promise<void> {
  const task = await getTask(gatewayFrom(flags), name);
  if (flags.json === true) return printJson(task);
  printLines(describeTask(task));
}

async function deleteTask(name: string, flags: GatewayFlags & { yes?: boolean }): Promise<void> {
  if (flags.yes !== true) throw new UsageError(`deleting task "${name}" removes its examples and model versions for good; pass --yes to confirm`);
  await callGateway<null>(gatewayFrom(flags), "DELETE", taskPath(name));
  printLines([`deleted task ${name}`]);
}

async function trainTask(name: string, flags: JsonFlags): Promise<void> {
  const report = await callGateway<RetrainReport & { model_version: number }>(gatewayFrom(flags), "POST", taskPath(name, "/retrain"));
  if (flags.json === true) printJson(report);
  // Training that could not even start (too few examples, one label) is a failure to act on.
  if (report.candidateAccuracy === null) throw new CliError(`task "${name}" was not retrained: ${report.reason}`);
  if (flags.json !== true) printLines(describeRetrain(name, report));
}

function modelVersion(version: number | null): string {
  return version === null || version === 0 ? "none" : `v${version}`;
}

function thresholdText(threshold: number | null): string {
  return threshold === null ? "no proven threshold: the teacher answers everything" : `threshold ${fixed(threshold)}`;
}

function teacherText(t: TaskDetail): string {
  const teacher = t.teacher;
  if (teacher === null) return t.definition.teacher.name ?? "–";
  if (teacher.status === "unavailable") return `${teacher.name ?? "none"}: unavailable (${teacher.reason ?? "no reason given"})`;
  return [teacher.name, teacher.provider, teacher.model].filter((x) => x !== null).join(" ");
}

function describeTask(t: TaskDetail): string[] {
  const d = t.definition;
  const labels = isStructuredTask(d) ? Object.keys(d.output.properties) : d.labels.map((l) => l.name);
  const shown = labels.slice(0, SHOWN_LABELS).join(", ") + (labels.length > SHOWN_LABELS ? `, … (${labels.length - SHOWN_LABELS} more)` : "");
  const c = t.cascade;
  const model = c === null || t.model_version === null || t.model_version === 0 ? `none yet (trains at ${count(d.training.min_examples)} examples)` : `${modelVersion(t.model_version)}, ${thresholdText(c.threshold)}`;
  const pairs: [string, string][] = [
    [isStructuredTask(d) ? "fields" : "labels", `${labels.length}: ${shown}`],
    ["teacher", teacherText(t)],
    ["target", `error ≤ ${percent(d.routing.max_error)} at ${percent(d.routing.confidence_level, 0)} confidence, audits ${percent(d.routing.audit_rate)}`],
    ["model", model],
    ["examples", c === null ? "n/a" : `${count(c.examples)} (${count(c.holdout_examples)} held out)`],
    ["created", new Date(t.created_at).toISOString()],
  ];
  return [`Task ${t.name}: ${d.instructions}`, ...keyValues(pairs)];
}

function describeRetrain(name: string, r: RetrainReport & { model_version: number }): string[] {
  const headline = r.promoted ? `Retrained ${name}: promoted version ${r.version} (${r.reason})` : `Retrained ${name}: ${r.reason}`;
  const threshold = r.threshold?.threshold ?? null;
  const pairs: [string, string][] = [
    ["training examples", count(r.trainExamples)],
    ["held-out examples", count(r.holdoutExamples)],
    ["holdout accuracy", `candidate ${percent(r.candidateAccuracy)}, previous ${percent(r.currentAccuracy)}`],
    ["threshold", threshold === null ? thresholdText(null) : `${fixed(threshold)} (covers ${percent(r.threshold?.coverage)} of the holdout, error ≤ ${percent(r.threshold?.upperBound)})`],
    ["serving", modelVersion(r.model_version)],
    ["took", seconds(r.seconds)],
  ];
  return [headline, ...keyValues(pairs)];
}
