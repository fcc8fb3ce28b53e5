// Per-key rate limiting: a token bucket per API key, refilled continuously. Runs after
// authentication, so only keys the store knows get a bucket (the map cannot be grown by strangers)
// and open routes (health checks, /metrics, docs) are never limited.
import type { FastifyInstance } from "fastify";
import { errorBody } from "./errors.js";

export interface RateLimit {
  /** Sustained requests per second each key may send. */
  requestsPerSecond: number;
  /** Requests a key may send at once after being idle (default: one second's worth, at least 1). */
  burst?: number;
}

export const DEFAULT_RATE_LIMIT: RateLimit = { requestsPerSecond: 1000, burst: 2000 };

interface Bucket {
  tokens: number;
  /** performance.now() of the last refill. */
  at: number;
}

export class TokenBuckets<K = number> {
  readonly #buckets = new Map<K, Bucket>();
  readonly #rate: number;
  readonly #burst: number;

  /**
   * `maxKeys`: past this many buckets, the oldest one is dropped to make room (for keys strangers
   * choose, such as client addresses: memory stays bounded whatever they send).
   */
  constructor(
    limit: RateLimit,
    private readonly now: () => number = () => performance.now(),
    private readonly maxKeys = Number.POSITIVE_INFINITY,
  ) {
    if (!(limit.requestsPerSecond > 0) || !Number.isFinite(limit.requestsPerSecond)) {
      throw new RangeError(`rate limit: requests per second must be a positive number, got ${limit.requestsPerSecond}`);
    }
    this.#rate = limit.requestsPerSecond / 1000;
    this.#burst = limit.burst ?? Math.max(1, limit.requestsPerSecond);
    if (!(this.#burst >= 1)) throw new RangeError(`rate limit: burst must be at least 1, got ${limit.burst}`);
  }

  get burst(): number {
    return this.#burst;
  }

  /** Takes one token for `key`: 0 if granted, else the milliseconds until one is available. */
  take(key: K): number {
    const now = this.now();
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      if (this.#buckets.size >= this.maxKeys) this.#buckets.delete(this.#buckets.keys().next().value as K);
      bucket = { tokens: this.#burst, at: now };
      this.#buckets.set(key, bucket);
    } else {
      bucket.tokens = Math.min(this.#burst, bucket.tokens + (now - bucket.at) * this.#rate);
      bucket.at = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return (1 - bucket.tokens) / this.#rate;
  }

  /** The milliseconds until `key` has a token (0: it has one now), without taking it. */
  wait(key: K): number {
    const bucket = this.#buckets.get(key);
    if (bucket === undefined) return 0;
    const tokens = Math.min(this.#burst, bucket.tokens + (this.now() - bucket.at) * this.#rate);
    return tokens >= 1 ? 0 : (1 - tokens) / this.#rate;
  }

  /** How many keys have a bucket. */
  get size(): number {
    return this.#buckets.size;
  }

  /** Whole tokens left for `key` (after the last take). */
  remaining(key: K): number {
    return Math.floor(this.#buckets.get(key)?.tokens ?? this.#burst);
  }
}

/** Registers the limit; call after registerAuth so that its hook runs second. */
export function registerRateLimit(app: FastifyInstance, limit: RateLimit): void {
  const buckets = new TokenBuckets(limit);
  // Callback style: nothing here waits, so no promise per request.
  app.addHook("onRequest", (request, reply, done) => {
    const key = request.apiKey;
    if (key === null) return done();
    const waitMs = buckets.take(key.id);
    reply.header("x-ratelimit-limit", String(buckets.burst));
    reply.header("x-ratelimit-remaining", String(buckets.remaining(key.id)));
    if (waitMs > 0) {
      // Whole seconds, rounded up: clients that honour Retry-After never retry too early.
      reply.header("retry-after", String(Math.max(1, Math.ceil(waitMs / 1000))));
      void reply.code(429).send(errorBody(`rate limit exceeded for this API key: ${limit.requestsPerSecond} requests/s (burst ${buckets.burst}); retry later`, "rate_limit_error", "rate_limit_exceeded"));
      return;
    }
    done();
  });
}
