// The gateway's HTTP application: buildApp() wires the store, the task runtimes, authentication
// and the routes into a Fastify instance (not listening; see start.ts).
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyServerOptions } from "fastify";
import type { TrainOptions } from "../engine/train.js";
import type { Store } from "../store/index.js";
import { registerAuth, type AuthFailureLimit, type AuthFailures } from "./http/auth.js";
import { registerCors, type CorsOptions } from "./http/cors.js";
import { errorBody, HttpError } from "./http/errors.js";
import { lazyChildLoggerFactory } from "./lazy-child-logger.js";
import { lingerIfBodyUnread } from "./lingering-close.js";
import { registerHealthRoutes } from "./operations/health.js";
import { GatewayMetrics, registerMetrics } from "./operations/metrics.js";
import { registerMoneyRounding } from "./http/money.js";
import { registerExampleEditRoutes } from "./routes/example-edits.js";
import { registerExampleExportRoute } from "./routes/example-export.js";
import { registerExampleRoutes } from "./routes/examples.js";
import { registerOpenApi } from "./docs/openapi.js";
import { collectRouteSpecs } from "./docs/route-spec-docs.js";
import { checkRepliesAgainstSpecs } from "./http/route.js";
import { registerModelRoutes } from "./routes/models.js";
import { registerInsightRoutes } from "./routes/insights.js";
import { registerKeyRoutes } from "./routes/keys.js";
import { registerRequestRoutes } from "./routes/requests.js";
import { createRequestLogger, type RequestLogger, type RequestLogMode } from "./runtime/request-log-buffer.js";
import { DEFAULT_RATE_LIMIT, registerRateLimit, type RateLimit } from "./http/rate-limit.js";
import { registerOpenAIRoutes } from "./openai/routes.js";
import { requestId } from "./http/request-id.js";
import { registerTaskRoutes } from "./routes/tasks.js";
import { registerPredictionRoutes } from "./routes/predictions.js";
import { registerTrainingRoutes } from "./routes/training.js";
import { DEFAULT_RETENTION, RequestLogPruner, type RetentionOptions } from "./operations/retention.js";
import { registerStatic } from "./http/static.js";
import { TaskRuntimes, type RuntimeLogger, type TeacherBreakerOptions } from "./runtime/task-runtime.js";
import type { TeacherRegistry } from "./runtime/teachers.js";
import { Upstream, type UpstreamOptions } from "./openai/upstream.js";
import { Capture } from "./capture/capture.js";
import { DEFAULT_CAPTURE, type CaptureSettings } from "./capture/capture-settings.js";
import { registerCaptureRoutes } from "./capture/capture-routes.js";
import { RequestLogMover } from "./capture/request-log-mover.js";

export const DEFAULT_BODY_LIMIT = 5 * 1024 * 1024;

/** Paths the logger must never print in clear: API keys travel in the authorization header. */
export const REDACT_PATHS = ["req.headers.authorization", 'req.headers["x-api-key"]', "headers.authorization"];

export interface BuildAppOptions {
  store: Store;
  /** The built dashboard to serve (default: web/dist of this checkout); the end-to-end tests point it at a build. */
  dashboardDir?: string;
  /** The teachers the operator declared; tasks refer to them by name. */
  teachers: TeacherRegistry;
  /** false (default) or Fastify logger options; the authorization header is always redacted. */
  logger?: boolean | Exclude<FastifyServerOptions["logger"], undefined>;
  bodyLimit?: number;
  trainOptions?: Partial<Omit<TrainOptions, "onProgress">>;
  /** Retrain after replies when one is due (default true). */
  backgroundRetrain?: boolean;
  /** Where chat completions for models other than `task:<name>` are forwarded (none: 404). */
  upstream?: UpstreamOptions;
  /** Which forwarded calls become captured tasks (default DEFAULT_CAPTURE; false: pure pass-through). Needs an upstream. */
  capture?: CaptureSettings | false;
  /** Extra chat-completions model names, each pointing to "task:<name>". */
  modelAliases?: Record<string, string>;
  /** "buffered" (default): reply first, write the log within FLUSH_MS; "sync": commit before replying. */
  requestLog?: RequestLogMode;
  /** Origins allowed to call the API from a browser (default: none, no CORS headers at all). */
  cors?: CorsOptions;
  /** Per API key (default DEFAULT_RATE_LIMIT); false turns limiting off. */
  rateLimit?: RateLimit | false;
  /** This process is a worker of `apprentice serve --workers N`: /metrics answers for all of them. */
  clusterMetrics?: boolean;
  /** Each task teacher's circuit breaker: thresholds and clock (tests inject one). */
  teacherBreaker?: TeacherBreakerOptions;
  /** How often loaded tasks catch up with other instances' writes (default 1 s; 0: only when app.runtimes.syncAll() is called). */
  syncIntervalMs?: number;
  /** Request-log retention (default: DEFAULT_RETENTION for every task); false: keep every row. */
  retention?: RetentionOptions | false;
  /** Failed authentications per client address (default DEFAULT_AUTH_FAILURE_LIMIT); false: unlimited. */
  authFailures?: AuthFailureLimit | false;
  /** /metrics needs a key (any role) instead of being open (default false). */
  metricsRequireKey?: boolean;
  /** Check every declared route's JSON replies against their schemas (development and tests; see http/route.ts). */
  checkReplies?: boolean;
}

declare module "fastify" {
  interface FastifyInstance {
    runtimes: TaskRuntimes;
    metrics: GatewayMetrics;
    /** Where predictions are logged (see request-log-buffer.ts); routes reading the log flush it first. */
    requestLog: RequestLogger;
    /** Deletes request-log rows past their retention in the background (null: retention off). */
    retention: RequestLogPruner | null;
    /** The failure buckets of client addresses (null: failed authentications are not limited). */
    authFailures: AuthFailures | null;
  }
}

function loggerOption(logger: BuildAppOptions["logger"]): FastifyServerOptions["logger"] {
  if (logger === undefined || logger === false) return false;
  const base = logger === true ? {} : (logger as Record<string, unknown>);
  return { ...base, redact: { paths: REDACT_PATHS, censor: "[redacted]" } } as FastifyServerOptions["logger"];
}

function runtimeLogger(log: FastifyBaseLogger): RuntimeLogger {
  return { info: (o, m) => log.info(o, m), error: (o, m) => log.error(o, m), warn: (o, m) => log.warn(o, m) };
}

export function buildApp(options: BuildAppOptions): FastifyInstance {
  const { store } = options;
  // Fastify's two info lines per request cost a sixth of a prediction's CPU time under load;
  // one line per response at debug level instead (failures are logged by the error handler).
  const app = Fastify({ logger: loggerOption(options.logger), bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT, genReqId: () => requestId(), childLoggerFactory: lazyChildLoggerFactory, logController: new LogController({ disableRequestLogging: true }),
    // A URL Fastify cannot decode (a bad percent escape) fails before routing, where the error
    // handler below never sees it: answer it in the same JSON shape.
    frameworkErrors: (err, _request, reply: FastifyReply) => {
      if (typeof err.statusCode === "number" && err.statusCode >= 400 && err.statusCode < 500) {
        return reply.code(err.statusCode).send(errorBody(err.message, "invalid_request_error", err.code ?? null));
      }
      return reply.code(500).send(errorBody("internal error", "server_error", "internal_error"));
    },
  });
  // Registered only when debug lines are printed at all (the level is fixed once the app is built):
  // a hook costs every request something even when its line is dropped.
  if (app.log.level === "debug" || app.log.level === "trace") {
    app.addHook("onResponse", (request, reply, done) => {
      request.log.debug({ method: request.method, url: request.url, status: reply.statusCode, ms: reply.elapsedTime }, "request");
      done();
    });
  }
  const log: FastifyBaseLogger = app.log;
  const runtimes = new TaskRuntimes({
    store,
    teacherFor: options.teachers.teacherFor,
    ...(options.trainOptions ? { trainOptions: options.trainOptions } : {}),
    ...(options.backgroundRetrain === undefined ? {} : { backgroundRetrain: options.backgroundRetrain }),
    ...(options.teacherBreaker ? { teacherBreaker: options.teacherBreaker } : {}),
    ...(options.syncIntervalMs === undefined ? {} : { syncIntervalMs: options.syncIntervalMs }),
    logger: runtimeLogger(log),
  });
  app.decorate("runtimes", runtimes);
  const metrics = new GatewayMetrics();
  metrics.circuits = () => runtimes.circuits();
  app.decorate("metrics", metrics);
  const requestLog = createRequestLogger(store, options.requestLog ?? "buffered", (err, rows) => log.error({ err, rows }, "request log write failed"));
  app.decorate("requestLog", requestLog);

  app.setErrorHandler((err: unknown, request, reply) => {
    lingerIfBodyUnread(request, reply);
    if (err instanceof HttpError) {
      for (const [name, value] of Object.entries(err.headers ?? {})) void reply.header(name, value);
      return reply.code(err.statusCode).send(errorBody(err.message, err.type, err.code, err.details));
    }
    const e = err as { statusCode?: number; code?: string; message?: string };
    if (typeof e.statusCode === "number" && e.statusCode >= 400 && e.statusCode < 500) {
      // Fastify's own client errors: malformed JSON, body too large (413), unsupported media type…
      // Fastify's 413 does not say what the limit is.
      const limit = e.code === "FST_ERR_CTP_BODY_TOO_LARGE" ? ` (the limit is ${request.routeOptions.bodyLimit} bytes; split the request)` : "";
      return reply.code(e.statusCode).send(errorBody(`${e.message ?? "bad request"}${limit}`, "invalid_request_error", e.code ?? null));
    }
    request.log.error({ err }, "request failed");
    return reply.code(500).send(errorBody("internal error", "server_error", "internal_error"));
  });
  registerMoneyRounding(app);
  app.setNotFoundHandler((request, reply) => reply.code(404).send(errorBody(`no route ${request.method} ${request.url}`, "invalid_request_error", "not_found")));

  // Before auth, so that a refused request still tells an allowed origin why.
  const routeSpecs = collectRouteSpecs(app);
  if (options.checkReplies === true) checkRepliesAgainstSpecs(app);
  if (options.cors !== undefined) registerCors(app, options.cors);
  app.decorate("authFailures", registerAuth(app, store, options.authFailures));
  if (options.rateLimit !== false) registerRateLimit(app, options.rateLimit ?? DEFAULT_RATE_LIMIT);
  registerMetrics(app, metrics, { cluster: options.clusterMetrics === true, requireKey: options.metricsRequireKey === true });
  const retention = options.retention === false ? null : new RequestLogPruner(store, options.retention ?? { defaults: DEFAULT_RETENTION }, runtimeLogger(log));
  app.decorate("retention", retention);
  registerHealthRoutes(app, store);
  registerTaskRoutes(app, { store, runtimes, metrics, teachers: options.teachers, hasUpstream: options.upstream !== undefined });
  registerPredictionRoutes(app, { store, runtimes, metrics });
  registerTrainingRoutes(app, { store, runtimes });
  registerExampleRoutes(app, { store, runtimes });
  registerExampleEditRoutes(app, { store, runtimes });
  registerExampleExportRoute(app, store);
  registerModelRoutes(app, { store, runtimes });
  registerInsightRoutes(app, { store, runtimes });
  registerRequestRoutes(app, store);
  registerKeyRoutes(app, store);
  const upstream = options.upstream === undefined ? undefined : new Upstream(options.upstream);
  const captureSettings = options.capture ?? DEFAULT_CAPTURE;
  const capture = upstream === undefined || captureSettings === false ? undefined : new Capture({ store, runtimes, upstream, log: requestLog, settings: captureSettings, metrics, logger: log });
  registerOpenAIRoutes(app, { store, runtimes, metrics, aliases: options.modelAliases ?? {}, upstream, capture });
  const logMover = new RequestLogMover(store, log);
  registerCaptureRoutes(app, { store, runtimes, capture, logMover });
  registerStatic(app, options.dashboardDir === undefined ? {} : { distDir: options.dashboardDir });
  registerOpenApi(app, routeSpecs);

  // Graceful shutdown: a keep-alive connection that finishes its request after close() began would
  // otherwise stay open until its idle timeout and hold the shutdown up; tell the client to go.
  let closing = false;
  app.addHook("preClose", async () => {
    closing = true;
  });
  app.addHook("onSend", (_request, reply, payload, done) => {
    if (closing) reply.header("connection", "close");
    done(null, payload);
  });
  // The pruner and the request-log moves a stopped gateway left start with the server (not for an
  // app that only answers inject() in tests).
  app.addHook("onListen", async () => {
    retention?.start();
    await logMover.resume();
  });
  app.addHook("onClose", async () => {
    await retention?.stop();
    // Calls relayed in shadow mode are learned before the log's last rows are written.
    await capture?.idle();
    await requestLog.flush();
    await logMover.close();
    await runtimes.closeAll();
  });
  return app;
}
