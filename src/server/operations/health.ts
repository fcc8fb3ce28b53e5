// Liveness and readiness probes, open to anyone (load balancers, orchestrators).
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { Store } from "../../store/index.js";
import { IGNORED_QUERY, route } from "../http/route.js";

const HealthSchema = z.object({ ok: z.boolean() }).meta({ id: "Health" });

export function registerHealthRoutes(app: FastifyInstance, store: Store): void {
  route(
    app,
    { method: "GET", url: "/healthz", access: "open", tag: "Operations", summary: "Liveness: the process answers", query: IGNORED_QUERY, replies: { 200: { description: "Alive.", schema: HealthSchema, example: { ok: true } } } },
    () => ({ ok: true }),
  );
  route(
    app,
    {
      method: "GET",
      url: "/readyz",
      access: "open",
      tag: "Operations",
      summary: "Readiness: the database answers",
      query: IGNORED_QUERY,
      replies: {
        200: { description: "Ready.", schema: HealthSchema, example: { ok: true } },
        503: { description: "The database is unreachable.", schema: z.object({ ok: z.literal(false), error: z.string() }), example: { ok: false, error: "database unreachable" } },
      },
    },
    async (_input, _request, reply) => {
      try {
        await store.ping();
        return { ok: true };
      } catch {
        return reply.code(503).send({ ok: false, error: "database unreachable" });
      }
    },
  );
}
