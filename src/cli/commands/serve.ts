// apprentice serve: runs the gateway (HTTP API, OpenAI-compatible chat completions) on a database.
import cluster from "node:cluster";
import { availableParallelism } from "node:os";
import { Option, type Command } from "commander";
import { loadConfigFile } from "../../server/config.js";
import type { BootstrapReport } from "../../server/bootstrap.js";
import { startClusterPrimary } from "../../server/cluster.js";
import { DEFAULT_HOST, DEFAULT_PORT, startGateway } from "../../server/start.js";
import { UsageError } from "../errors.js";

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--port must be an integer 0-65535, got "${value}"`);
  return n;
}

/** `--workers`: a positive integer, or `auto` for one per core. */
function workers(value: string): number {
  if (value === "auto") return availableParallelism();
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new UsageError(`--workers must be an integer 1-256 or "auto", got "${value}"`);
  return n;
}

function describeBootstrap(b: BootstrapReport | null): string[] {
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
    .addOption(new Option("--workers <n>", "gateway processes sharing the port, each on its own core: a number or auto (one per core); default 1").argParser(workers))
    .addHelpText(
      "after",
      `
Every route except /healthz, /readyz, /metrics and the docs needs "Authorization: Bearer <key>";
create keys with \`apprentice keys create --role admin\`. Settings: flags first, then the
environment (DATABASE_URL, APPRENTICE_UPSTREAM_BASE_URL…), then the configuration file.`,
    )
    .action(async (flags: { port?: number; host?: string; db?: string; config?: string; workers?: number }) => {
      // Configuration, task and data errors carry their own message (file, line, field): exit 1.
      const config = flags.config === undefined ? undefined : await loadConfigFile(flags.config);
      const options = {
        ...(flags.port === undefined ? {} : { port: flags.port }),
        ...(flags.host === undefined ? {} : { host: flags.host }),
        ...(flags.db === undefined ? {} : { db: flags.db }),
        ...(config === undefined ? {} : { config }),
      };
      const say = (line: string) => void process.stderr.write(`apprentice: ${line}\n`);
      if (cluster.isWorker) {
        // A worker of `--workers N`: the primary bootstrapped the database and reports for all.
        // One that cannot start must exit (its channel to the primary would keep it alive), and
        // say why: the primary only sees the exit.
        await startGateway({ ...options, bootstrap: false, clusterMetrics: true }).catch((err: unknown) => {
          say(`worker ${process.pid}: ${err instanceof Error ? err.message : String(err)}`);
          process.exit(1);
        });
        return new Promise<never>(() => {});
      }
      const workerCount = flags.workers ?? 1;
      let report: { bootstrap: BootstrapReport | null; admins: number; url: string; location: string };
      if (workerCount > 1) {
        const primary = await startClusterPrimary({ ...options, workers: workerCount, log: say });
        report = { ...primary, admins: primary.adminKeys };
        void primary.done.then((code) => process.exit(code));
      } else {
        const gateway = await startGateway(options);
        report = { bootstrap: gateway.bootstrap, admins: await gateway.store.apiKeys.count("admin"), url: gateway.url, location: gateway.store.location };
      }
      for (const line of describeBootstrap(report.bootstrap)) say(line);
      if (report.admins === 0) say("warning: no admin API key yet; create one with `apprentice keys create --role admin`");
      const processes = workerCount > 1 ? `, ${workerCount} worker processes` : "";
      say(`gateway listening on ${report.url} (${report.location}${processes})`);
      // Keep running until a signal closes the gateway (start.ts, or cluster.ts for workers, exits the process).
      return new Promise<never>(() => {});
    });
}
