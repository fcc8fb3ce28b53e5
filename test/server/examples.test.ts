// Example import (JSON array, JSONL, CSV bodies; all or nothing or ?partial=true) and paging,
// over real HTTP.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LABELS } from "../cascade/fixtures.js";
import { createFreshTask, GOLD, startTestGateway, stopTestGateway, type TestGateway } from "./helpers.js";

let g: TestGateway;

beforeAll(async () => {
  g = await startTestGateway(undefined, { rateLimit: false });
});
afterAll(async () => {
  await g.app.runtimes.idle();
  await stopTestGateway(g);
});

const newTask = () => createFreshTask(g, "ex");

const csvField = (s: string): string => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
const csv = (rows: { text: string; label: string }[], header = "text,label"): string =>
  [header, ...rows.map((r) => `${csvField(r.text)},${csvField(r.label)}`)].join("\r\n") + "\r\n";
const jsonl = (rows: unknown[]): string => rows.map((r) => JSON.stringify(r)).join("\n") + "\n";

function post(task: string, body: string, contentType: string | null, query = "") {
  return g.request("POST", `/v1/tasks/${task}/examples${query}`, { rawBody: body, contentType });
}

interface PageRow {
  id: number;
  text: string;
  label: string;
  source: string;
  holdout: boolean;
  audited: boolean;
  created_at: number;
}

/** Every stored example of the task matching `query`, walked page by page. */
async function walk(task: string, query: string, limit: number): Promise<{ rows: PageRow[]; pages: number; totals: Set<number> }> {
  const rows: PageRow[] = [];
  const totals = new Set<number>();
  let after: number | null = 0;
  let pages = 0;
  while (after !== null) {
    const res = await g.request("GET", `/v1/tasks/${task}/examples?limit=${limit}&after=${after}${query}`);
    expect(res.status).toBe(200);
    expect(res.body.data.length).toBeLessThanOrEqual(limit);
    rows.push(...res.body.data);
    totals.add(res.body.total);
    after = res.body.next_after;
    pages++;
  }
  return { rows, pages, totals };
}

async function stored(task: string): Promise<number> {
  return (await g.request("GET", `/v1/tasks/${task}/examples?limit=1`)).body.total;
}

describe("POST /v1/tasks/:name/examples", () => {
  it("imports CSV with quoted commas, quotes and newlines exactly as written", async () => {
    const task = await newTask();
    const rows = [
      { text: "rain, then sun, all week", label: "weather" },
      { text: 'the "big" match\nwent to penalties', label: "sports" },
      { text: "plain text", label: LABELS[0] },
      { text: "line one\r\nline two, with a comma", label: "weather" },
    ];
    const res = await post(task, csv(rows), "text/csv; charset=utf-8");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ format: "csv", rows: 4, accepted: 4, rejected: [], added: 4, unchanged_or_updated: 0, examples: 4 });
    const page = await g.request("GET", `/v1/tasks/${task}/examples`);
    expect(page.body.data.map((e: PageRow) => [e.text, e.label, e.source])).toEqual(rows.map((r) => [r.text, r.label, "import"]));
  });

  it("accepts a CSV label column named like the ones readDataset knows", async () => {
    const task = await newTask();
    const res = await post(task, "category,text\nsports,goal in the last minute\n", "text/csv");
    expect(res.status).toBe(200);
    expect(await g.store.examples.get(task, "goal in the last minute")).toMatchObject({ label: "sports" });
  });

  it("imports JSONL under both media types, skipping blank lines", async () => {
    const task = await newTask();
    const first = await post(task, jsonl(GOLD.slice(0, 3)) + "\n\n", "application/x-ndjson");
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ format: "jsonl", rows: 3, accepted: 3, added: 3, examples: 3 });
    const second = await post(task, jsonl(GOLD.slice(2, 5)), "application/jsonl");
    expect(second.body).toMatchObject({ format: "jsonl", rows: 3, accepted: 3, added: 2, unchanged_or_updated: 1, examples: 5 });
    expect(await stored(task)).toBe(5);
  });

  it("imports a JSON array and counts repeated texts as unchanged or updated", async () => {
    const task = await newTask();
    const rows = [...GOLD.slice(0, 4), { text: GOLD[0].text, label: GOLD[1].label }];
    const res = await post(task, JSON.stringify(rows), "application/json");
    expect(res.body).toEqual({ format: "json", rows: 5, accepted: 5, rejected: [], added: 4, unchanged_or_updated: 1, examples: 4 });
    // The later row of the batch wins.
    expect(await g.store.examples.get(task, GOLD[0].text)).toMatchObject({ label: GOLD[1].label });
  });

  it("imports nothing when one CSV line is bad, and names that line", async () => {
    const task = await newTask();
    // Line 3 holds a quoted newline, so the bad record starts on line 5.
    const body = 'text,label\nfine,sports\n"two\nlines",weather\nbad one,nope\nalso fine,weather\n';
    const res = await post(task, body, "text/csv");
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ line: 5, reason: 'label "nope" is not one of the task\'s labels' }]);
    expect(res.body.error.message).toMatch(/^1 bad row, nothing imported: line 5: label "nope"/);
    expect(res.body.error.message).toContain("partial=true");
    expect(await stored(task)).toBe(0);
  });

  it("gives a specific reason for every kind of bad row", async () => {
    const task = await newTask();
    const body = [
      JSON.stringify({ text: "ok", label: "sports" }),
      JSON.stringify({ text: "   ", label: "sports" }),
      JSON.stringify({ text: "x".repeat(100_001), label: "sports" }),
      "{not json",
      JSON.stringify({ label: "sports" }),
      JSON.stringify({ text: "no label" }),
      JSON.stringify({ text: "numeric text label", label: true }),
      JSON.stringify(["an", "array"]),
    ].join("\n");
    const res = await post(task, body, "application/x-ndjson");
    expect(res.status).toBe(400);
    const reasons = res.body.error.details.map((d: { line: number; reason: string }) => [d.line, d.reason]);
    expect(reasons).toEqual([
      [2, "empty text"],
      [3, "text is 100001 characters, over the limit of 100000"],
      [4, expect.stringMatching(/^invalid JSON: /)],
      [5, 'missing text field "text"'],
      [6, 'missing label field "label"'],
      [7, "label is a boolean, expected a string"],
      [8, "expected a JSON object, found an array"],
    ]);
    expect(res.body.error.message).toMatch(/^7 bad rows, nothing imported: line 2: empty text; .*; and 2 more/);
    expect(await stored(task)).toBe(0);
  });

  it("refuses a body with no usable column or no rows, naming what is missing", async () => {
    const task = await newTask();
    const noLabel = await post(task, "text,topic\nhello,sports\n", "text/csv");
    expect(noLabel.status).toBe(400);
    expect(noLabel.body.error.message).toMatch(/has no label column .*"label"/);
    expect(noLabel.body.error.message).not.toContain("labelColumn");
    expect((await post(task, "label\nsports\n", "text/csv")).body.error.message).toContain('no column "text"');
    expect((await post(task, "[]", "application/json")).body.error.message).toContain("is empty");
    expect((await post(task, '{"text":"a","label":"sports"}', "application/json")).body.error.message).toContain("expected a JSON array of objects, found an object");
    expect((await post(task, "[{", "application/json")).body.error.message).toContain("invalid JSON");
  });

  it("numbers JSON array rows by their position in the array", async () => {
    const task = await newTask();
    const res = await post(task, JSON.stringify([GOLD[0], "junk", GOLD[1], { text: "x", label: "nope" }]), "application/json");
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { line: number }) => d.line)).toEqual([2, 4]);
    expect(res.body.error.message).toContain("item 2:");
  });

  it("with partial=true imports the good rows and lists the bad ones", async () => {
    const task = await newTask();
    // The label check runs after parsing; the reply still lists rejected rows in line order.
    const body = csv([GOLD[0], { text: "hi", label: "nope" }, GOLD[1], { text: "", label: "sports" }, GOLD[2]]);
    const res = await post(task, body, "text/csv", "?partial=true");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      format: "csv",
      rows: 5,
      accepted: 3,
      rejected: [
        { line: 3, reason: 'label "nope" is not one of the task\'s labels' },
        { line: 5, reason: "empty text" },
      ],
      added: 3,
      unchanged_or_updated: 0,
      examples: 3,
    });
    expect(await stored(task)).toBe(3);
    // Every row bad: still 200, nothing stored.
    const none = await post(task, csv([{ text: "hi", label: "nope" }]), "text/csv", "?partial=true");
    expect(none.body).toMatchObject({ rows: 1, accepted: 0, added: 0, examples: 3 });
    expect((await post(task, csv([GOLD[3]]), "text/csv", "?partial=maybe")).body.error.message).toContain("partial");
  });

  it("refuses more than 100,000 rows, naming the limit and the count", async () => {
    const task = await newTask();
    const rows = Array.from({ length: 100_001 }, (_, i) => ({ text: `message ${i}`, label: "sports" }));
    const res = await post(task, csv(rows), "text/csv");
    expect(res.status).toBe(413);
    expect(res.body.error.message).toContain("100001");
    expect(res.body.error.message).toContain("100000");
    expect(await stored(task)).toBe(0);
  });

  it("takes bodies over the app's 5 MiB default, up to 64 MiB", async () => {
    const task = await newTask();
    const rows = Array.from({ length: 70 }, (_, i) => ({ text: `${i} ${"long text ".repeat(9_000)}`, label: "weather" }));
    const body = JSON.stringify(rows);
    expect(body.length).toBeGreaterThan(6 * 1024 * 1024);
    const res = await post(task, body, "application/json");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ rows: 70, accepted: 70 });
    const tooBig = await post(task, "x".repeat(64 * 1024 * 1024 + 1), "text/csv");
    expect(tooBig.status).toBe(413);
  });

  it("answers 415 for another media type, a missing one or a non-UTF-8 charset", async () => {
    const task = await newTask();
    const plain = await post(task, csv([GOLD[0]]), "text/plain");
    expect(plain.status).toBe(415);
    expect(plain.body.error.message).toContain("text/csv");
    const missing = await post(task, csv([GOLD[0]]), null);
    expect(missing.status).toBe(415);
    expect(missing.body.error.message).toContain("no Content-Type");
    expect((await post(task, csv([GOLD[0]]), "text/csv; charset=latin1")).status).toBe(415);
    expect(await stored(task)).toBe(0);
  });

  it("keeps JSON parsing on the other routes and the admin role on both routes", async () => {
    const task = await newTask();
    const predicted = await g.request("POST", `/v1/tasks/${task}/predict`, { key: g.predictKey, body: { input: GOLD[0].text } });
    expect(predicted.status).toBe(200);
    expect((await g.request("POST", `/v1/tasks/${task}/examples`, { key: g.predictKey, body: [GOLD[1]] })).status).toBe(403);
    expect((await g.request("GET", `/v1/tasks/${task}/examples`, { key: g.predictKey })).status).toBe(403);
    expect((await post("nobody", csv([GOLD[0]]), "text/csv")).status).toBe(404);
  });
});

describe("GET /v1/tasks/:name/examples", () => {
  let task: string;
  const imported = GOLD.slice(0, 250);
  const taught = GOLD.slice(300, 302);

  beforeAll(async () => {
    task = await newTask();
    // Two teacher examples first: with no specialist yet, the teacher answers and is stored.
    for (const e of taught) {
      expect((await g.request("POST", `/v1/tasks/${task}/predict`, { key: g.predictKey, body: { input: e.text } })).body.source).toBe("teacher");
    }
    expect((await post(task, JSON.stringify(imported), "application/json")).status).toBe(200);
  });

  it("walks every row exactly once, in id order", async () => {
    const { rows, pages, totals } = await walk(task, "", 100);
    expect(pages).toBe(3);
    expect([...totals]).toEqual([252]);
    const ids = rows.map((r) => r.id);
    expect(new Set(ids).size).toBe(252);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(rows.map((r) => r.text)).toEqual([...taught, ...imported].map((e) => e.text));
    expect(Object.keys(rows[0]).sort()).toEqual(["audited", "created_at", "holdout", "id", "key_id", "key_name", "label", "origin", "source", "text", "updated_at"]);
  });

  it("says there is no next page when the last page is exactly full", async () => {
    const { pages, rows } = await walk(task, "", 126);
    expect(pages).toBe(2);
    expect(rows).toHaveLength(252);
  });

  it("defaults to 100 rows a page and allows up to 1000", async () => {
    const first = await g.request("GET", `/v1/tasks/${task}/examples`);
    expect(first.body.data).toHaveLength(100);
    expect(first.body.next_after).toBe(first.body.data[99].id);
    const all = await g.request("GET", `/v1/tasks/${task}/examples?limit=1000`);
    expect(all.body.data).toHaveLength(252);
    expect(all.body.next_after).toBeNull();
  });

  it("filters by source and by label, and counts only the matching rows", async () => {
    const teacher = await walk(task, "&source=teacher", 1);
    expect(teacher.rows.map((r) => r.text)).toEqual(taught.map((e) => e.text));
    expect([...teacher.totals]).toEqual([2]);
    expect(teacher.rows.every((r) => r.source === "teacher")).toBe(true);

    const label = imported[0].label;
    const expected = imported.filter((e) => e.label === label).map((e) => e.text);
    const byLabel = await walk(task, `&source=import&label=${encodeURIComponent(label)}`, 7);
    expect(byLabel.rows.map((r) => r.text)).toEqual(expected);
    expect([...byLabel.totals]).toEqual([expected.length]);

    const none = await g.request("GET", `/v1/tasks/${task}/examples?label=unknown`);
    expect(none.body).toEqual({ data: [], next_after: null, total: 0 });
  });

  it("filters by origin, holdout side and text, and counts only the matching rows", async () => {
    const byOrigin = await walk(task, "&origin=import", 50);
    expect(byOrigin.rows.map((r) => r.text)).toEqual(imported.map((e) => e.text));
    const word = imported[0].text.split(" ")[0].toUpperCase();
    const searched = await walk(task, `&q=${encodeURIComponent(word)}`, 3);
    const expected = [...taught, ...imported].filter((e) => e.text.toLowerCase().includes(word.toLowerCase())).map((e) => e.text);
    expect(searched.rows.map((r) => r.text).sort()).toEqual(expected.sort());
    expect([...searched.totals]).toEqual([expected.length]);
    const held = await walk(task, "&holdout=true", 50);
    const trained = await walk(task, "&holdout=false", 50);
    expect(held.rows.every((r) => r.holdout) && trained.rows.every((r) => !r.holdout)).toBe(true);
    expect(held.rows.length + trained.rows.length).toBe(taught.length + imported.length);
    expect((await g.request("GET", `/v1/tasks/${task}/examples?origin=none`)).body.total).toBe(0);
  });

  it.each([
    ["limit=0", "limit"],
    ["limit=1001", "limit"],
    ["limit=ten", "limit"],
    ["limit=1.5", "limit"],
    ["after=-1", "after"],
    ["after=x", "after"],
    ["source=robot", "source"],
    ["origin=robot", "origin"],
    ["holdout=yes", "holdout"],
    ["label=", "label"],
    ["limit=1&limit=2", "limit"],
    ["lmit=5", "lmit"],
  ])("refuses %s with a 400 naming %s", async (query, param) => {
    const res = await g.request("GET", `/v1/tasks/${task}/examples?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain(param);
  });

  it("answers 404 for an unknown task", async () => {
    expect((await g.request("GET", "/v1/tasks/nobody/examples")).status).toBe(404);
  });
});
