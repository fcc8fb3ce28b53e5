// Fastify gives every request a child logger bound to its request id. Making a pino child
// serializes its bindings at once, about 1% of a chat completion's CPU under load, although most
// requests never log a line (request logging is off; failures are logged by the error handler).
// This factory hands out a stand-in that makes the real child the first time the request logs.
import type { FastifyBaseLogger, FastifyServerOptions } from "fastify";

type Bindings = Parameters<FastifyBaseLogger["child"]>[0];
type ChildLoggerOptions = NonNullable<Parameters<FastifyBaseLogger["child"]>[1]>;

class LazyChildLogger {
  #child: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  get #logger(): FastifyBaseLogger {
    return (this.#child ??= this.parent.child(this.bindings, this.options));
  }

  get level(): string {
    return this.#child?.level ?? this.parent.level;
  }

  set level(level: string) {
    this.#logger.level = level;
  }

  fatal(...args: Parameters<FastifyBaseLogger["fatal"]>): void {
    this.#logger.fatal(...args);
  }

  error(...args: Parameters<FastifyBaseLogger["error"]>): void {
    this.#logger.error(...args);
  }

  warn(...args: Parameters<FastifyBaseLogger["warn"]>): void {
    this.#logger.warn(...args);
  }

  info(...args: Parameters<FastifyBaseLogger["info"]>): void {
    this.#logger.info(...args);
  }

  debug(...args: Parameters<FastifyBaseLogger["debug"]>): void {
    this.#logger.debug(...args);
  }

  trace(...args: Parameters<FastifyBaseLogger["trace"]>): void {
    this.#logger.trace(...args);
  }

  silent(...args: Parameters<FastifyBaseLogger["silent"]>): void {
    this.#logger.silent(...args);
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#logger.child(bindings, options);
  }
}

export const lazyChildLoggerFactory: NonNullable<FastifyServerOptions["childLoggerFactory"]> = (logger, bindings, options) =>
  new LazyChildLogger(logger, bindings, options) as unknown as FastifyBaseLogger;
