// The /docs page: one self-contained HTML file that fetches /openapi.json and renders it. No CDN
// and no external scripts (gateways often run without internet access). The inline script and
// style are allowed by their SHA-256 hashes in the Content-Security-Policy, so nothing else can
// run or load; all text from the document is inserted with textContent, never as HTML.
import { createHash } from "node:crypto";

const STYLE = `
body { font: 15px/1.5 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f7f8fa; }
header, main { max-width: 960px; margin: 0 auto; padding: 1rem 1.5rem; }
header { border-bottom: 1px solid #d9dde5; }
h1 { margin: .2rem 0; font-size: 1.6rem; }
h2 { margin-top: 2.2rem; border-bottom: 2px solid #d9dde5; padding-bottom: .2rem; }
nav a { margin-right: 1rem; }
.op { background: #fff; border: 1px solid #d9dde5; border-radius: 6px; padding: .6rem 1rem; margin: .8rem 0; }
.op h3 { margin: 0; font-size: 1rem; font-family: ui-monospace, monospace; display: flex; gap: .6rem; align-items: center; flex-wrap: wrap; }
.method { color: #fff; border-radius: 4px; padding: 0 .5rem; font-size: .85rem; text-transform: uppercase; }
.get { background: #2f6fbf; } .post { background: #2e8b57; } .patch { background: #b8860b; } .delete { background: #b03a2e; }
.role { font-family: system-ui, sans-serif; font-size: .8rem; border: 1px solid #9aa3b5; border-radius: 10px; padding: 0 .5rem; color: #4a5263; }
.summary { font-weight: 600; margin: .3rem 0; }
.desc { color: #4a5263; margin: .3rem 0; }
table { border-collapse: collapse; margin: .4rem 0; width: 100%; font-size: .9rem; }
th, td { text-align: left; border-bottom: 1px solid #e6e9ef; padding: .2rem .5rem; vertical-align: top; }
pre { background: #f0f2f6; border-radius: 4px; padding: .5rem; overflow-x: auto; font-size: .85rem; margin: .3rem 0; }
code { background: #f0f2f6; border-radius: 3px; padding: 0 .2rem; font-size: .9em; }
h4 { margin: .6rem 0 .2rem; font-size: .9rem; }
.error { color: #b03a2e; }
`;

const SCRIPT = `
"use strict";
function el(tag, className, children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const child of children || []) node.append(typeof child === "string" ? document.createTextNode(child) : child);
  return node;
}
// Backticks become <code> elements; everything stays text.
function prose(tag, className, text) {
  return el(tag, className, String(text || "").split("\`").map((part, i) => (i % 2 === 1 ? el("code", "", [part]) : part)));
}
function resolve(doc, node) {
  let seen = 0;
  while (node && typeof node.$ref === "string" && node.$ref.startsWith("#/") && seen++ < 20) {
    const target = node.$ref.slice(2).split("/").reduce((o, k) => (o ? o[k.replace(/~1/g, "/").replace(/~0/g, "~")] : undefined), doc);
    node = target ? { ...target, description: node.description || target.description } : undefined;
  }
  return node || {};
}
function schemaName(schema) {
  if (!schema) return "";
  if (schema.$ref) return schema.$ref.split("/").pop();
  if (schema.type === "array" && schema.items) return schemaName(schema.items) + "[]";
  if (schema.oneOf) return schema.oneOf.map(schemaName).join(" | ");
  return Array.isArray(schema.type) ? schema.type.join(" | ") : schema.type || "";
}
function example(value) {
  return el("pre", "", [typeof value === "string" ? value : JSON.stringify(value, null, 2)]);
}
function parameters(params) {
  const rows = params.map((p) => el("tr", "", [el("td", "", [el("code", "", [p.name])]), el("td", "", [p.in + (p.required ? ", required" : "")]), el("td", "", [schemaName(p.schema)]), prose("td", "", p.description)]));
  return el("table", "", [el("tr", "", ["Parameter", "In", "Type", "Description"].map((h) => el("th", "", [h]))), ...rows]);
}
function bodies(title, content) {
  const parts = [el("h4", "", [title])];
  for (const [type, media] of Object.entries(content || {})) {
    parts.push(el("div", "", [el("code", "", [type]), " ", schemaName(media.schema)]));
    if (media.example !== undefined) parts.push(example(media.example));
  }
  return parts;
}
function operation(doc, method, path, op) {
  const role = op["x-apprentice-role"] || "?";
  const parts = [
    el("h3", "", [el("span", "method " + method, [method]), path, el("span", "role", [role === "open" ? "no key" : "role: " + role])]),
    prose("p", "summary", op.summary),
  ];
  for (const paragraph of String(op.description || "").split("\\n\\n")) if (paragraph) parts.push(prose("p", "desc", paragraph));
  if (op.parameters && op.parameters.length) parts.push(parameters(op.parameters.map((p) => resolve(doc, p))));
  if (op.requestBody) parts.push(...bodies("Request body", resolve(doc, op.requestBody).content));
  const responses = Object.entries(op.responses || {}).map(([status, r]) => {
    const response = resolve(doc, r);
    return el("tr", "", [el("td", "", [status]), prose("td", "", response.description), el("td", "", [Object.values(response.content || {}).map((m) => schemaName(m.schema)).join(", ")])]);
  });
  parts.push(el("h4", "", ["Responses"]), el("table", "", [el("tr", "", ["Status", "Description", "Body"].map((h) => el("th", "", [h]))), ...responses]));
  for (const [status, r] of Object.entries(op.responses || {})) {
    const response = resolve(doc, r);
    if (status.startsWith("2") && response.content) for (const media of Object.values(response.content)) if (media.example !== undefined) parts.push(el("h4", "", ["Example " + status + " reply"]), example(media.example));
  }
  return el("section", "op", parts);
}
function render(doc) {
  document.title = doc.info.title + " " + doc.info.version;
  const header = document.querySelector("header");
  header.replaceChildren(el("h1", "", [doc.info.title + " "]), prose("p", "desc", "Version " + doc.info.version + " · OpenAPI " + doc.openapi + " · the raw document: \`/openapi.json\`"), prose("p", "", doc.info.description));
  for (const scheme of Object.values((doc.components || {}).securitySchemes || {})) header.append(prose("p", "", scheme.description));
  const groups = new Map((doc.tags || []).map((t) => [t.name, { tag: t, ops: [] }]));
  for (const [path, item] of Object.entries(doc.paths || {})) {
    for (const [method, op] of Object.entries(item)) {
      const name = (op.tags || ["Other"])[0];
      if (!groups.has(name)) groups.set(name, { tag: { name }, ops: [] });
      groups.get(name).ops.push(operation(doc, method, path, op));
    }
  }
  const main = document.querySelector("main");
  const nav = el("nav", "", []);
  main.replaceChildren(nav);
  let i = 0;
  for (const { tag, ops } of groups.values()) {
    if (ops.length === 0) continue;
    const id = "tag-" + i++;
    const link = el("a", "", [tag.name]);
    link.href = "#" + id;
    nav.append(link);
    const heading = el("h2", "", [tag.name]);
    heading.id = id;
    main.append(heading);
    if (tag.description) main.append(prose("p", "desc", tag.description));
    main.append(...ops);
  }
}
fetch("openapi.json")
  .then((r) => { if (!r.ok) throw new Error("GET /openapi.json: HTTP " + r.status); return r.json(); })
  .then(render)
  .catch((err) => document.querySelector("main").replaceChildren(el("p", "error", ["Could not load the API description: " + err.message])));
`;

const sha256 = (text: string): string => `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;

export interface DocsPage {
  html: string;
  /** Allows only this page's own script and style, and fetching from the gateway itself. */
  csp: string;
}

export function docsPage(): DocsPage {
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Apprentice gateway API</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>Apprentice gateway API</h1></header>
<main><p>Loading the API description…</p></main>
<script>${SCRIPT}</script>
</body>
</html>
`;
  const csp = [
    "default-src 'none'",
    `script-src ${sha256(SCRIPT)}`,
    `style-src ${sha256(STYLE)}`,
    "connect-src 'self'",
    "img-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
  return { html, csp };
}
