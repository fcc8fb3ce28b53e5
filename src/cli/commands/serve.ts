// apprentice serve: runs the gateway (HTTP API, OpenAI-compatible chat completions) on a database.
import { Option, type Command } from "commander";
import { DEFAULT_HOST, DEFAULT_PORT, startGateway } from "../../server/start.js";
import { UsageError } from "../errors.js";

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--port must be an integer 0-65535, got "${value}"`);
  return n;
}

export function registerServe(program: Command): void {
  program
    .command("serve")
    .description("run the gateway: task API, predictions and OpenAI-compatible chat completions")
    .addOption(new Option("--port <port>", "port to listen on").argParser(port).default(DEFAULT_PORT))
    .option("--host <host>", "address to listen on (0.0.0.0 exposes it to the network)", DEFAULT_HOST)
    .option("--db <url>", "database: a SQLite path, sqlite:PATH or postgres://… (default ./.apprentice/apprentice.db)")
    .addHelpText(
      "after",
      `
Every route except /healthz and /readyz needs "Authorization: Bearer <key>"; create keys with
\`apprentice keys create --role admin\`.`,
    )
    .action(async (flags: { port: number; host: string; db?: string }) => {
      const gateway = await startGateway({ port: flags.port, host: flags.host, ...(flags.db === undefined ? {} : { db: flags.db }) });
      const admins = await gateway.store.apiKeys.count("admin");
      if (admins === 0) process.stderr.write("apprentice: warning: no admin API key yet; create one with `apprentice keys create --role admin`\n");
      process.stderr.write(`apprentice: gateway listening on ${gateway.url} (${gateway.store.location})\n`);
      // Keep running until a signal closes the gateway (start.ts exits the process).
      await new Promise<never>(() => {});
    });
}
