// Request ids: valid UUIDv7 strings that carry their millisecond and sort by it.
import { describe, expect, it } from "vitest";
import { requestId } from "../../src/server/http/request-id.js";

describe("requestId", () => {
  it("is a UUID version 7 with the time in its first 48 bits", () => {
    const now = Date.UTC(2026, 10, 24, 12, 0, 0, 123);
    const id = requestId(now);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(now);
  });

  it("sorts by time and never repeats", () => {
    const ids = [0, 1, 2 ** 32, 2 ** 40 + 5, Date.now()].map((t) => requestId(t));
    expect([...ids].sort()).toEqual(ids);
    const same = new Set(Array.from({ length: 10_000 }, () => requestId(1_700_000_000_000)));
    expect(same.size).toBe(10_000);
  });
});
