// A circuit breaker per task teacher: when the teacher keeps failing (down, overloaded, a bad
// key), every request would otherwise wait out the timeout and the retries before giving up.
// After `failureThreshold` consecutive failures the circuit opens: calls fail fast (status
// "error", reason "circuit open…") without touching the network for a cool-down, which doubles
// each time a probe fails (up to a cap). When the cool-down has passed, one call goes through
// as a probe (half-open) while the others keep failing fast; its success closes the circuit.
//
// Only "error" answers count as failures. An "invalid" answer (the model replied, just not with a
// label) proves the endpoint is up, so it counts as a success; a call the caller aborted counts
// as neither. The clock is injectable so tests never wait.
import type { ClassifyOptions, Teacher, TeacherAnswer } from "./types.js";

export const BREAKER_FAILURE_THRESHOLD = 5;
export const BREAKER_COOLDOWN_MS = 30_000;
export const BREAKER_MAX_COOLDOWN_MS = 10 * 60_000;

export type CircuitState = "closed" | "open" | "half_open";

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit (default 5). */
  failureThreshold?: number;
  /** First cool-down (default 30 s); doubled after each failed probe. */
  cooldownMs?: number;
  /** Longest cool-down (default 10 min). */
  maxCooldownMs?: number;
  /** Milliseconds; defaults to Date.now. */
  now?: () => number;
  /** Called on every state change (open, half_open when a probe starts, closed). */
  onStateChange?: (change: { from: CircuitState; to: CircuitState; snapshot: CircuitSnapshot }) => void;
}

/** The breaker as the API reports it. */
export interface CircuitSnapshot {
  /** `half_open`: the cool-down has passed and the next call (or the one under way) is the probe. */
  state: CircuitState;
  consecutive_failures: number;
  /** Times the circuit opened since the gateway started. */
  opened: number;
  /** The current cool-down (the next one, while closed). */
  cooldown_ms: number;
  /** While open: when the next probe is let through (same clock as `now`); else null. */
  retry_at: number | null;
}

/** Permission for one call; hand it back with the call's outcome. */
export interface CircuitTicket {
  readonly probe: boolean;
  readonly generation: number;
}

export type Admission = { ticket: CircuitTicket } | { rejected: true; retryAfterMs: number };

export class CircuitBreaker {
  readonly failureThreshold: number;
  readonly baseCooldownMs: number;
  readonly maxCooldownMs: number;
  readonly #now: () => number;
  readonly #onStateChange: CircuitBreakerOptions["onStateChange"];
  /** "half_open" here means a probe is under way. */
  #state: CircuitState = "closed";
  #failures = 0;
  #opened = 0;
  #cooldown: number;
  #openUntil = 0;
  /** Bumped on every transition: outcomes of calls admitted before it are ignored. */
  #generation = 0;

  constructor(options: CircuitBreakerOptions = {}) {
    this.failureThreshold = options.failureThreshold ?? BREAKER_FAILURE_THRESHOLD;
    this.baseCooldownMs = options.cooldownMs ?? BREAKER_COOLDOWN_MS;
    this.maxCooldownMs = Math.max(this.baseCooldownMs, options.maxCooldownMs ?? BREAKER_MAX_COOLDOWN_MS);
    if (!Number.isInteger(this.failureThreshold) || this.failureThreshold < 1) throw new RangeError(`failureThreshold must be a positive integer, got ${this.failureThreshold}`);
    if (!(this.baseCooldownMs >= 0)) throw new RangeError(`cooldownMs must be non-negative, got ${this.baseCooldownMs}`);
    this.#cooldown = this.baseCooldownMs;
    this.#now = options.now ?? Date.now;
    this.#onStateChange = options.onStateChange;
  }

  get state(): CircuitState {
    return this.snapshot().state;
  }

  snapshot(): CircuitSnapshot {
    const open = this.#state === "open";
    const state = open && this.#now() >= this.#openUntil ? "half_open" : this.#state;
    return { state, consecutive_failures: this.#failures, opened: this.#opened, cooldown_ms: this.#cooldown, retry_at: open ? this.#openUntil : null };
  }

  /** Lets a call through (maybe as the probe) or rejects it with the time left before the next probe. */
  admit(): Admission {
    if (this.#state === "closed") return { ticket: { probe: false, generation: this.#generation } };
    const now = this.#now();
    if (this.#state === "open" && now >= this.#openUntil) {
      this.#transition("half_open");
      return { ticket: { probe: true, generation: this.#generation } };
    }
    // Open and cooling down, or a probe is under way: the caller hears back at once.
    return { rejected: true, retryAfterMs: Math.max(0, this.#openUntil - now) };
  }

  /** The call reached the teacher and got an answer (a label, or at least a reply). */
  success(ticket: CircuitTicket): void {
    if (ticket.generation !== this.#generation) return;
    this.#failures = 0;
    if (this.#state === "half_open") {
      this.#cooldown = this.baseCooldownMs;
      this.#transition("closed");
    }
  }

  /** The call failed (network, timeout, HTTP error, unusable reply). */
  failure(ticket: CircuitTicket): void {
    if (ticket.generation !== this.#generation) return;
    this.#failures++;
    if (this.#state === "half_open") {
      this.#cooldown = Math.min(this.maxCooldownMs, this.#cooldown * 2);
      this.#open();
    } else if (this.#state === "closed" && this.#failures >= this.failureThreshold) {
      this.#open();
    }
  }

  /** The call ended without telling anything about the teacher (aborted by the caller, a bug). */
  release(ticket: CircuitTicket): void {
    if (ticket.generation !== this.#generation || !ticket.probe) return;
    // The probe never finished: the next call probes instead, at once.
    this.#openUntil = this.#now();
    this.#transition("open");
  }

  #open(): void {
    this.#opened++;
    this.#openUntil = this.#now() + this.#cooldown;
    this.#transition("open");
  }

  #transition(to: CircuitState): void {
    const from = this.#state;
    this.#state = to;
    this.#generation++;
    if (from !== to) this.#onStateChange?.({ from, to, snapshot: this.snapshot() });
  }
}

/** A teacher behind a circuit breaker: same answers, but fails fast while the circuit is open. */
export class CircuitBreakerTeacher implements Teacher {
  readonly name: string;

  constructor(
    readonly inner: Teacher,
    readonly breaker: CircuitBreaker,
  ) {
    this.name = inner.name;
  }

  async classify(text: string, options: ClassifyOptions = {}): Promise<TeacherAnswer> {
    const admission = this.breaker.admit();
    if ("rejected" in admission) {
      const { consecutive_failures } = this.breaker.snapshot();
      const seconds = Math.ceil(admission.retryAfterMs / 1000);
      return {
        label: null,
        status: "error",
        reason: `circuit open: the teacher failed ${consecutive_failures} times in a row; next try in ${seconds} s`,
        usage: { input_tokens: 0, output_tokens: 0 },
        cost: 0,
        latency_ms: 0,
        attempts: 0,
        retry_after_ms: admission.retryAfterMs,
      };
    }
    const { ticket } = admission;
    let answer: TeacherAnswer;
    try {
      answer = await this.inner.classify(text, options);
    } catch (err) {
      this.breaker.release(ticket);
      throw err;
    }
    if (options.signal?.aborted) this.breaker.release(ticket);
    else if (answer.status === "error") this.breaker.failure(ticket);
    else this.breaker.success(ticket);
    return answer;
  }
}
