// Sorts SDK failures into "worth retrying" and "not", each with a one-line reason.
// Retryable: 429, 5xx, timeouts, connection failures — the kinds that go away on their
// own. Any other 4xx means the request itself is wrong, so repeating it only costs time.
import { APIConnectionError, APIConnectionTimeoutError, APIError } from "openai";

export interface Failure {
  retryable: boolean;
  reason: string;
  /** Response headers, for Retry-After; absent for connection failures. */
  headers?: Headers;
}

export function describeFailure(err: unknown, timeoutMs: number): Failure {
  if (err instanceof APIConnectionTimeoutError) return { retryable: true, reason: `request timed out after ${timeoutMs} ms` };
  if (err instanceof APIConnectionError) return { retryable: true, reason: `connection failed: ${rootCause(err)}` };
  if (err instanceof APIError && typeof err.status === "number") {
    const status = err.status;
    const detail = err.message.replace(/^\d{3}\s*/, ""); // the SDK prefixes the status
    const headers = err.headers instanceof Headers ? err.headers : undefined;
    if (status === 429) return { retryable: true, reason: `rate limited (HTTP 429): ${detail}`, headers };
    if (status >= 500) return { retryable: true, reason: `server error (HTTP ${status}): ${detail}`, headers };
    return { retryable: false, reason: `request rejected (HTTP ${status}): ${detail}`, headers };
  }
  // E.g. a 200 whose body is not JSON: a teacher-side fault, but not one a retry fixes.
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return { retryable: false, reason: `unexpected failure: ${message}` };
}

/**
 * True when a server says it does not support `response_format` (older OpenAI-compatible
 * servers answer 400, some 422). The teacher then drops structured output for good.
 */
export function rejectsResponseFormat(err: unknown): boolean {
  if (!(err instanceof APIError) || (err.status !== 400 && err.status !== 422)) return false;
  if (err.param === "response_format") return true;
  return /response_format|json_schema/i.test(err.message);
}

// undici reports "fetch failed" with the useful part ("other side closed", ECONNREFUSED) in the cause chain.
function rootCause(err: Error): string {
  let current: unknown = err;
  let message = err.message;
  for (let depth = 0; depth < 8 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    message = typeof code === "string" && !current.message.includes(code) ? `${current.message} (${code})` : current.message;
    current = current.cause;
  }
  return message;
}
