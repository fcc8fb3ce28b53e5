// apprentice serve: runs the gateway (HTTP API, OpenAI-compatible chat completions) on a database.
import { Option, type Command } from "commander";
import { loadConfigFile } from "../../server/config.js";
import { DEFAULT_HOST, DEFAULT_PORT, startGateway, type Gateway } from "../../server/start.js";
import { UsageError } from "../errors.js";

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--port must be an integer 0-65535, got "${value}"`);
  return n;
}

function describeBootstrap(gateway: Gateway): string[] {
  const b = gateway.bootstrap;
  if (b === null) return [];
  const lines: string[] = [];
  for (const name of b.created) lines.push(`created task ${name}${b.imported[name] === undefined ? "" : ` with ${b.imported[name]} examples`}`);
  for (const name of b.updated) lines.push(`updated task ${name} from the configuration`);
  for (const k of b.keys) if (k.created) lines.push(`installed ${k.role} key "${k.name}"`);
  return lines;
}

export function registerServe(program: Command): void {
  program
    .command("serve")
    .description("run the gateway: task API, predictions and OpenAI-compatible chat completions")
    .addOption(new Option("--port <port>", `port to listen on (default ${DEFAULT_PORT})`).argParser(port))
    .option("--host <host>", `address to listen on; 0.0.0.0 exposes it to the network (default ${DEFAULT_HOST})`)
    .option("--db <url>", "database: a SQLite path, sqlite:PATH or postgres://… (default $DATABASE_URL, else ./.apprentice/apprentice.db)")
    .option("--config <file>", "configuration file (YAML or JSON): tasks, teacher defaults, upstream, aliases, rate limit, keys")
    .addHelpText(
      "after",
      `
Every route except /healthz, /readyz, /metrics and the docs needs "Authorization: Bearer <key>";
create keys with \`apprentice keys create --role admin\`. Settings: flags first, then the
environment (DATABASE_URL, APPRENTICE_UPSTREAM_BASE_URL…), then the configuration file.`,
    )
    .action(async (flags: { port?: number; host?: string; db?: string; config?: string }) => {
      // Configuration, task and data errors carry their own message (file, line, field): exit 1.
      const config = flags.config === undefined ? undefined : await loadConfigFile(flags.config);
      const gateway = await startGateway({
        ...(flags.port === undefined ? {} : { port: flags.port }),
        ...(flags.host === undefined ? {} : { host: flags.host }),
        ...(flags.db === undefined ? {} : { db: flags.db }),
        ...(config === undefined ? {} : { config }),
      });
      for (const line of describeBootstrap(gateway)) process.stderr.write(`apprentice: ${line}\n`);
      const admins = await gateway.store.apiKeys.count("admin");
      if (admins === 0) process.stderr.write("apprentice: warning: no admin API key yet; create one with `apprentice keys create --role admin`\n");
      process.stderr.write(`apprentice: gateway listening on ${gateway.url} (${gateway.store.location})\n`);
      // Keep running until a signal closes the gateway (start.ts exits the process).
      await new Promise<never>(() => {});
    });
}
