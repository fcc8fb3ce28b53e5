// Bearer-key authentication. Each route declares the role it needs in its config:
// `open` (health checks), `predict` (predictions, chat completions, the model list) or `admin`.
// An admin key may do everything. The key itself is never logged (see the logger's redaction in app.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ApiKeyRecord, Store } from "../store/index.js";
import { errorBody } from "./errors.js";

export type RouteAccess = "open" | "predict" | "admin";

declare module "fastify" {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyRequest {
    apiKey: ApiKeyRecord | null;
  }
}

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

export function registerAuth(app: FastifyInstance, store: Store): void {
  app.decorateRequest("apiKey", null);
  // Callback style, not async: a key verified in the last few seconds is answered from memory
  // (verifyCached) without the promise and microtask turn an async hook costs every request.
  app.addHook("onRequest", (request, reply, done) => {
    // Unknown routes (no url) need a key of any role, then answer 404 in OpenAI's shape: a predict
    // key calling /v1/embeddings learns the route does not exist, not that it lacks a role.
    const options = request.routeOptions;
    const access: RouteAccess = options.config?.access ?? (options.url === undefined ? "predict" : "admin");
    if (access === "open") return done();
    const key = bearerKey(request);
    if (key === null) return admit(request, reply, access, key, null, done);
    const known = store.apiKeys.verifyCached(key);
    if (known !== undefined) return admit(request, reply, access, key, known, done);
    store.apiKeys.verify(key).then((record) => admit(request, reply, access, key, record, done), done);
  });
}
