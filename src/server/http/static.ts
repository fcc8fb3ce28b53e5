// The dashboard: the single-page app built into web/dist (`npm run build:web`), served at `/`
// without a key (the app asks for an admin key itself). index.html is never cached, the hashed
// assets under /assets/ are cached for a year. Every response carries a strict CSP: the app has
// no inline scripts or styles. Paths are resolved inside the dist directory and refused otherwise.
import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { extname, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, FastifyReply } from "fastify";
import { IGNORED_QUERY, route, type RouteSpec } from "./route.js";

export const DEFAULT_DIST_DIR = fileURLToPath(new URL("../../../web/dist", import.meta.url));

// form-action and base-uri do not fall back to default-src: without them an injected <form> could
// post to another site, and an injected <base> could redirect the app's relative script URLs.
export const DASHBOARD_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
export const ASSET_CACHE_CONTROL = "public, max-age=31536000, immutable";

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": DASHBOARD_CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
};

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".ico": "image/x-icon",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};

export const NOT_BUILT_MESSAGE = "The Apprentice dashboard is not built: run `npm run build:web` (it writes web/dist), then reload this page. The API works without it.";

export interface StaticOptions {
  /** The built dashboard (default: web/dist of this checkout). */
  distDir?: string;
}

/**
 * The file under `root` that a URL path names, or null when the path would leave `root` (`..`,
 * absolute paths, NUL bytes, backslashes). `relative` is already percent-decoded by the router.
 */
export function resolveInside(root: string, relative: string): string | null {
  if (relative.includes("\0") || relative.includes("\\")) return null;
  const base = resolve(root);
  const target = resolve(base, "." + sep + relative);
  return target.startsWith(base + sep) ? target : null;
}

function secure(reply: FastifyReply): FastifyReply {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
  return reply;
}

export function registerStatic(app: FastifyInstance, options: StaticOptions = {}): void {
  const dist = resolve(options.distDir ?? DEFAULT_DIST_DIR);
  const assets = resolve(dist, "assets");
  const page = (summary: string, url: string, description: string | undefined, replies: RouteSpec["replies"]) =>
    ({ method: "GET", url, access: "open", tag: "Dashboard", summary, ...(description === undefined ? {} : { description }), query: IGNORED_QUERY, replies }) as const;
  const text = (type: string) => ({ [type]: { schema: { type: "string" } } });

  const notBuilt = (reply: FastifyReply) => secure(reply).code(503).header("content-type", "text/plain; charset=utf-8").header("cache-control", "no-store").send(NOT_BUILT_MESSAGE);
  const notFound = (reply: FastifyReply) => secure(reply).code(404).header("content-type", "text/plain; charset=utf-8").send("Not found.");

  // Read on each request (it is small): a rebuild shows up without restarting the gateway.
  const index = page(
    "The dashboard (a single-page app; it asks for an admin key itself)",
    "/",
    "web/dist/index.html, built by `npm run build:web`, under a strict Content-Security-Policy; 503 with a plain-text hint when the dashboard is not built.",
    {
      200: { description: "The dashboard's HTML page.", content: text("text/html") },
      503: { description: "The dashboard is not built (run `npm run build:web`).", content: text("text/plain") },
    },
  );
  route(app, index, async (_input, _request, reply) => {
    let html: Buffer;
    try {
      html = await readFile(resolve(dist, "index.html"));
    } catch {
      return notBuilt(reply);
    }
    return secure(reply).header("content-type", "text/html; charset=utf-8").header("cache-control", "no-cache").send(html);
  });

  const files = page("The dashboard's scripts and styles (content-hashed names, cached for a year)", "/assets/*", undefined, {
    200: { description: "The file, with `Cache-Control: public, max-age=31536000, immutable`.", content: { ...text("text/javascript"), ...text("text/css") } },
    404: { description: "No such file (paths outside the assets directory are refused).", content: text("text/plain") },
  });
  route(app, files, async ({ params }, _request, reply) => {
    const file = resolveInside(assets, params["*"] ?? "");
    if (file === null) return notFound(reply);
    let size: number;
    try {
      const info = await stat(file);
      if (!info.isFile()) return notFound(reply);
      size = info.size;
    } catch {
      try {
        await stat(dist);
      } catch {
        return notBuilt(reply);
      }
      return notFound(reply);
    }
    return secure(reply)
      .header("content-type", CONTENT_TYPES[extname(file).toLowerCase()] ?? "application/octet-stream")
      .header("content-length", size)
      .header("cache-control", ASSET_CACHE_CONTROL)
      .send(createReadStream(file));
  });
}
