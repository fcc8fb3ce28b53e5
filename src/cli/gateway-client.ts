// The CLI's HTTP client for a running gateway (`apprentice tasks|import|stats`): the shared
// --url/--key options and one function that calls the API and turns every failure into a one-line
// CliError. The key goes only into the Authorization header: it is scrubbed from every message,
// because a proxy or gateway could echo it back.
import { Option, type Command } from "commander";
import type { CascadeStats } from "../cascade/cascade.js";
import type { AnyTask } from "../task/structured.js";
import { scrubSecret } from "../teacher/scrub.js";
import { CliError, UsageError } from "./errors.js";

export const DEFAULT_GATEWAY_URL = "http://127.0.0.1:8080";

export interface GatewayFlags {
  url: string;
  key?: string;
}

export interface Gateway {
  /** Base URL without a trailing slash. */
  url: string;
  key?: string;
}

/** A failed API call: the gateway's status, error code and details (e.g. an import's bad rows). */
export class GatewayError extends CliError {
  override name = "GatewayError";
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | null,
    readonly details: unknown,
  ) {
    super(message);
  }
}

/** Adds --url and --key to a command that talks to a running gateway. */
export function addGatewayOptions(command: Command): Command {
  return command
    .addOption(new Option("--url <url>", "the gateway's base URL").env("APPRENTICE_URL").default(DEFAULT_GATEWAY_URL))
    .addOption(new Option("--key <key>", "an API key (admin role); better set APPRENTICE_KEY than pass it on the command line").env("APPRENTICE_KEY"));
}

export function gatewayFrom(flags: GatewayFlags): Gateway {
  let parsed: URL;
  try {
    parsed = new URL(flags.url);
  } catch {
    throw new UsageError(`--url must be an http(s) URL such as ${DEFAULT_GATEWAY_URL}, got "${flags.url}"`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new UsageError(`--url must be an http(s) URL, got "${flags.url}"`);
  const key = flags.key === undefined || flags.key === "" ? undefined : flags.key;
  return { url: flags.url.replace(/\/+$/, ""), ...(key === undefined ? {} : { key }) };
}

/** A request body: JSON to serialise, or raw content sent as-is with its content type. */
export type RequestBody = { json: unknown } | { raw: Uint8Array<ArrayBuffer> | string; contentType: string };

/** Path segment for a task name (names may hold characters that are special in URLs). */
export const taskPath = (name: string, rest = ""): string => `/v1/tasks/${encodeURIComponent(name)}${rest}`;

/**
 * Calls the gateway and returns the parsed JSON reply (null for an empty one, e.g. 204). Throws
 * GatewayError for an error status and CliError when the gateway cannot be reached.
 */
export async function callGateway<T>(gateway: Gateway, method: string, path: string, body?: RequestBody): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (gateway.key !== undefined) headers.authorization = `Bearer ${gateway.key}`;
  let payload: Uint8Array<ArrayBuffer> | string | undefined;
  if (body !== undefined && "json" in body) {
    headers["content-type"] = "application/json";
    payload = JSON.stringify(body.json);
  } else if (body !== undefined) {
    headers["content-type"] = body.contentType;
    payload = body.raw;
  }
  let res: Response;
  try {
    res = await fetch(gateway.url + path, { method, headers, ...(payload === undefined ? {} : { body: payload }) });
  } catch (err) {
    throw unreachable(gateway, err);
  }
  const text = await res.text();
  if (!res.ok) throw httpError(gateway, method, path, res.status, text);
  if (text === "") return null as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new CliError(secretFree(gateway, `${method} ${gateway.url}${path}: the reply is not JSON (is ${gateway.url} an Apprentice gateway?)`));
  }
}

/** System error codes a user meets when the gateway is down or misnamed, in words. */
const NETWORK_ERRORS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host not found",
  ECONNRESET: "connection reset",
  ETIMEDOUT: "timed out",
};

function unreachable(gateway: Gateway, err: unknown): CliError {
  // undici reports network failures as TypeError("fetch failed") with the system error as cause.
  const cause = err instanceof Error ? err.cause : undefined;
  const code = cause instanceof Error ? (cause as NodeJS.ErrnoException).code : undefined;
  const why = (code === undefined ? undefined : NETWORK_ERRORS[code]) ?? code ?? (cause instanceof Error ? cause.message : err instanceof Error ? err.message : String(err));
  return new CliError(
    secretFree(gateway, `the gateway at ${gateway.url} is not reachable (${why}); start one with \`apprentice serve\`, or point --url or APPRENTICE_URL at a running one`),
    { cause: err },
  );
}

function httpError(gateway: Gateway, method: string, path: string, status: number, text: string): GatewayError {
  const error = parseErrorBody(text);
  const message = error?.message ?? (text.trim().slice(0, 200) || "no details");
  return new GatewayError(secretFree(gateway, `gateway: ${status} ${message}${hintFor(gateway, status)} (${method} ${path})`), status, error?.code ?? null, error?.details);
}

function parseErrorBody(text: string): { message?: string; code: string | null; details?: unknown } | null {
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown; code?: unknown; details?: unknown } };
    const e = body.error;
    if (typeof e !== "object" || e === null) return null;
    return { ...(typeof e.message === "string" ? { message: e.message } : {}), code: typeof e.code === "string" ? e.code : null, details: e.details };
  } catch {
    return null;
  }
}

/** What to do about an authentication failure, which the gateway's message alone does not say. */
function hintFor(gateway: Gateway, status: number): string {
  if (status === 401) return gateway.key === undefined ? "; pass --key or set APPRENTICE_KEY" : "; check --key or APPRENTICE_KEY";
  if (status === 403) return "; this needs an admin key";
  return "";
}

function secretFree(gateway: Gateway, message: string): string {
  return scrubSecret(message, gateway.key);
}

/** What GET /v1/tasks/:name returns (the fields the CLI reads). */
export interface TaskDetail {
  name: string;
  definition: AnyTask;
  created_at: number;
  updated_at: number;
  /** The promoted version the gateway serves (0 or null: none yet). */
  model_version: number | null;
  cascade: CascadeStats | null;
  /** The declared teacher the task uses, or why it has none (`status: "unavailable"`). */
  teacher: { name: string | null; provider: string | null; model: string | null; status: "ready" | "unavailable"; reason?: string } | null;
}

export const getTask = (gateway: Gateway, name: string): Promise<TaskDetail> => callGateway<TaskDetail>(gateway, "GET", taskPath(name));

/** `--json` output: the gateway's reply as it came, one document on stdout. */
export function printJson(reply: unknown): void {
  process.stdout.write(`${JSON.stringify(reply, null, 2)}\n`);
}
