// Finding: a batch of 1,000 × 5,000 characters held the event loop (/healthz took 0.54 s, 1.76 s
// under five such requests). Batches now let the event loop turn every few thousand characters of
// work and stream big replies; here: a chunked batch answers exactly what one-by-one predictions
// answer, the loop does turn during a batch, and oversized batches are refused with the limit
// named. How long /healthz waits is measured by bench/responsiveness.ts, not asserted here.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CascadeAnswer } from "../../src/cascade/cascade.js";
import { SLICE_MS } from "../../src/server/http/event-loop-share.js";
import { predictMany } from "../../src/server/runtime/predict.js";
import type { RequestLogger } from "../../src/server/runtime/request-log-buffer.js";
import { MAX_BATCH_CHARS } from "../../src/server/routes/predictions.js";
import { MAX_TEXT_CHARS } from "../../src/server/routes/tasks.js";
import type { TaskRuntime } from "../../src/server/runtime/task-runtime.js";
import { GOLD, startTestGateway, stopTestGateway, taskBody, type TestGateway } from "../server/helpers.js";

let g: TestGateway;
const TASK = "batches";

beforeAll(async () => {
  g = await startTestGateway(undefined, { rateLimit: false });
  // retrain_every far above this test's traffic: the model must not change between the batch and
  // the one-by-one predictions it is compared with.
  expect((await g.request("POST", "/v1/tasks", { body: taskBody(TASK, { training: { retrain_every: 1_000_000, min_examples: 50, holdout_fraction: 0.3, seed: 1 } }) })).status).toBe(201);
  const imported = await g.request("POST", `/v1/tasks/${TASK}/examples`, { rawBody: JSON.stringify(GOLD.slice(0, 300)), contentType: "application/json" });
  expect(imported.status).toBe(200);
  expect((await g.request("POST", `/v1/tasks/${TASK}/retrain`)).body.promoted).toBe(true);
});
afterAll(async () => {
  await g.app.runtimes.idle();
  await stopTestGateway(g);
});

/** Long inputs made of the task's own texts, so that the specialist's answers differ between them. */
function longInputs(count: number, chars: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    let text = "";
    for (let k = i; text.length < chars; k += 7) text += `${GOLD[k % GOLD.length].text} `;
    return text.slice(0, chars);
  });
}

describe("big batches", () => {
  it("answer, chunked and streamed, exactly what one-by-one predictions answer", async () => {
    // 200 × 3,000 characters: 600,000 characters, many slices of the event loop, and a streamed reply.
    const inputs = longInputs(200, 3000);
    const batch = await g.request("POST", `/v1/tasks/${TASK}/predict`, { key: g.predictKey, body: { inputs, route: "specialist" } });
    expect(batch.status).toBe(200);
    expect(batch.headers.get("content-type")).toContain("application/json");
    const results = batch.body.data as { input: string; label: string; confidence: number; source: string; request_id: string }[];
    expect(results.map((r) => r.input)).toEqual(inputs);
    expect(new Set(results.map((r) => r.label)).size).toBeGreaterThan(1);
    expect(new Set(results.map((r) => r.request_id)).size).toBe(inputs.length);
    for (const [i, input] of inputs.entries()) {
      const one = await g.request("POST", `/v1/tasks/${TASK}/predict`, { key: g.predictKey, body: { input, route: "specialist" } });
      expect(one.status).toBe(200);
      expect({ label: results[i].label, confidence: results[i].confidence, source: results[i].source }).toEqual({ label: one.body.label, confidence: one.body.confidence, source: one.body.source });
    }
  });

  it("let the event loop turn between slices of a batch, and not within a small one", async () => {
    // A runtime whose answers resolve through microtasks only, as a specialist's do: without
    // yields no setImmediate callback could run until the whole batch is answered. Each answer
    // takes `answerMs` of the thread, as featurising a long text does.
    let answered = 0;
    let answerMs = 0;
    const work = () => {
      const until = performance.now() + answerMs;
      while (performance.now() < until);
    };
    const answer = { label: "x", source: "specialist", route: { decision: "specialist", reason: "confident", confidence: 0.9, prediction: "x", audit: false }, version: 1, audited: false, failed: false, cost: 0 } as unknown as CascadeAnswer;
    const rt = { task: { name: "fake", privacy: "keep_inputs" }, cascade: { router: { threshold: null } }, modelVersion: 1, scheduleRetrain: () => {}, handle: async () => (work(), answered++, answer) } as unknown as TaskRuntime;
    const log = { logMany: async () => {} } as unknown as RequestLogger;
    const turnsDuring = async (inputs: string[], ms: number) => {
      answered = 0;
      answerMs = ms;
      const seen: number[] = [];
      let done = false;
      const tick = () => {
        seen.push(answered);
        if (!done) setImmediate(tick);
      };
      setImmediate(tick);
      await predictMany(log, rt, inputs);
      done = true;
      return seen.filter((n) => n > 0 && n < inputs.length).length;
    };
    // 100 answers of 1 ms: the loop turns at least every slice.
    expect(await turnsDuring(Array.from({ length: 100 }, () => "x".repeat(5000)), 1)).toBeGreaterThanOrEqual(100 / (SLICE_MS + 1) - 1);
    // 10 quick answers: in one go, no turn in the middle (the single-request path is not slowed).
    expect(await turnsDuring(Array.from({ length: 10 }, () => "short text"), 0)).toBe(0);
  });

  it("share one slice among concurrent batches: a turn of the loop never runs a slice per batch", async () => {
    const answerMs = 2;
    const answer = { label: "x", source: "specialist", route: { decision: "specialist", reason: "confident", confidence: 0.9, prediction: "x", audit: false }, version: 1, audited: false, failed: false, cost: 0 } as unknown as CascadeAnswer;
    let answered = 0;
    const handle = async () => {
      const until = performance.now() + answerMs;
      while (performance.now() < until);
      answered++;
      return answer;
    };
    const rt = { task: { name: "fake", privacy: "keep_inputs" }, cascade: { router: { threshold: null } }, modelVersion: 1, scheduleRetrain: () => {}, handle } as unknown as TaskRuntime;
    const log = { logMany: async () => {} } as unknown as RequestLogger;
    // The most answers given between two turns of the loop while four batches of 40 × 2 ms run
    // together. Counted, not timed: a loaded machine makes answers slower, so fewer fit a slice.
    let most = 0;
    let before = 0;
    let done = false;
    const tick = () => {
      most = Math.max(most, answered - before);
      before = answered;
      if (!done) setImmediate(tick);
    };
    setImmediate(tick);
    const batch = Array.from({ length: 40 }, () => "long text");
    await Promise.all([1, 2, 3, 4].map(() => predictMany(log, rt, batch)));
    done = true;
    expect(answered).toBe(160);
    // One slice of 5 ms holds at most three 2 ms answers (the last starting just before it ends).
    // The tick and the slice's end are both setImmediate callbacks whose order within a turn can
    // change, so one tick-to-tick gap may hold two slices; a slice per batch would hold twelve.
    expect(most).toBeLessThanOrEqual(2 * Math.ceil(SLICE_MS / answerMs));
  });

  /** POSTs `body` to the predict route as a chunked stream of `chunkBytes`-byte pieces (no Content-Length). */
  async function chunkedPredict(body: string, chunkBytes: number): Promise<{ status: number; body: { data?: { input: string; label: string }[]; error?: { message: string; code: string } } }> {
    const bytes = Buffer.from(body);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += chunkBytes) controller.enqueue(bytes.subarray(i, i + chunkBytes));
        controller.close();
      },
    });
    const res = await fetch(`${g.url}/v1/tasks/${TASK}/predict`, { method: "POST", headers: { authorization: `Bearer ${g.predictKey}`, "content-type": "application/json" }, body: stream, duplex: "half" } as RequestInit);
    return { status: res.status, body: await res.json() };
  }

  it("parse a body as it arrives, cut anywhere, as one sent whole", async () => {
    // Escapes, astral characters and a multi-byte character cut between chunks by the odd chunk size.
    const inputs = [...longInputs(20, 400), 'a "quoted" \\ text 😀 ü', "Überweisung an Jürgen"];
    const body = JSON.stringify({ route: "specialist", inputs });
    const whole = await g.request("POST", `/v1/tasks/${TASK}/predict`, { key: g.predictKey, body: { inputs, route: "specialist" } });
    const cut = await chunkedPredict(body, 7);
    expect(cut.status).toBe(200);
    expect(cut.body.data!.map((r) => r.input)).toEqual(inputs);
    expect(cut.body.data!.map((r) => r.label)).toEqual((whole.body.data as { label: string }[]).map((r) => r.label));
  });

  it("refuse a chunked body over the limit with 413, and bad JSON with 400 naming where", async () => {
    const over = await chunkedPredict(JSON.stringify({ inputs: Array.from({ length: 1000 }, () => "y".repeat(6000)) }), 64 * 1024);
    expect(over.status).toBe(413);
    expect(over.body.error!.message).toContain(`the limit is ${5 * 1024 * 1024} bytes`);
    const bad = await chunkedPredict('{"inputs": ["one" "two"]}', 5);
    expect(bad.status).toBe(400);
    expect(bad.body.error!.message).toBe('the body is not valid JSON: invalid JSON at character 18: expected "," or "]" after an array item, found "\\""');
    const poisoned = await chunkedPredict('{"inputs": ["one"], "__proto__": {"route": "teacher"}}', 5);
    expect(poisoned.status).toBe(400);
    expect(poisoned.body.error!.message).toContain('"__proto__" is not allowed');
    const notObject = await chunkedPredict('["one"]', 5);
    expect(notObject.status).toBe(400);
    expect(notObject.body.error!.message).toContain("must be a JSON object");
  });

  it("give a small body sent whole with its length (read in one step) the same answers as chunked", async () => {
    for (const [body, status, message] of [
      ['{"inputs": ["one" "two"]}', 400, 'the body is not valid JSON: invalid JSON at character 18: expected "," or "]" after an array item, found "\\""'],
      ['{"inputs": ["one"], "__proto__": {"route": "teacher"}}', 400, '"__proto__" is not allowed'],
      ['["one"]', 400, "must be a JSON object"],
    ] as const) {
      const whole = await g.request("POST", `/v1/tasks/${TASK}/predict`, { key: g.predictKey, rawBody: body });
      const cut = await chunkedPredict(body, 5);
      expect([whole.status, cut.status]).toEqual([status, status]);
      expect(whole.body.error.message).toContain(message);
      expect(whole.body.error.message).toBe(cut.body.error!.message);
    }
    const ok = await g.request("POST", `/v1/tasks/${TASK}/predict`, { key: g.predictKey, rawBody: JSON.stringify({ input: "Überweisung an Jürgen 😀", route: "specialist" }) });
    expect(ok.status).toBe(200);
    expect(ok.body.input).toBe("Überweisung an Jürgen 😀");
  });

  it("refuses a text over the per-text limit, naming the input and the limit", async () => {
    const res = await g.request("POST", `/v1/tasks/${TASK}/predict`, { key: g.predictKey, body: { inputs: ["fine", "x".repeat(MAX_TEXT_CHARS + 1)] } });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe(`inputs.1: is longer than ${MAX_TEXT_CHARS} characters`);
  });

  it("refuses a batch over the body limit with 413 naming the limit", async () => {
    // 1,000 × 6,000 characters: 6 MB, over the default 5 MiB.
    const res = await g.request("POST", `/v1/tasks/${TASK}/predict`, { key: g.predictKey, body: { inputs: Array.from({ length: 1000 }, () => "y".repeat(6000)) } });
    expect(res.status).toBe(413);
    expect(res.body.error.message).toContain(`the limit is ${5 * 1024 * 1024} bytes`);
  });

  it("refuses a batch over the total-characters limit with 413 when the body limit is raised", async () => {
    const big = await startTestGateway(undefined, { rateLimit: false, options: { bodyLimit: 20 * 1024 * 1024 } });
    try {
      expect((await big.request("POST", "/v1/tasks", { body: taskBody(TASK) })).status).toBe(201);
      const count = Math.floor(MAX_BATCH_CHARS / 90_000) + 1;
      const res = await big.request("POST", `/v1/tasks/${TASK}/predict`, { key: big.predictKey, body: { inputs: Array.from({ length: count }, () => "z".repeat(90_000)) } });
      expect(res.status).toBe(413);
      expect(res.body.error.code).toBe("batch_too_large");
      expect(res.body.error.message).toContain(`over the limit of ${MAX_BATCH_CHARS}`);
      // Refused before any input was answered: nothing logged.
      expect((await big.request("GET", `/v1/tasks/${TASK}/stats`)).body.requests).toBe(0);
    } finally {
      await stopTestGateway(big);
    }
  });
});
