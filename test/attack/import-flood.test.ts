// Finding: one import killed the gateway. A 60 MiB CSV of 15 M tiny rows (under the 64 MiB body
// limit) was parsed whole before the 100,000-row cap was checked, and ran the process out of heap.
// Now the caps are enforced while the body streams in: a 413 naming the cap, nothing stored, and
// the heap stays bounded. The bodies are generated as streams, never held as one string.
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFreshTask, startTestGateway, stopTestGateway, type TestGateway } from "../server/helpers.js";

let g: TestGateway;

beforeAll(async () => {
  g = await startTestGateway(undefined, { rateLimit: false });
});
afterAll(async () => {
  await g.app.runtimes.idle();
  await stopTestGateway(g);
});

const newTask = () => createFreshTask(g, "flood");

async function storedExamples(task: string): Promise<number> {
  const res = await g.request("GET", `/v1/tasks/${task}/examples?limit=1`);
  expect(res.status).toBe(200);
  return res.body.total as number;
}

interface StreamedPost {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  /** Bytes written before the reply arrived (the upload stops there). */
  sent: number;
  /** The highest heapUsed seen while the request ran, minus heapUsed before it, in MB. */
  heapGrowthMb: number;
}

/**
 * POSTs `head`, then `chunk` repeated `repeats` times, as a chunked body (or with `declaredLength`
 * as its Content-Length), writing only as fast as the socket drains and stopping at the reply.
 */
function streamedPost(path: string, contentType: string, head: string, chunk: Buffer, repeats: number, declaredLength?: number): Promise<StreamedPost> {
  const url = new URL(g.url + path);
  const baseline = process.memoryUsage().heapUsed;
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }, 5);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const headers: Record<string, string | number> = { authorization: `Bearer ${g.adminKey}`, "content-type": contentType };
    if (declaredLength !== undefined) headers["content-length"] = declaredLength;
    const req = httpRequest({ hostname: url.hostname, port: url.port, path: url.pathname + url.search, method: "POST", headers }, (res) => {
      answered = true;
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => {
        clearInterval(sampler);
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(text), sent, heapGrowthMb: (peak - baseline) / 1e6 });
      });
    });
    // The server closes the connection after refusing: a write after that fails, which is expected.
    req.on("error", (err) => {
      if (!answered) {
        clearInterval(sampler);
        reject(err);
      }
    });
    let left = repeats;
    const write = () => {
      while (!answered && left > 0) {
        left--;
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once("drain", write);
      }
      if (!answered && declaredLength === undefined) req.end();
    };
    sent += Buffer.byteLength(head);
    req.write(head);
    write();
  });
}

describe("import flood", () => {
  it("refuses a 60 MiB CSV of 15 M tiny rows with 413 naming the row cap, stores nothing and keeps the heap bounded", async () => {
    const task = await newTask();
    // 15 M rows of "a,x\n" (4 bytes each): 60 MB, sent 16,384 rows at a time.
    const rows = Buffer.from("a,x\n".repeat(16_384));
    const res = await streamedPost(`/v1/tasks/${task}/examples`, "text/csv", "text,label\n", rows, Math.ceil(15_000_000 / 16_384));
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe("too_many_rows");
    expect(res.body.error.message).toContain("100000 rows");
    // Refused early: the server stopped reading long before the 60 MB were sent.
    expect(res.sent).toBeLessThan(30_000_000);
    expect(res.heapGrowthMb).toBeLessThan(200);
    expect(await storedExamples(task)).toBe(0);
    expect((await g.request("GET", "/healthz", { key: null })).status).toBe(200);
  });

  it("refuses the same flood as JSONL and as a JSON array of empty objects", async () => {
    const task = await newTask();
    const jsonl = await streamedPost(`/v1/tasks/${task}/examples`, "application/x-ndjson", "", Buffer.from("{}\n".repeat(16_384)), 1000);
    expect(jsonl.status).toBe(413);
    expect(jsonl.body.error.code).toBe("too_many_rows");
    const array = await streamedPost(`/v1/tasks/${task}/examples`, "application/json", "[{}", Buffer.from(",{}".repeat(16_384)), 1000);
    expect(array.status).toBe(413);
    expect(array.body.error.code).toBe("too_many_rows");
    expect(Math.max(jsonl.heapGrowthMb, array.heapGrowthMb)).toBeLessThan(200);
    expect(await storedExamples(task)).toBe(0);
  });

  it("refuses a chunked body over 64 MiB with 413 naming the byte cap, with fewer rows than the row cap", async () => {
    const task = await newTask();
    // 1,400 rows of 50,000 characters: 70 MB in rows the row cap would allow.
    const row = Buffer.from(`${"x".repeat(50_000)},weather\n`);
    const res = await streamedPost(`/v1/tasks/${task}/examples`, "text/csv", "text,label\n", row, 1400);
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe("body_too_large");
    expect(res.body.error.message).toContain("64 MiB");
    expect(res.heapGrowthMb).toBeLessThan(200);
    expect(await storedExamples(task)).toBe(0);
  });

  it("refuses a declared Content-Length over 64 MiB before reading the body", async () => {
    const task = await newTask();
    const res = await streamedPost(`/v1/tasks/${task}/examples`, "text/csv", "text,label\n", Buffer.from("a,weather\n"), 1, 70_000_000);
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe("body_too_large");
    expect(res.body.error.message).toContain("70000000");
    expect(await storedExamples(task)).toBe(0);
  });

  it("still imports a body cut into chunks anywhere, with line numbers for the bad rows", async () => {
    const task = await newTask();
    // Chunks of 7 bytes split rows, quoted fields and multi-byte characters.
    const body = 'text,label\n"rain ☔, then\nsun",weather\n"bad"x,weather\nthe match,sports\n';
    const bytes = Buffer.from(body);
    const chunks = Array.from({ length: Math.ceil(bytes.length / 7) }, (_, i) => bytes.subarray(i * 7, i * 7 + 7));
    const res = await new Promise<{ status: number; body: unknown }>((resolve, reject) => {
      const url = new URL(`${g.url}/v1/tasks/${task}/examples?partial=true`);
      const req = httpRequest({ hostname: url.hostname, port: url.port, path: url.pathname + url.search, method: "POST", headers: { authorization: `Bearer ${g.adminKey}`, "content-type": "text/csv" } }, (r) => {
        let text = "";
        r.on("data", (d: Buffer) => (text += d.toString()));
        r.on("end", () => resolve({ status: r.statusCode ?? 0, body: JSON.parse(text) }));
      });
      req.on("error", reject);
      for (const c of chunks) req.write(c);
      req.end();
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ rows: 3, accepted: 2, rejected: [{ line: 4, reason: expect.stringContaining("after the closing quote") }] });
    const stored = await g.request("GET", `/v1/tasks/${task}/examples?label=weather`);
    expect(stored.body.data.map((r: { text: string }) => r.text)).toEqual(["rain ☔, then\nsun"]);
  });
});
