// apprentice keys: create, list and revoke the gateway's API keys (only their hashes are stored).
import { InvalidArgumentError, Option, type Command } from "commander";
import { openStore, type ApiKeyPermissions } from "../../store/index.js";
import type { TeacherBudget } from "../../task/definition.js";
import { CliError } from "../errors.js";

interface KeyCreateFlags {
  role: "admin" | "predict";
  name: string;
  db?: string;
  forceTeacher?: boolean;
  teacherCallsPerHour?: number;
  teacherCallsPerDay?: number;
  teacherCostPerHour?: number;
  teacherCostPerDay?: number;
}

function nonNegative(value: string, _previous: unknown): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`expected a number ≥ 0, got "${value}"`);
  return n;
}

function keyPermissions(flags: KeyCreateFlags): ApiKeyPermissions {
  const budget: TeacherBudget = {
    ...(flags.teacherCallsPerHour === undefined ? {} : { calls_per_hour: flags.teacherCallsPerHour }),
    ...(flags.teacherCallsPerDay === undefined ? {} : { calls_per_day: flags.teacherCallsPerDay }),
    ...(flags.teacherCostPerHour === undefined ? {} : { cost_per_hour: flags.teacherCostPerHour }),
    ...(flags.teacherCostPerDay === undefined ? {} : { cost_per_day: flags.teacherCostPerDay }),
  };
  return { ...(flags.forceTeacher === undefined ? {} : { force_teacher: flags.forceTeacher }), teacher_budget: Object.keys(budget).length === 0 ? null : budget };
}

export function registerKeys(program: Command): void {
  const keys = program.command("keys").description("manage the gateway's API keys");

  keys
    .command("create")
    .description("create an API key and print it once (it cannot be shown again)")
    .addOption(new Option("--role <role>", "admin: everything; predict: predictions, chat completions and the model list").choices(["admin", "predict"]).makeOptionMandatory())
    .option("--name <name>", "a name to recognise the key by", "")
    .option("--force-teacher", 'may send route "teacher" (default for admin keys)')
    .option("--no-force-teacher", 'may not send route "teacher" (default for predict keys)')
    .option("--teacher-calls-per-hour <n>", "this key's teacher calls per UTC hour, across tasks", nonNegative)
    .option("--teacher-calls-per-day <n>", "this key's teacher calls per UTC day", nonNegative)
    .option("--teacher-cost-per-hour <x>", "this key's teacher cost per UTC hour", nonNegative)
    .option("--teacher-cost-per-day <x>", "this key's teacher cost per UTC day", nonNegative)
    .option("--db <url>", "database (default ./.apprentice/apprentice.db)")
    .action(async (flags: KeyCreateFlags) => {
      const store = await openStore(flags.db);
      try {
        const { key, record } = await store.apiKeys.create(flags.name || `${flags.role} key`, flags.role, keyPermissions(flags));
        process.stderr.write(`apprentice: created ${record.role} key #${record.id} "${record.name}"${record.force_teacher ? ' (may force the teacher)' : ""}; store it now, it is not shown again\n`);
        process.stdout.write(`${key}\n`);
      } finally {
        await store.close();
      }
    });

  keys
    .command("list")
    .description("list the keys (prefix, role, name; never the key)")
    .option("--db <url>", "database (default ./.apprentice/apprentice.db)")
    .action(async (flags: { db?: string }) => {
      const store = await openStore(flags.db);
      try {
        for (const k of await store.apiKeys.list()) process.stdout.write(`${JSON.stringify(k)}\n`);
      } finally {
        await store.close();
      }
    });

  keys
    .command("revoke")
    .description("revoke a key by its id")
    .argument("<id>", "the key's id (see `apprentice keys list`)")
    .option("--db <url>", "database (default ./.apprentice/apprentice.db)")
    .action(async (id: string, flags: { db?: string }) => {
      const store = await openStore(flags.db);
      try {
        if (!(await store.apiKeys.revoke(Number(id)))) throw new CliError(`no unrevoked key with id ${id}`);
        process.stderr.write(`apprentice: revoked key #${id}\n`);
      } finally {
        await store.close();
      }
    });
}
