import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { OpenAITeacher, TeacherConfigError, type OpenAITeacherOptions } from "../../src/teacher/openai-teacher.js";
import type { TaskInput } from "../../src/task/definition.js";
import { FakeOpenAIServer, reply } from "./fake-openai-server.js";
import { FAKE_KEY, recordingSleep, supportTask } from "./helpers.js";

let server: FakeOpenAIServer;

beforeAll(async () => {
  server = await FakeOpenAIServer.start();
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  server.requests.length = 0;
  server.maxInFlight = 0;
  server.fallback = reply.json("unused");
});

function teacher(settings: Partial<TaskInput["teacher"]> = {}, options: OpenAITeacherOptions = {}) {
  const sleeper = recordingSleep();
  const t = new OpenAITeacher(supportTask(settings), {
    apiKey: FAKE_KEY,
    baseURL: server.baseURL,
    sleep: sleeper.sleep,
    random: () => 0.5,
    ...options,
  });
  return { t, delays: sleeper.delays };
}

describe("OpenAITeacher: answers", () => {
  it("returns the label with usage, cost and one attempt, and sends the prompt and schema", async () => {
    server.enqueue(reply.json("billing", { prompt_tokens: 1000, completion_tokens: 10 }));
    const { t } = teacher();
    const a = await t.classify("I was charged twice");
    expect(a).toMatchObject({ label: "billing", status: "ok", attempts: 1, usage: { input_tokens: 1000, output_tokens: 10 } });
    expect(a.raw).toBe('{"label":"billing"}');
    expect(a.cost).toBeCloseTo((1000 * 1 + 10 * 2) / 1e6, 12);
    expect(a.latency_ms).toBeGreaterThanOrEqual(0);
    expect(t.name).toBe("openai:fake-model");

    const [req] = server.requests;
    expect(req.url).toBe("/v1/chat/completions");
    expect(req.headers.authorization).toBe(`Bearer ${FAKE_KEY}`);
    expect(req.body.model).toBe("fake-model");
    expect(req.body.temperature).toBe(0);
    expect(req.body.response_format).toEqual({
      type: "json_schema",
      json_schema: {
        name: "label",
        strict: true,
        schema: {
          type: "object",
          properties: { label: { type: "string", enum: ["billing", "bug", "other", "none_of_these"] } },
          required: ["label"],
          additionalProperties: false,
        },
      },
    });
    const system = req.body.messages[0];
    expect(system.role).toBe("system");
    expect(system.content).toContain("Classify the customer support message.");
    expect(system.content).toContain('"billing": Charges, refunds and invoices.');
    expect(system.content).toContain('"other"');
    expect(req.body.messages.at(-1)).toEqual({ role: "user", content: "I was charged twice" });
  });

  it("sends few-shot examples as user/assistant turns before the text", async () => {
    server.enqueue(reply.json("bug"));
    const { t } = teacher();
    await t.classify("the app crashes", { fewShot: [{ text: "refund please", label: "billing" }] });
    expect(server.requests[0].body.messages.slice(1)).toEqual([
      { role: "user", content: "refund please" },
      { role: "assistant", content: '{"label":"billing"}' },
      { role: "user", content: "the app crashes" },
    ]);
  });

  it("leaves response_format out when structured output is off", async () => {
    server.enqueue(reply.json("bug"));
    const { t } = teacher({ structured_output: false, temperature: 0.3 });
    await t.classify("x");
    expect(server.requests[0].body.response_format).toBeUndefined();
    expect(server.requests[0].body.temperature).toBe(0.3);
  });

  it("offers none of these and takes it as an answer, with and without structured output", async () => {
    server.enqueue(reply.json("none_of_these"), reply.text("none_of_these"));
    const structured = teacher().t;
    expect(await structured.classify("what's the weather in Paris")).toMatchObject({ label: "none_of_these", status: "ok" });
    expect(server.requests[0].body.messages[0].content).toContain('- "none_of_these": the message fits none of the labels above.');
    expect(server.requests[0].body.response_format.json_schema.schema.properties.label.enum).toContain("none_of_these");
    const plain = teacher({ structured_output: false }).t;
    expect(await plain.classify("who won the match")).toMatchObject({ label: "none_of_these", status: "ok" });
    expect(server.requests[1].body.response_format).toBeUndefined();
  });

  it("accepts a bare label and JSON wrapped in a fence and prose", async () => {
    server.enqueue(reply.text("Bug."), reply.text('Sure! Here it is:\n```json\n{"label": "billing"}\n```'));
    const { t } = teacher();
    expect(await t.classify("a")).toMatchObject({ label: "bug", status: "ok", raw: "Bug." });
    expect(await t.classify("b")).toMatchObject({ label: "billing", status: "ok" });
  });

  it("records a label outside the set as invalid, with the raw content", async () => {
    server.enqueue(reply.json("refund"));
    const { t } = teacher();
    const a = await t.classify("money back");
    expect(a).toMatchObject({ label: null, status: "invalid", raw: '{"label":"refund"}', attempts: 1 });
    expect(a.reason).toContain('"refund" is not one of the 4 answers offered');
    expect(a.cost).toBeGreaterThan(0); // the tokens were spent all the same
  });

  it("records malformed content as invalid and truncates raw to 500 chars", async () => {
    server.enqueue(reply.text('{"label": "billing"'), reply.text("x".repeat(2000)));
    const { t } = teacher();
    const a = await t.classify("a");
    expect(a).toMatchObject({ label: null, status: "invalid", raw: '{"label": "billing"' });
    const b = await t.classify("b");
    expect(b.status).toBe("invalid");
    expect(b.raw).toHaveLength(500);
  });

  it("treats empty content and refusals as invalid", async () => {
    server.enqueue({ kind: "content", content: null, refusal: "I can't help with that." }, { kind: "content", content: "", finishReason: "length" });
    const { t } = teacher();
    expect(await t.classify("a")).toMatchObject({ status: "invalid", reason: "model refused: I can't help with that." });
    expect(await t.classify("b")).toMatchObject({ status: "invalid", reason: "empty answer (finish_reason: length)" });
  });

  it("reports an empty choice list as an error", async () => {
    server.enqueue(reply.emptyChoices());
    const { t } = teacher();
    expect(await t.classify("a")).toMatchObject({ label: null, status: "error", reason: "empty choice list", attempts: 1 });
  });
});

describe("OpenAITeacher: retries", () => {
  it("honours Retry-After in seconds", async () => {
    server.enqueue(reply.rateLimited({ "retry-after": "2" }), reply.json("bug"));
    const { t, delays } = teacher();
    const a = await t.classify("a");
    expect(a).toMatchObject({ status: "ok", label: "bug", attempts: 2 });
    expect(delays).toEqual([2000]);
  });

  it("honours retry-after-ms, and Retry-After as an HTTP date", async () => {
    const now = Date.UTC(2030, 0, 1, 12, 0, 0);
    server.enqueue(
      reply.rateLimited({ "retry-after-ms": "1500" }),
      reply.rateLimited({ "retry-after": new Date(now + 5000).toUTCString() }),
      reply.json("bug"),
    );
    const { t, delays } = teacher({}, { now: () => now });
    expect(await t.classify("a")).toMatchObject({ status: "ok", attempts: 3 });
    expect(delays).toEqual([1500, 5000]);
  });

  it("caps a very long Retry-After at 30 s", async () => {
    server.enqueue(reply.rateLimited({ "retry-after": "3600" }), reply.json("bug"));
    const { t, delays } = teacher();
    await t.classify("a");
    expect(delays).toEqual([30_000]);
  });

  it("backs off exponentially with full jitter when the server gives no Retry-After", async () => {
    server.enqueue(reply.rateLimited(), reply.status(503), reply.json("bug"));
    const { t, delays } = teacher(); // random() = 0.5
    expect(await t.classify("a")).toMatchObject({ status: "ok", attempts: 3 });
    expect(delays).toEqual([125, 250]);
  });

  it("retries a 500 and succeeds on the second attempt", async () => {
    server.enqueue(reply.status(500, "boom"), reply.json("other"));
    const { t } = teacher();
    expect(await t.classify("a")).toMatchObject({ status: "ok", label: "other", attempts: 2 });
  });

  it("gives up after max_retries with a clear reason", async () => {
    server.fallback = reply.status(503, "overloaded");
    const { t, delays } = teacher({ max_retries: 2 });
    const a = await t.classify("a");
    expect(a).toMatchObject({ label: null, status: "error", attempts: 3 });
    expect(a.reason).toBe("server error (HTTP 503): overloaded (after 3 attempts)");
    expect(delays).toHaveLength(2);
    expect(server.requests).toHaveLength(3);
  });

  it("does not retry other 4xx", async () => {
    server.enqueue(reply.status(404, "The model `fake-model` does not exist"));
    const { t, delays } = teacher();
    const a = await t.classify("a");
    expect(a).toMatchObject({ status: "error", attempts: 1, reason: "request rejected (HTTP 404): The model `fake-model` does not exist" });
    expect(delays).toEqual([]);
  });

  it("retries after a connection reset", async () => {
    server.enqueue(reply.reset(), reply.json("bug"));
    const { t } = teacher();
    expect(await t.classify("a")).toMatchObject({ status: "ok", attempts: 2 });
  });

  it("reports repeated connection resets as a connection error", async () => {
    server.fallback = reply.reset();
    const { t } = teacher({ max_retries: 1 });
    const a = await t.classify("a");
    expect(a).toMatchObject({ status: "error", attempts: 2 });
    expect(a.reason).toMatch(/^connection failed: .+ \(after 2 attempts\)$/);
  });

  it("times out a request that hangs, and retries it", async () => {
    server.enqueue(reply.hang(), reply.hang());
    const { t } = teacher({ timeout_ms: 150, max_retries: 1 });
    const a = await t.classify("a");
    expect(a).toMatchObject({ status: "error", attempts: 2, reason: "request timed out after 150 ms (after 2 attempts)" });
  });

  it("drops response_format once the server rejects it, for this and later calls", async () => {
    server.enqueue(
      reply.status(400, "Unrecognized request argument supplied: response_format", undefined, "response_format"),
      reply.text("bug"),
      reply.json("billing"),
    );
    const { t, delays } = teacher({ max_retries: 0 });
    expect(await t.classify("a")).toMatchObject({ status: "ok", label: "bug", attempts: 2 });
    expect(await t.classify("b")).toMatchObject({ status: "ok", label: "billing", attempts: 1 });
    expect(server.requests.map((r) => r.body.response_format === undefined)).toEqual([false, true, true]);
    expect(delays).toEqual([]);
  });

  it("stops when the caller aborts during backoff", async () => {
    const controller = new AbortController();
    server.enqueue(reply.status(500));
    const t = new OpenAITeacher(supportTask(), {
      apiKey: FAKE_KEY,
      baseURL: server.baseURL,
      sleep: async () => {
        controller.abort();
        throw new Error("aborted");
      },
    });
    expect(await t.classify("a", { signal: controller.signal })).toMatchObject({ status: "error", reason: "aborted by caller", attempts: 1 });
  });
});

describe("OpenAITeacher: the API key", () => {
  const fragments = Array.from({ length: FAKE_KEY.length - 11 }, (_, i) => FAKE_KEY.slice(i, i + 12));

  it("never appears in a reason, even when the server echoes it", async () => {
    server.enqueue(
      (req) => reply.status(401, `Incorrect API key provided: ${FAKE_KEY}. Header was ${req.headers.authorization}`),
      reply.status(403, `key ${FAKE_KEY.slice(0, 20)}… is not allowed`),
      (req) => ({ kind: "content", content: null, refusal: `I saw ${req.headers.authorization}` }),
    );
    server.fallback = reply.status(500, `internal error for key=${FAKE_KEY}`);
    const { t } = teacher({ max_retries: 1 });
    const answers = [await t.classify("a"), await t.classify("b"), await t.classify("c"), await t.classify("d")];
    expect(answers.map((a) => a.status)).toEqual(["error", "error", "invalid", "error"]);
    for (const a of answers) {
      expect(a.reason).toBeDefined();
      expect(a.reason).toContain("[redacted]");
      for (const f of fragments) expect(a.reason).not.toContain(f);
    }
    expect(answers[0].reason).toMatch(/^request rejected \(HTTP 401\): Incorrect API key provided: \[redacted\]/);
  });

  it("is read from the environment variable the task names", async () => {
    server.enqueue(reply.json("bug"));
    const t = new OpenAITeacher(supportTask({ api_key_env: "MY_TEACHER_KEY" }), {
      baseURL: server.baseURL,
      env: { MY_TEACHER_KEY: "sk-from-env-0123456789" },
    });
    await t.classify("a");
    expect(server.requests[0].headers.authorization).toBe("Bearer sk-from-env-0123456789");
  });

  it("takes the base URL from the task, then OPENAI_BASE_URL", async () => {
    server.enqueue(reply.json("bug"), reply.json("bug"));
    await new OpenAITeacher(supportTask({ base_url: server.baseURL }), { apiKey: FAKE_KEY, env: {} }).classify("a");
    await new OpenAITeacher(supportTask(), { apiKey: FAKE_KEY, env: { OPENAI_BASE_URL: server.baseURL } }).classify("b");
    expect(server.requests).toHaveLength(2);
  });

  it("is required at construction, with the variable's name in the message", () => {
    expect(() => new OpenAITeacher(supportTask({ api_key_env: "MISSING_KEY" }), { env: {} })).toThrow(TeacherConfigError);
    expect(() => new OpenAITeacher(supportTask({ api_key_env: "MISSING_KEY" }), { env: {} })).toThrow(/MISSING_KEY/);
  });
});

describe("OpenAITeacher: concurrency", () => {
  it("never has more requests in flight than the concurrency setting", async () => {
    server.fallback = reply.hold(reply.json("bug"));
    const { t } = teacher({ concurrency: 3 });
    const calls = Array.from({ length: 10 }, (_, i) => t.classify(`text ${i}`));
    // Release the held requests batch by batch; each time the limit must be reached, never passed.
    let answered = 0;
    while (answered < 10) {
      const expected = Math.min(3, 10 - answered);
      await server.waitForInFlight(expected);
      await new Promise((r) => setTimeout(r, 20)); // room for an over-limit request to show up
      expect(server.inFlight).toBe(expected);
      server.release();
      answered += expected;
      await waitUntil(() => server.requests.length >= Math.min(10, answered + 3) || answered >= 10);
    }
    const answers = await Promise.all(calls);
    expect(answers.every((a) => a.status === "ok")).toBe(true);
    expect(server.maxInFlight).toBe(3);
    expect(server.requests).toHaveLength(10);
  });
});

async function waitUntil(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 1));
}
