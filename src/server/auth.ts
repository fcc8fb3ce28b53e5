// Bearer-key authentication. Each route declares the role it needs in its config:
// `open` (health checks), `predict` (predictions, chat completions, the model list) or `admin`.
// An admin key may do everything. The key itself is never logged (see the logger's redaction in app.ts).
import type { FastifyInstance, FastifyRequest } from "fastify";
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

export function registerAuth(app: FastifyInstance, store: Store): void {
  app.decorateRequest("apiKey", null);
  app.addHook("onRequest", async (request, reply) => {
    // Unknown routes have no config: they require a key like everything else (then 404).
    const access: RouteAccess = request.routeOptions.config?.access ?? "admin";
    if (access === "open") return;
    const key = bearerKey(request);
    const record = key === null ? null : await store.apiKeys.verify(key);
    if (record === null) {
      reply.header("www-authenticate", 'Bearer realm="apprentice"');
      return reply.code(401).send(errorBody(key === null ? "missing API key: send Authorization: Bearer <key>" : "invalid API key", "authentication_error", "invalid_api_key"));
    }
    request.apiKey = record;
    if (access === "admin" && record.role !== "admin") {
      return reply.code(403).send(errorBody(`this API key's role "${record.role}" may not do this; an admin key is needed`, "permission_error", "forbidden"));
    }
  });
}
