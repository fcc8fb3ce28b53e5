// Cross-origin requests: off unless the configuration names the origins allowed to call the API
// from a browser. Off means no CORS header is ever sent, so browsers keep other sites' pages from
// reading the gateway's replies (the dashboard is served by the gateway itself: same origin).
import type { FastifyInstance } from "fastify";

export interface CorsOptions {
  /** Exact origins, e.g. "https://support.example.com"; "*" allows any (keys still required). */
  origins: string[];
  /** How long a browser may cache a preflight answer, in seconds (default 600). */
  maxAgeSeconds?: number;
}

const ALLOWED_METHODS = "GET, POST, PATCH, DELETE, OPTIONS";
const ALLOWED_HEADERS = "authorization, content-type";
const EXPOSED_HEADERS = "retry-after, x-ratelimit-limit, x-ratelimit-remaining, x-request-id";

export function registerCors(app: FastifyInstance, options: CorsOptions): void {
  const any = options.origins.includes("*");
  const allowed = new Set(options.origins);
  const allows = (origin: string | undefined): origin is string => origin !== undefined && (any || allowed.has(origin));

  app.addHook("onRequest", async (request, reply) => {
    const origin = request.headers.origin;
    // The answer depends on Origin: caches must keep one per origin.
    reply.header("vary", "origin");
    if (allows(origin)) {
      reply.header("access-control-allow-origin", origin);
      reply.header("access-control-expose-headers", EXPOSED_HEADERS);
    }
  });
  // Preflights carry no key (browsers never send one), so they are open; they reveal nothing.
  app.options("/*", { config: { access: "open" } }, async (request, reply) => {
    if (!allows(request.headers.origin)) return reply.code(403).send();
    reply.header("access-control-allow-methods", ALLOWED_METHODS);
    reply.header("access-control-allow-headers", ALLOWED_HEADERS);
    reply.header("access-control-max-age", String(options.maxAgeSeconds ?? 600));
    return reply.code(204).send();
  });
}
