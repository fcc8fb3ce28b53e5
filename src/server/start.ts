// Starts the gateway: opens the store, applies the configuration file, listens (127.0.0.1 by
// default) and closes cleanly on SIGTERM/SIGINT (stop accepting, finish in-flight requests, wait
// for example writes and a running retrain, then close the store).
//
// Where each setting comes from, first match wins: the explicit option (a command-line flag),
// the environment (DATABASE_URL, APPRENTICE_UPSTREAM_*/OPENAI_*), the configuration file, the default.
import type { FastifyInstance } from "fastify";
import { openStore, type Store } from "../store/index.js";
import { createTeacher } from "../teacher/index.js";
import { buildApp, type BuildAppOptions } from "./app.js";
import { applyConfig, type BootstrapReport } from "./bootstrap.js";
import type { GatewayConfig } from "./config.js";
import type { AuthFailureLimit } from "./auth.js";
import type { RateLimit } from "./rate-limit.js";
import { DEFAULT_RETENTION, type RetentionLimits, type RetentionOptions } from "./retention.js";
import { upstreamFromEnv, type UpstreamOptions } from "./upstream.js";

export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_PORT = 8080;

export interface StartOptions extends Partial<Omit<BuildAppOptions, "store">> {
  host?: string;
  port?: number;
  /** Database URL (see openStore); ignored when `store` is given. */
  db?: string;
  store?: Store;
  /** Install SIGTERM/SIGINT handlers (default true). */
  handleSignals?: boolean;
  config?: GatewayConfig;
  env?: NodeJS.ProcessEnv;
  /** Apply the configuration file's tasks and keys (default true; a cluster worker's primary did it already). */
  bootstrap?: boolean;
}

export interface Gateway {
  app: FastifyInstance;
  store: Store;
  url: string;
  /** What the configuration file created or installed (empty without one). */
  bootstrap: BootstrapReport | null;
  close(): Promise<void>;
}

function configUpstream(config: GatewayConfig | undefined, env: NodeJS.ProcessEnv): UpstreamOptions | undefined {
  if (config?.upstream === undefined) return undefined;
  const apiKey = env[config.upstream.api_key_env];
  return { baseURL: config.upstream.base_url, ...(apiKey ? { apiKey } : {}) };
}

function configRateLimit(config: GatewayConfig | undefined): RateLimit | false | undefined {
  const r = config?.rate_limit;
  if (r === undefined || r === false) return r;
  return { requestsPerSecond: r.requests_per_second, ...(r.burst === undefined ? {} : { burst: r.burst }) };
}

const DAY_MS = 86_400_000;

/** The configuration file's `retention` as the pruner takes it (undefined: the defaults). */
export function configRetention(config: GatewayConfig | undefined): RetentionOptions | false | undefined {
  const r = config?.retention;
  if (r === undefined || r === false) return r;
  const limits = (l: { max_age_days?: number; max_rows_per_task?: number }): Partial<RetentionLimits> => ({
    ...(l.max_age_days === undefined ? {} : { maxAgeMs: Math.round(l.max_age_days * DAY_MS) }),
    ...(l.max_rows_per_task === undefined ? {} : { maxRows: l.max_rows_per_task }),
  });
  return {
    defaults: { ...DEFAULT_RETENTION, ...limits(r) },
    ...(r.tasks === undefined ? {} : { tasks: Object.fromEntries(Object.entries(r.tasks).map(([name, l]) => [name, limits(l)])) }),
    ...(r.interval_s === undefined ? {} : { intervalMs: Math.round(r.interval_s * 1000) }),
  };
}

function configAuthFailures(config: GatewayConfig | undefined): AuthFailureLimit | false | undefined {
  const a = config?.auth_failures;
  if (a === undefined || a === false) return a;
  return { perSecond: a.per_second, ...(a.burst === undefined ? {} : { burst: a.burst }), ...(a.max_clients === undefined ? {} : { maxClients: a.max_clients }) };
}

/** The database to open: --db, else DATABASE_URL, else the configuration file's, else undefined (openStore's default). */
export function storeUrl(options: Pick<StartOptions, "db" | "config">, env: NodeJS.ProcessEnv): string | undefined {
  return options.db ?? (env.DATABASE_URL || undefined) ?? options.config?.database;
}

export async function startGateway(options: StartOptions = {}): Promise<Gateway> {
  const { config } = options;
  const env = options.env ?? process.env;
  const store = options.store ?? (await openStore(storeUrl(options, env)));
  const upstream = "upstream" in options ? options.upstream : (upstreamFromEnv(env) ?? configUpstream(config, env));
  const rateLimit = options.rateLimit ?? configRateLimit(config);
  const retention = options.retention ?? configRetention(config);
  const authFailures = options.authFailures ?? configAuthFailures(config);
  const bodyLimitMb = config?.server.body_limit_mb;
  const app = buildApp({
    ...options,
    ...(upstream ? { upstream } : {}),
    ...(rateLimit === undefined ? {} : { rateLimit }),
    ...(retention === undefined ? {} : { retention }),
    ...(authFailures === undefined ? {} : { authFailures }),
    metricsRequireKey: options.metricsRequireKey ?? config?.metrics?.require_key ?? false,
    ...(options.bodyLimit === undefined && bodyLimitMb !== undefined ? { bodyLimit: Math.round(bodyLimitMb * 1024 * 1024) } : {}),
    modelAliases: { ...config?.aliases, ...options.modelAliases },
    requestLog: options.requestLog ?? config?.request_log ?? "buffered",
    ...(options.cors === undefined && config?.cors !== undefined ? { cors: { origins: config.cors.origins, ...(config.cors.max_age_s === undefined ? {} : { maxAgeSeconds: config.cors.max_age_s }) } } : {}),
    store,
    teacherFor: options.teacherFor ?? ((task) => createTeacher(task)),
    logger: options.logger ?? { level: "info" },
  });
  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      try {
        await app.close();
      } finally {
        await store.close();
      }
    })();
    return closing;
  };
  let bootstrap: BootstrapReport | null = null;
  try {
    if (config !== undefined && options.bootstrap !== false) bootstrap = await applyConfig(store, app.runtimes, config, env);
    await app.listen({ host: options.host ?? config?.server.host ?? DEFAULT_HOST, port: options.port ?? config?.server.port ?? DEFAULT_PORT });
  } catch (err) {
    await close();
    throw err;
  }
  if (options.handleSignals !== false) {
    const onSignal = (signal: NodeJS.Signals): void => {
      app.log.info({ signal }, "shutting down");
      close().then(
        () => process.exit(0),
        (err: unknown) => {
          app.log.error({ err }, "shutdown failed");
          process.exit(1);
        },
      );
    };
    process.once("SIGTERM", onSignal);
    process.once("SIGINT", onSignal);
  }
  const address = app.server.address();
  const url = typeof address === "object" && address !== null ? `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}` : String(address);
  return { app, store, url, bootstrap, close };
}
