// Bearer-key authentication. Each route declares the role it needs in its config:
// `open` (health checks), `predict` (predictions, chat completions, the model list) or `admin`.
// An admin key may do everything. The key itself is never logged (see the logger's redaction in app.ts).
//
// Failed authentications (a missing, malformed, unknown or revoked key) are limited per client
// address: each failure takes a token from the address's bucket, and an address without tokens
// gets 429 with Retry-After before its key is looked up in the store, so a flood of made-up keys
// costs a map lookup, not a database query. A key verified in the last few seconds still passes,
// and one found valid before (in the last day) is looked up whatever the bucket says.
// The buckets are bounded in number (the oldest is dropped), so strangers cannot grow memory.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ApiKeyRecord, Store } from "../../store/index.js";
import { errorBody } from "./errors.js";
import { TokenBuckets } from "./rate-limit.js";

export type RouteAccess = "open" | "predict" | "admin";

declare module "fastify" {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyRequest {
    apiKey: ApiKeyRecord | null;
  }
}

export interface AuthFailureLimit {
  /** Failed authentications per second each client address may keep up. */
  perSecond: number;
  /** Failures an address may make at once (default 10 × perSecond). */
  burst?: number;
  /** Client addresses tracked at most (default 10,000). */
  maxClients?: number;
}

export const DEFAULT_AUTH_FAILURE_LIMIT: Required<AuthFailureLimit> = { perSecond: 10, burst: 100, maxClients: 10_000 };

export function bearerKey(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header !== "string") return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : null;
}

/** Lets the request through (calls `done`) or answers 401/403 for it. */
function admit(request: FastifyRequest, reply: FastifyReply, access: RouteAccess, key: string | null, record: ApiKeyRecord | null, done: () => void): void {
  if (record === null) {
    reply.header("www-authenticate", 'Bearer realm="apprentice"');
    void reply.code(401).send(errorBody(key === null ? "missing API key: send Authorization: Bearer <key>" : "invalid API key", "authentication_error", "invalid_api_key"));
    return;
  }
  request.apiKey = record;
  if (access === "admin" && record.role !== "admin") {
    void reply.code(403).send(errorBody(`this API key's role "${record.role}" may not do this; an admin key is needed`, "permission_error", "forbidden"));
    return;
  }
  done();
}

/** The failure buckets of client addresses; `app.authFailures` (for tests and metrics). */
export class AuthFailures {
  readonly buckets: TokenBuckets<string>;

  constructor(readonly limit: Required<AuthFailureLimit>) {
    this.buckets = new TokenBuckets<string>({ requestsPerSecond: limit.perSecond, burst: limit.burst }, undefined, limit.maxClients);
  }

  /** 429 with Retry-After if `address` has no failure left; true when it was refused. */
  refuse(address: string, reply: FastifyReply): boolean {
    const waitMs = this.buckets.wait(address);
    if (waitMs === 0) return false;
    reply.header("retry-after", String(Math.max(1, Math.ceil(waitMs / 1000))));
    void reply
      .code(429)
      .send(errorBody(`too many failed authentications from this address (${this.limit.perSecond}/s, burst ${this.limit.burst}); retry later with a valid key`, "rate_limit_error", "auth_rate_limited"));
    return true;
  }
}

export function registerAuth(app: FastifyInstance, store: Store, failureLimit: AuthFailureLimit | false = DEFAULT_AUTH_FAILURE_LIMIT): AuthFailures | null {
  app.decorateRequest("apiKey", null);
  const failures = failureLimit === false ? null : new AuthFailures({ ...DEFAULT_AUTH_FAILURE_LIMIT, burst: failureLimit.perSecond * 10, ...failureLimit });
  /** admit(), counting a refused key against its address. */
  const settle = (request: FastifyRequest, reply: FastifyReply, access: RouteAccess, key: string | null, record: ApiKeyRecord | null, done: () => void) => {
    if (record === null && failures !== null) failures.buckets.take(request.ip);
    admit(request, reply, access, key, record, done);
  };
  // Callback style, not async: a key verified in the last few seconds is answered from memory
  // (verifyCached) without the promise and microtask turn an async hook costs every request.
  app.addHook("onRequest", (request, reply, done) => {
    // Unknown routes (no url) need a key of any role, then answer 404 in OpenAI's shape: a predict
    // key calling /v1/embeddings learns the route does not exist, not that it lacks a role.
    const options = request.routeOptions;
    const access: RouteAccess = options.config?.access ?? (options.url === undefined ? "predict" : "admin");
    if (access === "open") return done();
    const key = bearerKey(request);
    const known = key === null ? null : store.apiKeys.verifyCached(key);
    if (known !== undefined && known !== null) return admit(request, reply, access, key, known, done);
    // A key this gateway found valid before is looked up again whatever its address's bucket says:
    // otherwise an anonymous flood sharing that address (a proxy) would lock out the keys in use.
    const foundValidBefore = known === undefined && store.apiKeys.knownValid(key!);
    if (!foundValidBefore && failures?.refuse(request.ip, reply) === true) return;
    if (known === null) return settle(request, reply, access, key, null, done);
    store.apiKeys.verify(key!).then((record) => settle(request, reply, access, key, record, done), done);
  });
  return failures;
}
