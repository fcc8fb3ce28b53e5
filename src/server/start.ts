// Starts the gateway: opens the store, applies the configuration file, listens (127.0.0.1 by
// default) and closes cleanly on SIGTERM/SIGINT (stop accepting, finish in-flight requests, wait
// for example writes and a running retrain, then close the store).
//
// Where each setting comes from, first match wins: the explicit option (a command-line flag),
// the environment (DATABASE_URL, APPRENTICE_UPSTREAM_*/OPENAI_*), the configuration file, the default.
import type { FastifyInstance } from "fastify";
import { openStore, type Store } from "../store/index.js";
import { buildApp, type BuildAppOptions } from "./app.js";
import { applyConfig, type BootstrapReport } from "./bootstrap.js";
import type { GatewayConfig } from "./config.js";
import type { AuthFailureLimit } from "./http/auth.js";
import type { RateLimit } from "./http/rate-limit.js";
import type { TeacherFactory } from "./runtime/task-runtime.js";
import { TeacherRegistry, teachersFromEnv, type TeacherDeclaration, type TeacherRegistryOptions } from "./runtime/teachers.js";
import { DEFAULT_RETENTION, type RetentionLimits, type RetentionOptions } from "./operations/retention.js";
import { upstreamFromEnv, type UpstreamOptions } from "./openai/upstream.js";

export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_PORT = 8080;

export interface StartOptions extends Partial<Omit<BuildAppOptions, "store" | "teachers">> {
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
  /** Teachers declared in code (the demo, tests, benchmarks), beside the configuration file's and the environment's. */
  teachers?: Record<string, TeacherDeclaration>;
  /** Builds the simulated teacher of a task: only the demo and tests give it, and only then may a teacher be `sim` (declared as "sim"). */
  simulatedTeacher?: TeacherFactory;
  /** Test hooks of the OpenAI teachers (sleep, random, fetch). */
  openaiTeacher?: TeacherRegistryOptions["openai"];
}

/**
 * The teachers a gateway may call: the environment's default (unless the configuration file
 * declares one named "default" itself), the configuration file's, and those declared in code.
 */
export function teacherRegistry(options: Pick<StartOptions, "config" | "teachers" | "simulatedTeacher" | "openaiTeacher">, env: NodeJS.ProcessEnv): TeacherRegistry {
  const declared = { ...teachersFromEnv(env), ...options.config?.teachers, ...options.teachers };
  return new TeacherRegistry(declared, env, {
    ...(options.simulatedTeacher === undefined ? {} : { simulated: options.simulatedTeacher }),
    ...(options.openaiTeacher === undefined ? {} : { openai: options.openaiTeacher }),
  });
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
  const u = config?.upstream;
  if (u === undefined) return undefined;
  const apiKey = env[u.api_key_env];
  const limits = { connectTimeoutMs: u.connect_timeout_ms, timeoutMs: u.timeout_ms, idleTimeoutMs: u.idle_timeout_ms, concurrency: u.concurrency, queueTimeoutMs: u.queue_timeout_ms };
  return { baseURL: u.base_url, ...(apiKey ? { apiKey } : {}), ...Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)) };
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
  // Before the store opens: a configuration that declares an unusable teacher stops the start here.
  const teachers = teacherRegistry(options, env);
  const store = options.store ?? (await openStore(storeUrl(options, env)));
  const upstream = "upstream" in options ? options.upstream : (upstreamFromEnv(env) ?? configUpstream(config, env));
  const rateLimit = options.rateLimit ?? configRateLimit(config);
  const retention = options.retention ?? configRetention(config);
  const authFailures = options.authFailures ?? configAuthFailures(config);
  const bodyLimitMb = config?.server.body_limit_mb;
  const app = buildApp({
    ...options,
    ...(upstream ? { upstream } : {}),
    ...(options.capture === undefined && config?.capture !== undefined ? { capture: config.capture } : {}),
    ...(rateLimit === undefined ? {} : { rateLimit }),
    ...(retention === undefined ? {} : { retention }),
    ...(authFailures === undefined ? {} : { authFailures }),
    metricsRequireKey: options.metricsRequireKey ?? config?.metrics?.require_key ?? false,
    ...(options.bodyLimit === undefined && bodyLimitMb !== undefined ? { bodyLimit: Math.round(bodyLimitMb * 1024 * 1024) } : {}),
    modelAliases: { ...config?.aliases, ...options.modelAliases },
    requestLog: options.requestLog ?? config?.request_log ?? "buffered",
    ...(options.cors === undefined && config?.cors !== undefined ? { cors: { origins: config.cors.origins, ...(config.cors.max_age_s === undefined ? {} : { maxAgeSeconds: config.cors.max_age_s }) } } : {}),
    store,
    teachers,
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
    if (config !== undefined && options.bootstrap !== false) bootstrap = await applyConfig(store, app.runtimes, teachers, config, env);
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
