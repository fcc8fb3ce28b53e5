// The circuit breaker with an injected clock: it opens after N consecutive failures, fails fast
// while cooling down, lets exactly one probe through afterwards, and closes on its success.
import { describe, expect, it } from "vitest";
import { CircuitBreaker, CircuitBreakerTeacher, type CircuitTicket } from "../../src/teacher/circuit-breaker.js";
import type { ClassifyOptions, Teacher, TeacherAnswer, TeacherStatus } from "../../src/teacher/types.js";

function clock(start = 1_000_000) {
  const c = { t: start, now: () => c.t };
  return c;
}

function ticket(b: CircuitBreaker): CircuitTicket {
  const a = b.admit();
  if (!("ticket" in a)) throw new Error("expected the call to be admitted");
  return a.ticket;
}

/** A teacher answering with the next scripted status, counting its calls. */
class ScriptedTeacher implements Teacher {
  readonly name = "scripted";
  calls = 0;
  constructor(public next: TeacherStatus = "ok") {}
  async classify(_text: string, options: ClassifyOptions = {}): Promise<TeacherAnswer> {
    this.calls++;
    const base = { usage: { input_tokens: 0, output_tokens: 0 }, cost: 0, latency_ms: 1, attempts: 1 };
    if (options.signal?.aborted) return { ...base, label: null, status: "error", reason: "aborted by caller" };
    if (this.next === "ok") return { ...base, label: "a", status: "ok" };
    return { ...base, label: null, status: this.next, reason: `scripted ${this.next}` };
  }
}

describe("CircuitBreaker", () => {
  it("stays closed below the threshold and a success resets the count", () => {
    const c = clock();
    const b = new CircuitBreaker({ failureThreshold: 3, cooldownMs: 1000, now: c.now });
    b.failure(ticket(b));
    b.failure(ticket(b));
    b.success(ticket(b));
    b.failure(ticket(b));
    b.failure(ticket(b));
    expect(b.snapshot()).toEqual({ state: "closed", consecutive_failures: 2, opened: 0, cooldown_ms: 1000, retry_at: null });
  });

  it("opens after N consecutive failures and fails fast until the cool-down ends", () => {
    const c = clock();
    const b = new CircuitBreaker({ failureThreshold: 3, cooldownMs: 1000, now: c.now });
    for (let i = 0; i < 3; i++) b.failure(ticket(b));
    expect(b.snapshot()).toMatchObject({ state: "open", consecutive_failures: 3, opened: 1, retry_at: c.t + 1000 });
    expect(b.admit()).toEqual({ rejected: true, retryAfterMs: 1000 });
    c.t += 999;
    expect(b.admit()).toEqual({ rejected: true, retryAfterMs: 1 });
    c.t += 1;
    expect(b.state).toBe("half_open");
  });

  it("lets one probe through when half-open; its success closes the circuit", () => {
    const c = clock();
    const b = new CircuitBreaker({ failureThreshold: 2, cooldownMs: 1000, now: c.now });
    b.failure(ticket(b));
    b.failure(ticket(b));
    c.t += 1000;
    const probe = ticket(b);
    expect(probe.probe).toBe(true);
    // While the probe is out, everyone else still fails fast.
    expect("rejected" in b.admit()).toBe(true);
    expect(b.state).toBe("half_open");
    b.success(probe);
    expect(b.snapshot()).toEqual({ state: "closed", consecutive_failures: 0, opened: 1, cooldown_ms: 1000, retry_at: null });
    expect(ticket(b).probe).toBe(false);
  });

  it("doubles the cool-down after each failed probe, up to the cap, and resets it on success", () => {
    const c = clock();
    const b = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 1000, maxCooldownMs: 3000, now: c.now });
    b.failure(ticket(b));
    const cooldowns = [b.snapshot().cooldown_ms];
    for (let i = 0; i < 3; i++) {
      c.t += b.snapshot().cooldown_ms;
      b.failure(ticket(b));
      cooldowns.push(b.snapshot().cooldown_ms);
      expect(b.admit()).toEqual({ rejected: true, retryAfterMs: b.snapshot().cooldown_ms });
    }
    expect(cooldowns).toEqual([1000, 2000, 3000, 3000]);
    expect(b.snapshot().opened).toBe(4);
    c.t += 3000;
    b.success(ticket(b));
    expect(b.snapshot()).toMatchObject({ state: "closed", cooldown_ms: 1000 });
  });

  it("ignores outcomes of calls admitted before the last transition", () => {
    const c = clock();
    const b = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 1000, now: c.now });
    const early = ticket(b);
    b.failure(ticket(b)); // opens
    b.success(early); // a late success of an older call does not close it
    expect(b.state).toBe("open");
  });

  it("an abandoned probe hands the probe to the next call at once", () => {
    const c = clock();
    const b = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 1000, now: c.now });
    b.failure(ticket(b));
    c.t += 1000;
    b.release(ticket(b));
    expect(b.state).toBe("half_open");
    expect(ticket(b).probe).toBe(true);
  });

  it("reports state changes", () => {
    const c = clock();
    const changes: string[] = [];
    const b = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 10, now: c.now, onStateChange: ({ from, to }) => changes.push(`${from}->${to}`) });
    b.failure(ticket(b));
    c.t += 10;
    b.success(ticket(b));
    expect(changes).toEqual(["closed->open", "open->half_open", "half_open->closed"]);
  });

  it("rejects nonsense settings", () => {
    expect(() => new CircuitBreaker({ failureThreshold: 0 })).toThrow(RangeError);
    expect(() => new CircuitBreaker({ cooldownMs: -1 })).toThrow(RangeError);
  });
});

describe("CircuitBreakerTeacher", () => {
  it("fails fast without calling the teacher while open, probes once after the cool-down, closes on success", async () => {
    const c = clock();
    const inner = new ScriptedTeacher("error");
    const breaker = new CircuitBreaker({ failureThreshold: 3, cooldownMs: 30_000, now: c.now });
    const t = new CircuitBreakerTeacher(inner, breaker);
    expect(t.name).toBe("scripted");
    for (let i = 0; i < 3; i++) expect(await t.classify("x")).toMatchObject({ status: "error", reason: "scripted error" });
    expect(inner.calls).toBe(3);

    for (let i = 0; i < 10; i++) {
      const fast = await t.classify("x");
      expect(fast).toMatchObject({ label: null, status: "error", attempts: 0, cost: 0, retry_after_ms: 30_000 });
      expect(fast.reason).toMatch(/^circuit open/);
    }
    expect(inner.calls).toBe(3);

    c.t += 30_000;
    inner.next = "ok";
    expect(await t.classify("x")).toMatchObject({ status: "ok", label: "a" });
    expect(inner.calls).toBe(4);
    expect(breaker.state).toBe("closed");
  });

  it("counts an invalid answer as the teacher being up, and an aborted call as nothing", async () => {
    const c = clock();
    const inner = new ScriptedTeacher("error");
    const breaker = new CircuitBreaker({ failureThreshold: 2, cooldownMs: 1000, now: c.now });
    const t = new CircuitBreakerTeacher(inner, breaker);
    await t.classify("x");
    inner.next = "invalid";
    await t.classify("x");
    expect(breaker.snapshot().consecutive_failures).toBe(0);
    inner.next = "error";
    const aborted = new AbortController();
    aborted.abort();
    await t.classify("x", { signal: aborted.signal });
    await t.classify("x");
    expect(breaker.snapshot()).toMatchObject({ state: "closed", consecutive_failures: 1 });
  });
});
