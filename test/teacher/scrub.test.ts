import { describe, expect, it } from "vitest";
import { cleanReason, scrubSecret } from "../../src/teacher/scrub.js";

const KEY = "gsk_live_4f9a8b7c6d5e4f3a2b1c0d9e";

describe("scrubSecret", () => {
  it("removes the whole key, long fragments of it, bearer tokens and sk- keys", () => {
    expect(scrubSecret(`bad key ${KEY}!`, KEY)).toBe("bad key [redacted]!");
    expect(scrubSecret(`prefix ${KEY.slice(0, 15)}*** end`, KEY)).toBe("prefix [redacted]*** end");
    expect(scrubSecret(`…${KEY.slice(-14)}`, KEY)).toBe("…[redacted]");
    expect(scrubSecret("Authorization: Bearer abc.def.ghi", undefined)).toBe("Authorization: Bearer [redacted]");
    expect(scrubSecret("Incorrect API key provided: sk-proj-****abcd", undefined)).toBe("Incorrect API key provided: [redacted]");
  });

  it("leaves ordinary messages alone", () => {
    expect(scrubSecret("server error (HTTP 503): overloaded", KEY)).toBe("server error (HTTP 503): overloaded");
  });
});

describe("cleanReason", () => {
  it("makes one bounded line", () => {
    const r = cleanReason(`a\n\tb   c ${"x".repeat(1000)}`, KEY);
    expect(r.startsWith("a b c x")).toBe(true);
    expect(r).not.toMatch(/\n/);
    expect(r.length).toBeLessThanOrEqual(300);
  });
});
