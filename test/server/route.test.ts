// route(): the declared schemas check the request before the handler runs, the handler gets the
// parsed values, hot replies are serialized from their schema, the development check catches a
// reply that drifted from its schema, and the document is generated from the same declaration.
import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { registerOpenApi } from "../../src/server/docs/openapi.js";
import { collectRouteSpecs, routeDocOf } from "../../src/server/docs/route-spec-docs.js";
import { errorBody, HttpError } from "../../src/server/http/errors.js";
import { integerSchema, positiveIdSchema, timeSchema } from "../../src/server/http/query-params.js";
import { checkRepliesAgainstSpecs, route } from "../../src/server/http/route.js";
import type { Schema } from "../../src/server/docs/openapi-shapes.js";

const Item = z.object({ id: z.number().int(), name: z.string().describe("What it is called.") }).meta({ id: "TestItem", description: "An item." });

let app: FastifyInstance;

afterEach(async () => {
  await app.close();
});

function build(options: { check?: boolean; reply?: unknown } = {}) {
  app = Fastify();
  app.setErrorHandler((err, _request, reply) => {
    if (err instanceof HttpError) return reply.code(err.statusCode).send(errorBody(err.message, err.type, err.code));
    return reply.code(500).send(errorBody("internal error", "server_error", "internal_error"));
  });
  const routes = collectRouteSpecs(app);
  if (options.check === true) checkRepliesAgainstSpecs(app);
  const seen: unknown[] = [];
  route(
    app,
    {
      method: "POST",
      url: "/items/:id",
      access: "admin",
      tag: "Test",
      summary: "Store an item",
      params: z.object({ id: positiveIdSchema("The item's id.", 7) }),
      query: z.object({ limit: integerSchema("At most this many.", 1, 50, 10), since: timeSchema("Window start.") }),
      body: z.object({ name: z.string().min(1, "must not be empty") }).strict(),
      replies: { 200: { description: "The item.", schema: Item } },
      serialize: options.check === true ? [] : [200],
    },
    (input) => {
      seen.push(input);
      return options.reply ?? { id: input.params.id, name: input.body.name, secret: "not in the schema" };
    },
  );
  return { specs: routes.specs, seen };
}

const post = (url: string, body: unknown) => app.inject({ method: "POST", url, payload: body as object });

describe("route()", () => {
  it("gives the handler parsed, typed values: ids and integers from strings, defaults, times as epoch ms", async () => {
    const { seen } = build();
    const res = await post("/items/12?since=2026-01-01T00:00:00Z", { name: "lamp" });
    expect(res.statusCode).toBe(200);
    expect(seen).toEqual([{ params: { id: 12 }, query: { limit: 10, since: Date.UTC(2026, 0, 1) }, body: { name: "lamp" } }]);
  });

  it("refuses a bad request with a 400 naming the parameter or field, without running the handler", async () => {
    const { seen } = build();
    const cases: [string, unknown, RegExp][] = [
      ["/items/0", { name: "x" }, /^path parameter id: must be a positive integer/],
      ["/items/abc", { name: "x" }, /^path parameter id: must be a positive integer/],
      ["/items/1?limit=51", { name: "x" }, /^query parameter limit: must be an integer from 1 to 50/],
      ["/items/1?limit=1&limit=2", { name: "x" }, /^query parameter limit: /],
      ["/items/1?since=yesterday", { name: "x" }, /^query parameter since: must be epoch milliseconds or an ISO 8601 date, got "yesterday"/],
      ["/items/1?limt=5", { name: "x" }, /^unknown query parameter "limt"/],
      ["/items/1", { name: "" }, /^name: must not be empty/],
      ["/items/1", { name: "x", extra: 1 }, /^unknown field "extra" in the body/],
      ["/items/1", ["x"], /^the body: /],
    ];
    for (const [url, body, message] of cases) {
      const res = await post(url, body);
      expect(res.statusCode, url).toBe(400);
      expect(res.json().error.message, url).toMatch(message);
    }
    expect(seen).toEqual([]);
  });

  it("serializes a hot reply with its schema: keys the schema does not declare are not sent", async () => {
    build();
    const res = await post("/items/3", { name: "lamp" });
    expect(res.json()).toEqual({ id: 3, name: "lamp" });
  });

  it("in development, turns a reply that does not match its declared schema into a 500 naming the field", async () => {
    build({ check: true, reply: { id: "3", name: "lamp" } });
    const res = await post("/items/3", { name: "lamp" });
    expect(res.statusCode).toBe(500);
    expect(res.json().error.message).toMatch(/^reply 200 of POST \/items\/:id does not match its declared schema: id: /);
  });

  it("documents the route from the same declaration, with its named schemas as components", async () => {
    const { specs } = build();
    await app.ready();
    expect(specs.map((s) => s.url)).toEqual(["/items/:id"]);
    const components: Record<string, Schema> = {};
    const doc = routeDocOf(specs[0], components);
    expect(doc.path).toBe("/items/{id}");
    expect(doc.pathParams?.id).toMatchObject({ description: "The item's id.", schema: { type: "integer", minimum: 1 }, example: 7 });
    expect(doc.query?.map((q) => q.name)).toEqual(["limit", "since"]);
    expect(doc.query?.[0].schema).toMatchObject({ type: "integer", minimum: 1, maximum: 50, default: 10 });
    expect(doc.ok[200].content?.["application/json"].schema).toEqual({ $ref: "#/components/schemas/TestItem" });
    expect(components.TestItem).toMatchObject({ description: "An item.", properties: { name: { type: "string", description: "What it is called." } } });
    expect(doc.body?.["application/json"].schema).toMatchObject({ type: "object", required: ["name"], additionalProperties: false });
  });

  it("serves the document built from the declared routes, and refuses to start with a route registered without a spec", async () => {
    app = Fastify();
    const routes = collectRouteSpecs(app);
    route(app, { method: "GET", url: "/things", access: "open", tag: "Test", summary: "List things", replies: { 200: { description: "Things.", schema: z.object({ data: z.array(Item) }) } } }, () => ({ data: [] }));
    registerOpenApi(app, routes);
    const doc = (await app.inject({ method: "GET", url: "/openapi.json" })).json();
    expect(Object.keys(doc.paths).sort()).toEqual(["/docs", "/openapi.json", "/things"]);
    expect(doc.components.schemas.TestItem).toBeDefined();
    await app.close();

    app = Fastify();
    const more = collectRouteSpecs(app);
    registerOpenApi(app, more);
    app.get("/hidden", async () => ({}));
    await expect(app.ready()).rejects.toThrow(/undocumented: GET \/hidden/);
  });
});
