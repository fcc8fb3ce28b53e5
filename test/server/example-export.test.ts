// GET /v1/tasks/:name/examples/export: CSV that is safe to open in a spreadsheet and JSONL of the
// API's example objects, filtered like the example pages, streamed across many store reads.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCsv } from "../../src/data/csv.js";
import { CSV_COLUMNS, EXPORT_CHUNK } from "../../src/server/routes/example-export.js";
import { LABELS } from "../cascade/fixtures.js";
import { startTestGateway, stopTestGateway, taskBody, type TestGateway } from "./helpers.js";

let g: TestGateway;
const HOSTILE = ['=HYPERLINK("http://evil.example","open")', "+1+1", "-2+3", "@SUM(A1:A2)", "\tleading tab", "\r=after CR", 'quote " and, comma', "line\nbreak", "<b>markup</b>"];

beforeAll(async () => {
  g = await startTestGateway(undefined, { rateLimit: false });
  expect((await g.request("POST", "/v1/tasks", { body: taskBody("export") })).status).toBe(201);
  const rows = HOSTILE.map((text, i) => ({ text, label: LABELS[i % LABELS.length] }));
  expect((await g.request("POST", "/v1/tasks/export/examples", { body: rows })).status).toBe(200);
});
afterAll(async () => {
  await stopTestGateway(g);
});

const download = (query: string, key?: string) =>
  fetch(`${g.url}/v1/tasks/export/examples/export${query}`, { headers: { authorization: `Bearer ${key ?? g.adminKey}` } });

describe("GET /v1/tasks/:name/examples/export", () => {
  it("writes CSV whose formula-looking cells start with a single quote, as an attachment", async () => {
    const res = await download("");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="export-examples.csv"');
    const table = parseCsv(await res.text());
    expect(table.errors).toEqual([]);
    expect(table.header).toEqual([...CSV_COLUMNS]);
    const texts = table.records.map((r) => r.fields[1]);
    expect(texts).toEqual(HOSTILE.map((t) => (/^[=+\-@\t\r]/.test(t) ? `'${t}` : t)));
    const first = table.records[0].fields;
    expect(first[2]).toBe(LABELS[0]);
    expect(first.slice(3, 7)).toEqual(["import", "import", expect.stringMatching(/^(true|false)$/), "false"]);
    expect(first[7]).toBe("test admin");
    expect(new Date(first[8]).toISOString()).toBe(first[8]);
  });

  it("writes JSONL of the API's example objects, filtered like the pages", async () => {
    const res = await download(`?format=jsonl&label=${LABELS[1]}`);
    expect(res.headers.get("content-type")).toBe("application/x-ndjson; charset=utf-8");
    const lines = (await res.text()).split("\n");
    expect(lines.pop()).toBe("");
    const exported = lines.map((l) => JSON.parse(l) as { id: number; label: string });
    const page = await g.request("GET", `/v1/tasks/export/examples?label=${LABELS[1]}`);
    expect(exported).toEqual(page.body.data);
    expect(exported.length).toBeGreaterThan(0);
    const searched = await download("?format=jsonl&q=markup");
    expect((await searched.text()).trim().split("\n").map((l) => (JSON.parse(l) as { text: string }).text)).toEqual(["<b>markup</b>"]);
  });

  it("streams a task larger than one store read, every row once, in id order", async () => {
    expect((await g.request("POST", "/v1/tasks", { body: taskBody("big") })).status).toBe(201);
    const rows = Array.from({ length: EXPORT_CHUNK * 2 + 7 }, (_, i) => ({ text: `message number ${i}`, label: LABELS[i % LABELS.length] }));
    expect((await g.request("POST", "/v1/tasks/big/examples", { body: rows })).status).toBe(200);
    const res = await fetch(`${g.url}/v1/tasks/big/examples/export?format=csv`, { headers: { authorization: `Bearer ${g.adminKey}` } });
    const table = parseCsv(await res.text());
    expect(table.records.map((r) => r.fields[1])).toEqual(rows.map((r) => r.text));
    const ids = table.records.map((r) => Number(r.fields[0]));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });

  it("refuses predict keys, a bad format or filter, and an unknown task", async () => {
    expect((await download("", g.predictKey)).status).toBe(403);
    for (const query of ["?format=xlsx", "?origin=robot", "?holdout=maybe", "?source=x", "?page=2"]) {
      const res = await download(query);
      expect(res.status, query).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/format|origin|holdout|source|unknown query parameter/);
    }
    expect((await g.request("GET", "/v1/tasks/missing/examples/export")).status).toBe(404);
  });
});
