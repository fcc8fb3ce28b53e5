// apprentice keys: create, list and revoke the gateway's API keys (only their hashes are stored).
import { Option, type Command } from "commander";
import { openStore } from "../../store/index.js";
import { CliError } from "../errors.js";

export function registerKeys(program: Command): void {
  const keys = program.command("keys").description("manage the gateway's API keys");

  keys
    .command("create")
    .description("create an API key and print it once (it cannot be shown again)")
    .addOption(new Option("--role <role>", "admin: everything; predict: predictions, chat completions and the model list").choices(["admin", "predict"]).makeOptionMandatory())
    .option("--name <name>", "a name to recognise the key by", "")
    .option("--db <url>", "database (default ./.apprentice/apprentice.db)")
    .action(async (flags: { role: "admin" | "predict"; name: string; db?: string }) => {
      const store = await openStore(flags.db);
      try {
        const { key, record } = await store.apiKeys.create(flags.name || `${flags.role} key`, flags.role);
        process.stderr.write(`apprentice: created ${record.role} key #${record.id} "${record.name}"; store it now, it is not shown again\n`);
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
