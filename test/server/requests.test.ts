// The request-log routes (the dashboard's Requests page) through HTTP: pages newest first with
// their filters, one request with the teacher's answer and the example it became, and the refusals.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GOLD, startTestGateway, stopTestGateway, taskBody, type TestGateway } from "./helpers.js";

let g: TestGateway;
const TASK = "logged";
/** Answered by the specialist (trained on GOLD[0..300)), through the predict key. */
const SPECIALIST_TEXTS = GOLD.slice(0, 6).map((e) => e.text);
/** Forced to the teacher with the admin key. */
const TEACHER_TEXTS = GOLD.slice(300, 303).map((e) => e.text);

type Row = { id: string; source: string; label: string; key_name: string | null; input: string | null; threshold: number | null; created_at: number };

async function page(query = "", task = TASK): Promise<{ status: number; body: { data: Row[]; next_before: string | null; error?: { message: string } } }> {
  return g.request("GET", `/v1/tasks/${task}/requests${query}`);
}

beforeAll(async () => {
  g = await startTestGateway();
  for (const [name, privacy] of [[TASK, undefined], ["hashed", "hash_inputs"]] as const) {
    expect((await g.request("POST", "/v1/tasks", { body: taskBody(name, privacy === undefined ? {} : { privacy }) })).status).toBe(201);
    expect((await g.request("POST", `/v1/tasks/${name}/examples`, { body: GOLD.slice(0, 300) })).status).toBe(200);
  }
  await g.app.runtimes.idle();
  expect((await g.request("POST", `/v1/tasks/${TASK}/predict`, { key: g.predictKey, body: { inputs: SPECIALIST_TEXTS, route: "specialist" } })).status).toBe(200);
  expect((await g.request("POST", `/v1/tasks/${TASK}/predict`, { body: { inputs: TEACHER_TEXTS, route: "teacher" } })).status).toBe(200);
  expect((await g.request("POST", "/v1/tasks/hashed/predict", { key: g.predictKey, body: { input: GOLD[0].text } })).status).toBe(200);
});
afterAll(async () => {
  await stopTestGateway(g);
});

describe("GET /v1/tasks/:name/requests", () => {
  it("lists the task's requests newest first with the key, the input and the threshold then", async () => {
    const res = await page();
    expect(res.status).toBe(200);
    expect(res.body.data).toHaveLength(SPECIALIST_TEXTS.length + TEACHER_TEXTS.length);
    const times = res.body.data.map((r) => r.created_at);
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    const specialist = res.body.data.filter((r) => r.source === "specialist");
    expect(specialist.map((r) => r.input).sort()).toEqual([...SPECIALIST_TEXTS].sort());
    for (const r of specialist) expect(r).toMatchObject({ key_name: "test predict", threshold: expect.any(Number) });
    expect(res.body.data.filter((r) => r.source === "teacher").map((r) => r.key_name)).toEqual(["test admin", "test admin", "test admin"]);
    expect(res.body.next_before).toBeNull();
    // A task that keeps hashes only: no input.
    expect((await page("", "hashed")).body.data).toMatchObject([{ input: null, key_name: "test predict" }]);
  });

  it("filters by source, label, time and text, and pages with next_before", async () => {
    expect((await page("?source=teacher")).body.data.map((r) => r.source)).toEqual(["teacher", "teacher", "teacher"]);
    const label = GOLD[0].label;
    const byLabel = (await page(`?label=${encodeURIComponent(label)}`)).body.data;
    expect(byLabel.length).toBeGreaterThan(0);
    expect(byLabel.every((r) => r.label === label)).toBe(true);
    const word = SPECIALIST_TEXTS[0].split(" ").find((w) => w.length > 3)!;
    const found = (await page(`?q=${encodeURIComponent(word.toUpperCase())}`)).body.data;
    expect(found.map((r) => r.input)).toContain(SPECIALIST_TEXTS[0]);
    expect(found.every((r) => r.input!.toLowerCase().includes(word.toLowerCase()))).toBe(true);
    expect((await page(`?until=${Date.now() - 3_600_000}`)).body.data).toEqual([]);
    expect((await page("?since=2000-01-01")).body.data).toHaveLength(9);

    const all = (await page()).body.data.map((r) => r.id);
    const seen: string[] = [];
    let query = "?limit=4";
    for (;;) {
      const res = await page(query);
      seen.push(...res.body.data.map((r) => r.id));
      if (res.body.next_before === null) break;
      query = `?limit=4&before=${encodeURIComponent(res.body.next_before)}`;
    }
    expect(seen).toEqual(all);
  });

  it("refuses bad parameters with a 400 naming them, an unknown task with 404, predict keys with 403", async () => {
    const cases: [string, RegExp][] = [
      ["?limit=0", /^query parameter limit: must be an integer from 1 to 200/],
      ["?limit=201", /^query parameter limit: must be/],
      ["?source=robot", /^query parameter source: must be one of any, specialist, teacher, none/],
      ["?before=yesterday", /^query parameter before: must be the "next_before" of a previous page/],
      ["?since=soon", /^query parameter since: must be epoch milliseconds or an ISO 8601 date/],
      ["?colour=red", /unknown query parameter "colour"/],
      ["?label=a&label=b", /^query parameter label: must be given at most once/],
    ];
    for (const [query, message] of cases) {
      const res = await page(query);
      expect(res.status, query).toBe(400);
      expect(res.body.error!.message, query).toMatch(message);
    }
    const hashed = await page("?q=card", "hashed");
    expect(hashed.status).toBe(400);
    expect(hashed.body.error!.message).toMatch(/^q: .*hash_inputs/);
    expect((await page("", "nope")).status).toBe(404);
    expect((await g.request("GET", `/v1/tasks/${TASK}/requests`, { key: g.predictKey })).status).toBe(403);
  });
});

describe("GET /v1/tasks/:name/requests/:id", () => {
  it("shows one request with what the teacher said, and the example its text became after feedback", async () => {
    const [teacherRow] = (await page("?source=teacher&limit=1")).body.data;
    const teacherDetail = await g.request("GET", `/v1/tasks/${TASK}/requests/${teacherRow.id}`);
    expect(teacherDetail.status).toBe(200);
    expect(teacherDetail.body).toMatchObject({ id: teacherRow.id, source: "teacher", teacher_asked: true, teacher_label: teacherRow.label, audit_agreed: null });
    // The teacher's answer is an example already.
    expect(teacherDetail.body.example).toMatchObject({ label: teacherRow.label, source: "teacher" });

    const [row] = (await page("?source=specialist&limit=1")).body.data;
    const before = await g.request("GET", `/v1/tasks/${TASK}/requests/${row.id}`);
    expect(before.body).toMatchObject({ source: "specialist", teacher_asked: false, audit_agreed: null, threshold: row.threshold });
    const other = taskBody().labels as { name: string }[];
    const corrected = other.map((l) => l.name).find((l) => l !== row.label)!;
    expect((await g.request("POST", `/v1/tasks/${TASK}/feedback`, { body: { request_id: row.id, label: corrected } })).status).toBe(200);
    const after = await g.request("GET", `/v1/tasks/${TASK}/requests/${row.id}`);
    expect(after.body.example).toMatchObject({ label: corrected, source: "feedback", origin: "feedback" });
  });

  it("answers 404 for an unknown id or another task's request, 403 for predict keys", async () => {
    expect((await g.request("GET", `/v1/tasks/${TASK}/requests/no-such-id`)).status).toBe(404);
    const [hashedRow] = (await page("", "hashed")).body.data;
    expect((await g.request("GET", `/v1/tasks/${TASK}/requests/${hashedRow.id}`)).status).toBe(404);
    expect((await g.request("GET", `/v1/tasks/hashed/requests/${hashedRow.id}`)).body).toMatchObject({ input: null, example: null });
    expect((await g.request("GET", `/v1/tasks/nope/requests/${hashedRow.id}`)).status).toBe(404);
    expect((await g.request("GET", `/v1/tasks/${TASK}/requests/${hashedRow.id}`, { key: g.predictKey })).status).toBe(403);
  });
});
