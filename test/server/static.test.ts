// The dashboard's static serving: index and hashed assets with security and cache headers, no
// way out of the dist directory (however the path is encoded), and a clear message when the
// dashboard is not built.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ASSET_CACHE_CONTROL, DASHBOARD_CSP, registerStatic, resolveInside } from "../../src/server/http/static.js";
import { startTestGateway, stopTestGateway, type TestGateway } from "./helpers.js";

const INDEX = '<!doctype html><html><head><script type="module" src="./assets/index-abc123.js"></script></head><body><div id="app"></div></body></html>';
const SCRIPT = 'console.log("dashboard");\n';
const SECRET = "top secret, outside dist";

/** A CSP header's directives, by name. */
function directives(csp: string): Map<string, string> {
  return new Map(csp.split(";").map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values.join(" ")]));
}

function expectSecurityHeaders(headers: Record<string, unknown>): void {
  expect(headers["content-security-policy"]).toBe(DASHBOARD_CSP);
  const csp = directives(String(headers["content-security-policy"]));
  // No inline script or style anywhere; forms post only to the gateway; no <base> may re-root the
  // app's relative URLs; no framing.
  expect(csp.get("default-src")).toBe("'self'");
  expect(csp.get("style-src")).toBe("'self'");
  expect(csp.has("script-src")).toBe(false);
  expect(csp.get("form-action")).toBe("'self'");
  expect(csp.get("base-uri")).toBe("'none'");
  expect(csp.get("frame-ancestors")).toBe("'none'");
  expect(headers["x-content-type-options"]).toBe("nosniff");
  expect(headers["referrer-policy"]).toBe("no-referrer");
  expect(headers["x-frame-options"]).toBe("DENY");
}

/** A raw GET: fetch and inject would normalise `..` segments before they reach the server. */
function rawGet(url: string, path: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, path, method: "GET" }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("static dashboard", () => {
  let dir: string;
  let app: FastifyInstance;
  let url: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "apprentice-static-"));
    // <dir>/secret.txt and <dir>/dist/secret.txt lie outside the assets directory.
    writeFileSync(join(dir, "secret.txt"), SECRET);
    mkdirSync(join(dir, "dist", "assets", "sub"), { recursive: true });
    writeFileSync(join(dir, "dist", "secret.txt"), SECRET);
    writeFileSync(join(dir, "dist", "index.html"), INDEX);
    writeFileSync(join(dir, "dist", "assets", "index-abc123.js"), SCRIPT);
    writeFileSync(join(dir, "dist", "assets", "index-def456.css"), "body{margin:0}");
    app = Fastify();
    registerStatic(app, { distDir: join(dir, "dist") });
    url = await app.listen({ port: 0, host: "127.0.0.1" });
  });

  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves index.html at / with the security headers, not cached", async () => {
    const res = await app.inject({ method: "GET", url: "/" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/html/);
    expect(res.headers["cache-control"]).toBe("no-cache");
    expectSecurityHeaders(res.headers);
    expect(res.body).toBe(INDEX);
  });

  it("serves hashed assets with their type and a long cache", async () => {
    const js = await app.inject({ method: "GET", url: "/assets/index-abc123.js" });
    expect(js.statusCode).toBe(200);
    expect(js.headers["content-type"]).toMatch(/^text\/javascript/);
    expect(js.headers["cache-control"]).toBe(ASSET_CACHE_CONTROL);
    expect(js.headers["content-length"]).toBe(String(Buffer.byteLength(SCRIPT)));
    expectSecurityHeaders(js.headers);
    expect(js.body).toBe(SCRIPT);
    const css = await app.inject({ method: "GET", url: "/assets/index-def456.css" });
    expect(css.headers["content-type"]).toMatch(/^text\/css/);
    const head = await app.inject({ method: "HEAD", url: "/assets/index-abc123.js" });
    expect(head.statusCode).toBe(200);
  });

  it("answers 404 for a missing asset or a directory", async () => {
    for (const path of ["/assets/nope.js", "/assets/sub", "/assets/sub/", "/assets/"]) {
      const res = await app.inject({ method: "GET", url: path });
      expect(res.statusCode, path).toBe(404);
      expectSecurityHeaders(res.headers);
    }
  });

  it("refuses every way out of the assets directory", async () => {
    const attempts = [
      "/assets/..%2fsecret.txt",
      "/assets/..%2f..%2fsecret.txt",
      "/assets/..%2Findex.html",
      "/assets/%2e%2e%2fsecret.txt",
      "/assets/%2E%2E%2F%2E%2E%2Fsecret.txt",
      "/assets/..%5csecret.txt",
      "/assets/%2e%2e/secret.txt",
      "/assets/../secret.txt",
      "/assets/../../secret.txt",
      "/assets/sub/../../secret.txt",
      "/assets/%2fetc%2fpasswd",
      "/assets//etc/passwd",
      "/assets/..%00/secret.txt",
      "/assets/%252e%252e%252fsecret.txt",
    ];
    for (const path of attempts) {
      const res = await rawGet(url, path);
      expect(res.body, path).not.toContain(SECRET);
      expect(res.body, path).not.toContain("root:");
      expect([400, 404], path).toContain(res.status);
    }
  });

  it("resolves paths only inside the root", () => {
    const root = join(dir, "dist", "assets");
    expect(resolveInside(root, "index-abc123.js")).toBe(join(root, "index-abc123.js"));
    expect(resolveInside(root, "sub/x.js")).toBe(join(root, "sub", "x.js"));
    expect(resolveInside(root, "/etc/passwd")).toBe(join(root, "etc", "passwd"));
    for (const bad of ["../secret.txt", "../../secret.txt", "sub/../../x", "..", "", ".", "a\0b", "..\\secret.txt"]) expect(resolveInside(root, bad), bad).toBeNull();
  });
});

describe("static dashboard, not built", () => {
  let dir: string;
  let app: FastifyInstance;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "apprentice-static-missing-"));
    app = Fastify();
    registerStatic(app, { distDir: join(dir, "dist") });
    await app.ready();
  });

  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("says how to build it", async () => {
    for (const path of ["/", "/assets/index-abc123.js"]) {
      const res = await app.inject({ method: "GET", url: path });
      expect(res.statusCode, path).toBe(503);
      expect(res.headers["content-type"]).toMatch(/^text\/plain/);
      expect(res.body).toContain("npm run build:web");
      expectSecurityHeaders(res.headers);
    }
  });

  it("serves the dashboard as soon as it is built, without a restart", async () => {
    mkdirSync(join(dir, "dist", "assets"), { recursive: true });
    writeFileSync(join(dir, "dist", "index.html"), INDEX);
    const res = await app.inject({ method: "GET", url: "/" });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe(INDEX);
  });
});

describe("the gateway serves the dashboard", () => {
  let g: TestGateway;

  beforeAll(async () => {
    g = await startTestGateway();
  });

  afterAll(async () => {
    await stopTestGateway(g);
  });

  it("at / without a key, while the API still needs one", async () => {
    const res = await fetch(`${g.url}/`);
    // 200 when web/dist is built in this checkout, 503 with the hint when it is not: never 401.
    expect([200, 503]).toContain(res.status);
    expect(res.headers.get("content-security-policy")).toBe(DASHBOARD_CSP);
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    if (res.status === 503) expect(await res.text()).toContain("npm run build:web");
    expect((await g.request("GET", "/v1/tasks", { key: null })).status).toBe(401);
    const asset = await fetch(`${g.url}/assets/..%2f..%2fpackage.json`);
    expect([404, 503]).toContain(asset.status);
    expect(await asset.text()).not.toContain('"name": "apprentice"');
  });
});
