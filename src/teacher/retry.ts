// Retry timing. The SDK's own retries are off (maxRetries: 0) so that every attempt is
// counted on the answer and the policy below is the only one in force.

export const BACKOFF_BASE_MS = 250;
export const BACKOFF_CAP_MS = 8_000;
/** A server asking for a longer pause than this gets this: past it, the caller is better served by an error. */
export const RETRY_AFTER_CAP_MS = 30_000;

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/**
 * "Full jitter" exponential backoff: uniform in [0, min(cap, base·2^retry)). Spreading
 * retries uniformly avoids the synchronised waves that plain exponential backoff causes
 * when many requests fail together (e.g. one 429 burst).
 */
export function backoffDelay(retry: number, random: () => number): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** retry);
  return Math.floor(random() * ceiling);
}

/**
 * The pause the server asked for, from `retry-after-ms` (non-standard, sent by OpenAI) or
 * `Retry-After` (seconds or an HTTP date), capped; undefined when absent or unreadable.
 */
export function retryAfterMs(headers: Headers | undefined, nowMs: number): number | undefined {
  if (!headers) return undefined;
  const ms = parseNonNegative(headers.get("retry-after-ms"));
  if (ms !== undefined) return Math.min(ms, RETRY_AFTER_CAP_MS);
  const value = headers.get("retry-after")?.trim();
  if (!value) return undefined;
  const seconds = parseNonNegative(value);
  if (seconds !== undefined) return Math.min(seconds * 1000, RETRY_AFTER_CAP_MS);
  // An HTTP date always names a day or month; Date.parse alone would also accept "-5".
  if (!/[a-z]/i.test(value)) return undefined;
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.min(Math.max(0, date - nowMs), RETRY_AFTER_CAP_MS);
}

function parseNonNegative(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined || !/^\s*\d+(\.\d+)?\s*$/.test(value)) return undefined;
  return Number(value);
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export const sleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
