import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BACKOFF_BASE_MS, BACKOFF_CAP_MS, backoffDelay, RETRY_AFTER_CAP_MS, retryAfterMs } from "../../src/teacher/retry.js";

describe("backoffDelay", () => {
  it("is uniform below min(cap, base·2^retry)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (retry, u) => {
        const d = backoffDelay(retry, () => u);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThan(Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** retry));
      }),
    );
    expect(backoffDelay(0, () => 0.999)).toBe(249);
    expect(backoffDelay(10, () => 0.5)).toBe(4000);
  });
});

describe("retryAfterMs", () => {
  const now = Date.UTC(2030, 5, 1);
  const h = (entries: Record<string, string>) => new Headers(entries);

  it("reads retry-after-ms first, then Retry-After in seconds or as a date", () => {
    expect(retryAfterMs(h({ "retry-after-ms": "750", "retry-after": "9" }), now)).toBe(750);
    expect(retryAfterMs(h({ "retry-after": "3" }), now)).toBe(3000);
    expect(retryAfterMs(h({ "retry-after": "0.5" }), now)).toBe(500);
    expect(retryAfterMs(h({ "retry-after": new Date(now + 7000).toUTCString() }), now)).toBe(7000);
    expect(retryAfterMs(h({ "retry-after": new Date(now - 7000).toUTCString() }), now)).toBe(0);
  });

  it("caps long pauses and ignores what it cannot read", () => {
    expect(retryAfterMs(h({ "retry-after": "86400" }), now)).toBe(RETRY_AFTER_CAP_MS);
    expect(retryAfterMs(h({ "retry-after": "soon" }), now)).toBeUndefined();
    expect(retryAfterMs(h({ "retry-after": "-5" }), now)).toBeUndefined();
    expect(retryAfterMs(h({}), now)).toBeUndefined();
    expect(retryAfterMs(undefined, now)).toBeUndefined();
  });
});
