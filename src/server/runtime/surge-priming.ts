// Filling a loaded runtime's surge guard with the task's last logged requests (Cascade.primeSurgeGuard),
// so a restarted gateway, a new worker or another instance can tell a shift at its first request,
// not after 200 of its own.
//
// Bounded, because the log holds whatever callers sent: up to 2,200 inputs of up to 100,000
// characters each would be seconds of predictions on the event loop. So the newest inputs are
// replayed up to PRIME_MAX_CHARS in all (older ones are left out: the guard compares with less
// history), a slice of about PRIME_SLICE_CHARS per turn of the event loop.
import type { Cascade } from "../../cascade/cascade.js";
import type { Specialist } from "../../cascade/specialist-kind.js";
import { SURGE_HISTORY, SURGE_WINDOW } from "../../cascade/surge-guard.js";
import type { RequestLog } from "../../store/index.js";
import type { AnyTask } from "../../task/structured.js";

/** Characters of logged inputs replayed at most when a runtime loads (2,200 texts of 450 characters). */
export const PRIME_MAX_CHARS = 1_000_000;
/** Characters replayed per turn of the event loop, about (a slice ends after the text that reaches it). */
export const PRIME_SLICE_CHARS = 20_000;

/**
 * The newest of `texts` (oldest first) whose lengths add up to at most `maxChars`, in slices
 * that each end with the text that takes them to `sliceChars` or more, oldest first.
 */
export function primingSlices(texts: readonly string[], maxChars = PRIME_MAX_CHARS, sliceChars = PRIME_SLICE_CHARS): string[][] {
  let start = texts.length;
  let total = 0;
  while (start > 0 && total + texts[start - 1].length <= maxChars) total += texts[--start].length;
  const slices: string[][] = [];
  let slice: string[] = [];
  let chars = 0;
  for (let i = start; i < texts.length; i++) {
    slice.push(texts[i]);
    chars += texts[i].length;
    if (chars >= sliceChars) {
      slices.push(slice);
      slice = [];
      chars = 0;
    }
  }
  if (slice.length > 0) slices.push(slice);
  return slices;
}

/** Replays the task's last logged inputs into the cascade's surge guard, a slice per turn of the event loop. */
export async function primeSurgeGuardFromLog(cascade: Cascade<Specialist, AnyTask>, requests: RequestLog, task: string): Promise<void> {
  const texts = await requests.recentInputs(task, SURGE_WINDOW + SURGE_HISTORY);
  for (const slice of primingSlices(texts)) {
    cascade.primeSurgeGuard(slice);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
