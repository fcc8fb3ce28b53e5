// Starts the gateway: opens the store, listens (127.0.0.1 by default) and closes cleanly on
// SIGTERM/SIGINT (stop accepting, finish in-flight requests, then close the store).
import type { FastifyInstance } from "fastify";
import { openStore, type Store } from "../store/index.js";
import { createTeacher } from "../teacher/index.js";
import { buildApp, type BuildAppOptions } from "./app.js";
import { upstreamFromEnv } from "./upstream.js";

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
}

export interface Gateway {
  app: FastifyInstance;
  store: Store;
  url: string;
  close(): Promise<void>;
}

export async function startGateway(options: StartOptions = {}): Promise<Gateway> {
  const store = options.store ?? (await openStore(options.db));
  const upstream = "upstream" in options ? options.upstream : upstreamFromEnv();
  const app = buildApp({
    ...options,
    ...(upstream ? { upstream } : {}),
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
  try {
    await app.listen({ host: options.host ?? DEFAULT_HOST, port: options.port ?? DEFAULT_PORT });
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
  return { app, store, url, close };
}
