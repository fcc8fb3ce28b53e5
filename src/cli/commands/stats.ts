// apprentice stats: a task's request log on a running gateway, in readable form: how much the
// specialist answers, what the teacher cost and saved, and what the live audits prove.
import type { Command } from "commander";
import type { TaskStats } from "../../server/runtime/task-stats.js";
import { count, fixed, keyValues, percent, table } from "../format.js";
import { addGatewayOptions, callGateway, gatewayFrom, printJson, taskPath, type GatewayFlags } from "../gateway-client.js";
import { printLines } from "../output.js";

/** GET /v1/tasks/:name/stats: the request log's stats plus what the gateway serves. */
type StatsReply = TaskStats & { model_version: number; examples: number };

/** Days shown in the daily table (the most recent ones). */
const SHOWN_DAYS = 14;
/** Costs are per-request fractions of a cent: four decimals in the task's own currency. */
const COST_DIGITS = 4;

export function registerStats(program: Command): void {
  addGatewayOptions(
    program
      .command("stats")
      .description("show a task's requests, specialist share, teacher cost and live audits on a running gateway")
      .argument("<task>", "the task's name"),
  )
    .option("--json", "print the gateway's reply as JSON")
    .action(showStats);
}

async function showStats(name: string, flags: GatewayFlags & { json?: boolean }): Promise<void> {
  const gateway = gatewayFrom(flags);
  const stats = await callGateway<StatsReply>(gateway, "GET", taskPath(name, "/stats"));
  if (flags.json === true) return printJson(stats);
  printLines([...summary(stats), ...daily(stats)]);
}

function summary(s: StatsReply): string[] {
  const share = (n: number) => `${count(n)} (${percent(s.requests === 0 ? null : n / s.requests)})`;
  const failed = s.by_status.teacher_error + s.by_status.teacher_invalid;
  const pairs: [string, string][] = [
    ["requests", count(s.requests)],
    ["specialist answers", share(s.by_source.specialist)],
    ["teacher answers", share(s.by_source.teacher)],
    ["none of these", share(s.none_answers)],
    ["teacher calls", `${count(s.teacher_calls)} (${count(s.audited)} audits, ${count(failed)} failed)`],
    ["cost", fixed(s.cost, COST_DIGITS)],
    ["cost saved", costSaved(s)],
    ["audits", audit(s)],
    ["latency", s.latency_p50_ms === null ? "n/a" : `p50 ${fixed(s.latency_p50_ms, 1)} ms, p95 ${fixed(s.latency_p95_ms, 1)} ms`],
  ];
  const model = s.model_version === 0 ? "no model yet" : `model v${s.model_version}`;
  return [`Stats of ${s.task} (${model}, ${count(s.examples)} examples)`, ...keyValues(pairs)];
}

function costSaved(s: StatsReply): string {
  if (s.cost_saved === null || s.cost_per_teacher_call === null) return "n/a (no paid teacher calls to price a request by)";
  return `${fixed(s.cost_saved, COST_DIGITS)} of ${fixed(s.teacher_only_cost, COST_DIGITS)} with the teacher alone (${fixed(s.cost_per_teacher_call, COST_DIGITS)} per call)`;
}

/** How often the teacher agreed with audited answers, and what that proves about the live error. */
function audit(s: StatsReply): string {
  const a = s.audit;
  if (a.audited === 0) return "none yet";
  const none = a.none_share === null || a.none_share === 0 ? "" : `, ${percent(a.none_share)} of them answered none of these by the teacher`;
  return `${count(a.audited)}, agreement ${percent(a.agreement)}${none}; error ≤ ${percent(a.disagreement_upper_bound)} at ${percent(a.confidence_level, 0)} confidence (target ${percent(a.max_error)}: ${a.status})`;
}

function daily(s: StatsReply): string[] {
  if (s.daily.length === 0) return [];
  const days = s.daily.slice(-SHOWN_DAYS);
  const title = s.daily.length > SHOWN_DAYS ? `Daily (last ${SHOWN_DAYS} of ${s.daily.length} days, UTC)` : "Daily (UTC)";
  const rows = days.map((d) => [d.day, count(d.requests), count(d.specialist), count(d.teacher), fixed(d.cost, COST_DIGITS)]);
  return ["", title, ...table([["day", "requests", "specialist", "teacher", "cost"], ...rows], "lrrrr")];
}
