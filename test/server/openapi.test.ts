// Keeps /openapi.json true to the gateway: every route Fastify registers is documented with the
// role its `config.access` enforces, and every documented route exists. The document is built
// from the routes' own declarations (http/route.ts), so this holds by construction; these tests
// check the construction (routes inside plugins, HEAD, roles) on the real gateway, and
// test/server/route.test.ts that a route registered without a declaration stops the start.
import type { RouteOptions } from "fastify";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { TaskSchema } from "../../src/task/definition.js";
import { OutputSchema } from "../../src/task/output-schema.js";
import { StructuredTaskSchema } from "../../src/task/structured.js";
import { ROLE_EXTENSION } from "../../src/server/docs/openapi.js";
import { openApiPath } from "../../src/server/docs/route-spec-docs.js";
import { startTestGateway, stopTestGateway, type TestGateway } from "./helpers.js";

// The routes are registered inside buildApp, before a test could add an onRoute hook, so the
// Fastify factory is wrapped to add one as each instance is created.
const registered = vi.hoisted(() => [] as RouteOptions[]);
vi.mock("fastify", async (importOriginal) => {
  const actual = await importOriginal<typeof import("fastify")>();
  const factory = actual.default as unknown as (...args: unknown[]) => ReturnType<typeof actual.default>;
  const wrapped = (...args: unknown[]) => {
    const app = factory(...args);
    app.addHook("onRoute", (route: RouteOptions) => {
      registered.push(route);
    });
    return app;
  };
  return { ...actual, default: wrapped, fastify: wrapped };
});

const METHODS = ["get", "post", "put", "patch", "delete"] as const;
/** Fastify adds HEAD for every GET; neither HEAD nor OPTIONS is part of the API. */
const AUTO_METHODS = new Set(["HEAD", "OPTIONS"]);

// The document is arbitrary JSON, read field by field.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

interface RouteKey {
  key: string;
  access: string;
}

function registeredRoutes(): Map<string, RouteKey> {
  const routes = new Map<string, RouteKey>();
  for (const route of registered) {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (AUTO_METHODS.has(method.toUpperCase())) continue;
      const key = `${method.toUpperCase()} ${openApiPath(route.url)}`;
      // auth.ts treats a route without `access` as admin.
      routes.set(key, { key, access: route.config?.access ?? "admin" });
    }
  }
  return routes;
}

function documentedRoutes(doc: Json): Map<string, RouteKey> {
  const routes = new Map<string, RouteKey>();
  for (const [path, item] of Object.entries<Json>(doc.paths)) {
    for (const method of METHODS) {
      if (item[method] === undefined) continue;
      const key = `${method.toUpperCase()} ${path}`;
      routes.set(key, { key, access: item[method][ROLE_EXTENSION] });
    }
  }
  return routes;
}

function operations(doc: Json): [string, Json][] {
  return Object.entries<Json>(doc.paths).flatMap(([path, item]) => METHODS.filter((m) => item[m] !== undefined).map((m): [string, Json] => [`${m.toUpperCase()} ${path}`, item[m]]));
}

/** Every `$ref` string anywhere in `node`. */
function refs(node: unknown, found: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => refs(n, found));
  else if (typeof node === "object" && node !== null) {
    for (const [k, v] of Object.entries(node)) {
      if (k === "$ref" && typeof v === "string") found.push(v);
      else refs(v, found);
    }
  }
  return found;
}

function resolvePointer(doc: Json, ref: string): unknown {
  if (!ref.startsWith("#/")) return undefined;
  return ref
    .slice(2)
    .split("/")
    .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"))
    .reduce<Json>((node, part) => (node === undefined || node === null ? undefined : node[part]), doc);
}

describe("OpenAPI document", () => {
  let g: TestGateway;
  let doc: Json;

  beforeAll(async () => {
    g = await startTestGateway();
    const res = await g.request("GET", "/openapi.json", { key: null });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    doc = res.body;
  });

  afterAll(async () => {
    await stopTestGateway(g);
  });

  it("saw the gateway's routes being registered", () => {
    expect(registeredRoutes().has("GET /healthz")).toBe(true);
    expect(registeredRoutes().has("GET /openapi.json")).toBe(true);
  });

  it("documents every registered route", () => {
    const documented = documentedRoutes(doc);
    const missing = [...registeredRoutes().keys()].filter((k) => !documented.has(k));
    expect(missing, "routes registered but missing from /openapi.json").toEqual([]);
  });

  it("documents only routes that exist", () => {
    const routes = registeredRoutes();
    const extra = [...documentedRoutes(doc).keys()].filter((k) => !routes.has(k));
    expect(extra, "routes in /openapi.json but not registered").toEqual([]);
  });

  it("documents each route's role as the one its config.access enforces", () => {
    const documented = documentedRoutes(doc);
    const mismatched = [...registeredRoutes().values()]
      .filter((r) => documented.has(r.key) && documented.get(r.key)?.access !== r.access)
      .map((r) => `${r.key}: registered ${r.access}, documented ${documented.get(r.key)?.access}`);
    expect(mismatched).toEqual([]);
  });

  it("looks like valid OpenAPI 3.1", () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info.title).toBeTruthy();
    expect(doc.info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: "http", scheme: "bearer" });
    const operationIds = new Set<string>();
    for (const [key, op] of operations(doc)) {
      expect(Object.keys(op.responses ?? {}).length, `${key} has responses`).toBeGreaterThan(0);
      expect(op.summary, `${key} has a summary`).toBeTruthy();
      expect(["open", "predict", "admin"], `${key} has a role`).toContain(op[ROLE_EXTENSION]);
      expect(op.description, `${key} states its role in the description`).toMatch(op[ROLE_EXTENSION] === "open" ? /no API key/ : new RegExp("`" + op[ROLE_EXTENSION] + "`"));
      expect(operationIds.has(op.operationId), `${key}: operationId ${op.operationId} is unique`).toBe(false);
      operationIds.add(op.operationId);
      // Every {param} in the path is declared as a required path parameter.
      const declared = (op.parameters ?? []).filter((p: Json) => p.in === "path" && p.required).map((p: Json) => p.name);
      const inPath = [...key.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      expect(declared.sort(), `${key} path parameters`).toEqual(inPath.sort());
    }
  });

  it("resolves every $ref", () => {
    const all = refs(doc);
    expect(all.length).toBeGreaterThan(0);
    const broken = all.filter((r) => resolvePointer(doc, r) === undefined);
    expect(broken).toEqual([]);
  });

  it("lists the error statuses that apply to each route", () => {
    for (const [key, op] of operations(doc)) {
      const statuses = Object.keys(op.responses);
      if (op[ROLE_EXTENSION] === "open") {
        expect(op.security, `${key} needs no key`).toEqual([]);
        expect(statuses, key).not.toContain("401");
      } else {
        expect(statuses, key).toEqual(expect.arrayContaining(["401", "429"]));
      }
      if (op[ROLE_EXTENSION] === "admin") expect(statuses, key).toContain("403");
      if (op.requestBody !== undefined) expect(statuses, key).toEqual(expect.arrayContaining(["400", "413", "415"]));
      if (key.includes("{name}")) expect(statuses, key).toContain("404");
    }
    expect(doc.components.responses.TooManyRequests.headers).toHaveProperty("Retry-After");
  });

  it("takes the task schema from the zod validator", () => {
    const schemas = doc.components.schemas;
    expect(schemas.TaskInput.oneOf).toEqual([{ $ref: "#/components/schemas/LabelTaskInput" }, { $ref: "#/components/schemas/StructuredTaskInput" }]);
    expect(Object.keys(schemas.LabelTaskInput.properties).sort()).toEqual(Object.keys(TaskSchema.shape).sort());
    expect(schemas.LabelTaskInput.required.sort()).toEqual(["instructions", "labels", "name"]);
    expect(Object.keys(schemas.StructuredTaskInput.properties).sort()).toEqual(Object.keys(StructuredTaskSchema.shape).sort());
    expect(schemas.StructuredTaskInput.required.sort()).toEqual(["instructions", "name", "output"]);
    expect(schemas.StructuredTaskInput.properties.output).toEqual({ $ref: "#/components/schemas/OutputBlock" });
    expect(schemas.Task.oneOf).toEqual([{ $ref: "#/components/schemas/LabelTask" }, { $ref: "#/components/schemas/StructuredTask" }]);
    expect(Object.keys(schemas.StructuredTask.properties)).toContain("output");
    expect(doc.paths["/v1/tasks"].post.requestBody.content["application/json"].schema).toEqual({ $ref: "#/components/schemas/TaskInput" });
  });

  it("describes structured tasks: the output block, predictions, feedback, edits, the report, notices and imports", () => {
    const schemas = doc.components.schemas;
    // Every keyword a field may use (src/task/output-schema.ts), and the block's own keys.
    expect(Object.keys(schemas.OutputField.properties).sort()).toEqual(["description", "enum", "extract", "extract_list", "items", "nullable", "tags", "title", "type", "x-extract"]);
    expect(Object.keys(schemas.OutputBlock.properties).sort()).toEqual(Object.keys(OutputSchema.shape).sort());
    expect(schemas.OutputBlock.properties.properties.additionalProperties).toEqual({ $ref: "#/components/schemas/OutputField" });
    expect(schemas.OutputBlock.description).toMatch(/enum.*choice.*tags.*x-extract.*extract_list.*teacher-only/s);

    expect(Object.keys(schemas.PredictResult.properties)).toEqual(expect.arrayContaining(["output", "fields"]));
    expect(schemas.PredictResult.required).not.toContain("output");
    expect(schemas.PredictResult.properties.fields.$ref).toBe("#/components/schemas/FieldPredictions");
    expect(schemas.FieldPredictions.additionalProperties.properties).toHaveProperty("spans");
    expect(schemas.Explanation.properties.fields.$ref).toBe("#/components/schemas/FieldPredictions");
    expect(schemas.Explanation.properties).toHaveProperty("output");

    const [byLabel, byOutput] = schemas.FeedbackRequest.oneOf;
    expect(byLabel.required.sort()).toEqual(["label", "request_id"]);
    expect(byOutput.required.sort()).toEqual(["output", "request_id"]);
    expect(byOutput.properties.output.$ref).toBe("#/components/schemas/StructuredObject");

    const edit = doc.paths["/v1/tasks/{name}/examples/{id}"].patch.requestBody.content["application/json"].schema;
    expect(edit.oneOf.map((o: Json) => o.required)).toEqual([["label"], ["output"]]);

    expect(schemas.ModelReport.oneOf).toEqual([{ $ref: "#/components/schemas/LabelModelReport" }, { $ref: "#/components/schemas/StructuredModelReport" }]);
    expect(schemas.StructuredModelReport.properties.kind).toEqual({ type: "string", const: "structured" });
    expect(schemas.StructuredModelReport.required).toEqual(expect.arrayContaining(["kind", "exact_match", "per_field", "curve"]));
    expect(schemas.StructuredModelReport.properties.per_field.items.required).toEqual(["field", "agreement", "with_value"]);

    const created = doc.paths["/v1/tasks"].post.responses["201"].content["application/json"].schema;
    expect(created).toEqual({ $ref: "#/components/schemas/TaskCreated" });
    expect(schemas.TaskCreated.properties.notices.type).toBe("array");
    expect(schemas.TaskCreated.required.sort()).toEqual(["created_at", "definition", "name", "updated_at"]);

    const imports = doc.paths["/v1/tasks/{name}/examples"].post.requestBody.content;
    expect(imports["application/json"].schema.oneOf.map((o: Json) => o.items.$ref)).toEqual(["#/components/schemas/LabelledText", "#/components/schemas/StructuredText"]);
    expect(imports["application/x-ndjson"].schema.description).toMatch(/\{text, output: \{\.\.\.\}\}/);
    expect(imports["text/csv"].schema.description).toMatch(/one column per field.*a\|b/);
    expect(schemas.StructuredText.properties.output).toEqual({ $ref: "#/components/schemas/StructuredObject" });
  });

  it("is served without a key while the API needs one", async () => {
    expect((await g.request("GET", "/v1/tasks", { key: null })).status).toBe(401);
    expect((await g.request("GET", "/openapi.json", { key: null })).status).toBe(200);
  });
});

describe("GET /docs", () => {
  let g: TestGateway;

  beforeAll(async () => {
    g = await startTestGateway();
  });

  afterAll(async () => {
    await stopTestGateway(g);
  });

  it("serves one self-contained HTML page under a restrictive CSP, without a key", async () => {
    const res = await fetch(`${g.url}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    const html = await res.text();
    expect(html).toMatch(/^<!doctype html>/i);
    // Nothing loaded from elsewhere: no src/href attributes, no URLs.
    expect(html).not.toMatch(/\s(src|href)=/i);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).toContain('fetch("openapi.json")');
    // Text from the document goes in as text, never parsed as HTML.
    expect(html).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
  });

  it("allows its inline script and style by their hashes", async () => {
    const res = await fetch(`${g.url}/docs`);
    const csp = res.headers.get("content-security-policy") ?? "";
    const html = await res.text();
    const { createHash } = await import("node:crypto");
    const hash = (s: string): string => `'sha256-${createHash("sha256").update(s, "utf8").digest("base64")}'`;
    const script = /<script>([\s\S]*)<\/script>/.exec(html)?.[1] ?? "";
    const style = /<style>([\s\S]*)<\/style>/.exec(html)?.[1] ?? "";
    expect(csp).toContain(`script-src ${hash(script)}`);
    expect(csp).toContain(`style-src ${hash(style)}`);
  });
});
