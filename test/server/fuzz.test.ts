// Fuzzes every route's body and query string through real HTTP: random JSON (fc.jsonValue), and
// objects with the right keys holding values of the wrong types. A request the gateway cannot use
// must get a 4xx with an error message, never a 500. Fixed seeds and bounded runs: a failure
// prints its seed and the counterexample.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ScriptedTeacher } from "../cascade/fixtures.js";
import { startTestGateway, stopTestGateway, taskBody, type TestGateway } from "./helpers.js";

const SEED = 31_337;
const RUNS = 100;

let g: TestGateway;

beforeAll(async () => {
  // A teacher that answers every text: a 503 for an unknown text would be the teacher's outage
  // policy at work, not the validation these tests are about.
  g = await startTestGateway(undefined, { rateLimit: false, teacher: new ScriptedTeacher(() => "weather") });
  for (const name of ["topics", "patchme"]) expect((await g.request("POST", "/v1/tasks", { body: taskBody(name) })).status).toBe(201);
});

afterAll(async () => {
  await stopTestGateway(g);
});

type Reply = Awaited<ReturnType<TestGateway["request"]>>;

/** Never a 5xx; a 4xx always carries `{ error: { message } }`. */
function expectClientOutcome(res: Reply, what: string): void {
  if (res.status >= 500) throw new Error(`${what} → ${res.status} ${JSON.stringify(res.body)}`);
  if (res.status >= 400) {
    expect(typeof res.body?.error?.message, `${what} → ${res.status} ${JSON.stringify(res.body)}`).toBe("string");
    expect(res.body.error.message).not.toBe("");
  }
}

async function send(method: string, path: string, body: unknown, options: { key?: string; contentType?: string } = {}): Promise<Reply> {
  const res = await g.request(method, path, { rawBody: JSON.stringify(body) ?? "null", ...options });
  expectClientOutcome(res, `${method} ${path} ${JSON.stringify(body)?.slice(0, 300)}`);
  return res;
}

const json = fc.jsonValue({ maxDepth: 3 });
/** Values of every JSON type, weighted towards the ones validation most often forgets. */
const wrong = fc.oneof(
  json,
  fc.constantFrom(null, "", " ", 0, -1, 1.5, 1e308, -1e308, true, false, [], {}, [null], [""], [[]], [{}], "x".repeat(300), "\u0000", "__proto__", "constructor"),
);
/** An object with some of `keys` (values of any type) and maybe an unknown key. */
function shaped(keys: readonly string[], good: Record<string, fc.Arbitrary<unknown>> = {}): fc.Arbitrary<Record<string, unknown>> {
  const value = (k: string) => (good[k] === undefined ? wrong : fc.oneof(wrong, good[k]));
  return fc.record(Object.fromEntries(keys.map((k) => [k, value(k)])), { requiredKeys: [] }).chain((o) =>
    fc.option(fc.tuple(fc.string({ maxLength: 8 }), wrong), { nil: undefined }).map((extra) => (extra === undefined ? o : { ...o, [extra[0]]: extra[1] })),
  );
}
/** A valid object from `good`, then up to two of its keys replaced by a value of any type or removed. */
function nearlyValid(good: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Record<string, unknown>> {
  const keys = Object.keys(good);
  return fc.tuple(fc.record(good), fc.array(fc.tuple(fc.constantFrom(...keys), fc.option(wrong, { nil: undefined, freq: 3 })), { maxLength: 2 })).map(([o, edits]) => {
    const out: Record<string, unknown> = { ...o };
    for (const [k, v] of edits) {
      if (v === undefined) delete out[k];
      else out[k] = v;
    }
    return out;
  });
}
/** A valid task body with one field (or one nested field) replaced by a value of any type. */
const taskWithWrongField = fc
  .tuple(
    fc.constantFrom("name", "instructions", "labels", "teacher", "routing", "training", "out_of_scope_label", "privacy", "labels.0", "labels.0.name", "labels.0.answer", "teacher.provider", "teacher.timeout_ms", "routing.max_error", "routing.audit_rate", "training.min_examples", "training.holdout_fraction", "training.seed"),
    wrong,
    fc.boolean(),
  )
  .map(([path, value, drop]) => {
    const body = structuredClone(taskBody(`fuzz-${Math.random().toString(36).slice(2, 10)}`)) as Record<string, unknown>;
    const keys = path.split(".");
    let at: Record<string, unknown> = body;
    for (const k of keys.slice(0, -1)) at = at[k] as Record<string, unknown>;
    const last = keys[keys.length - 1];
    if (drop && keys.length > 1) delete at[last];
    else at[last] = value;
    return body;
  });

const inputText = fc.string({ maxLength: 40 });

describe("gateway routes on random bodies", () => {
  it("POST /v1/tasks", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(json, taskWithWrongField), async (body) => {
        await send("POST", "/v1/tasks", body);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("PATCH /v1/tasks/:name", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(json, shaped(["instructions", "labels", "teacher", "routing", "training", "privacy", "name"]), taskWithWrongField), async (body) => {
        await send("PATCH", "/v1/tasks/patchme", body);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("POST /v1/tasks/:name/examples (JSON array)", async () => {
    const item = fc.oneof(wrong, shaped(["text", "label"], { text: inputText, label: fc.constantFrom("nonexistent", "") }));
    await fc.assert(
      fc.asyncProperty(fc.oneof(json, fc.array(item, { maxLength: 6 })), async (body) => {
        const res = await send("POST", "/v1/tasks/topics/examples", body);
        // No generated row carries a task label, so nothing may be imported.
        expect(res.status).toBeGreaterThanOrEqual(400);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("POST /v1/tasks/:name/predict", async () => {
    const route = fc.constantFrom("auto", "teacher", "specialist");
    const body = fc.oneof(
      json,
      shaped(["input", "inputs", "route"], { input: inputText, inputs: fc.array(fc.oneof(inputText, wrong), { maxLength: 3 }), route }),
      nearlyValid({ input: inputText, route }),
      nearlyValid({ inputs: fc.array(inputText, { minLength: 1, maxLength: 3 }), route }),
    );
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        await send("POST", "/v1/tasks/topics/predict", b);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("POST /v1/tasks/:name/feedback", async () => {
    const logged = await send("POST", "/v1/tasks/topics/predict", { input: "will it rain tomorrow" });
    const requestId = logged.body.request_id as string;
    await fc.assert(
      fc.asyncProperty(fc.oneof(json, shaped(["request_id", "label", "text"], { request_id: fc.constantFrom(requestId, "nope"), label: fc.constantFrom("weather", "nonexistent"), text: inputText }), nearlyValid({ request_id: fc.constant(requestId), label: fc.constantFrom("weather", "sports") })), async (body) => {
        await send("POST", "/v1/tasks/topics/feedback", body);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("POST /v1/tasks/:name/explain", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(json, shaped(["input"], { input: inputText }), nearlyValid({ input: inputText })), async (body) => {
        await send("POST", "/v1/tasks/topics/explain", body);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("POST /v1/chat/completions", async () => {
    const message = fc.oneof(wrong, shaped(["role", "content"], { role: fc.constantFrom("user", "system", "assistant"), content: fc.oneof(inputText, fc.array(shaped(["type", "text"], { type: fc.constant("text"), text: inputText }), { maxLength: 3 })) }));
    const body = shaped(["model", "messages", "stream", "stream_options"], {
      model: fc.constantFrom("task:topics", "task:", "task:nope", "gpt-4o"),
      messages: fc.array(message, { maxLength: 4 }),
      stream: fc.boolean(),
      stream_options: shaped(["include_usage"], { include_usage: fc.boolean() }),
    });
    const content = fc.oneof(inputText, fc.array(nearlyValid({ type: fc.constant("text"), text: inputText }), { minLength: 1, maxLength: 3 }));
    const valid = nearlyValid({
      model: fc.constant("task:topics"),
      messages: fc.array(nearlyValid({ role: fc.constant("user"), content }), { minLength: 1, maxLength: 3 }),
      stream: fc.boolean(),
      stream_options: nearlyValid({ include_usage: fc.boolean() }),
    });
    await fc.assert(
      fc.asyncProperty(fc.oneof(json, body, valid), async (b) => {
        await send("POST", "/v1/chat/completions", b, { key: g.predictKey });
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

describe("gateway routes on random query strings", () => {
  // Raw query text: parameter names the routes take, random ones, repeats, broken escapes.
  const piece = fc.constantFrom("since", "until", "bucket", "limit", "after", "source", "label", "kind", "partial", "text_column", "label_column", "=", "&", "%", "%zz", "%C3", "%80", "%00", "+", "[]", "[0]", ".", "-", "0", "9", "1e3", "99999999999999999999", "2024-01-01", "T", "Z", ":", "hour", "day", "minute", "all", "import", "true", "é", "😀", "__proto__");
  const query = fc.array(piece, { maxLength: 12 }).map((xs) => xs.join(""));
  const wellFormed = fc.array(fc.tuple(fc.constantFrom("since", "until", "bucket", "limit", "after", "source", "label", "kind", "x"), fc.string({ unit: "grapheme", maxLength: 12 })), { maxLength: 4 }).map((pairs) => pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&"));

  for (const route of ["examples", "stats", "traffic", "review"]) {
    it(`GET /v1/tasks/:name/${route}`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.oneof(query, wellFormed), async (q) => {
          const res = await g.request("GET", `/v1/tasks/topics/${route}?${q}`);
          expectClientOutcome(res, `GET ${route}?${q}`);
        }),
        { seed: SEED, numRuns: RUNS },
      );
    });
  }

  it("random task names in paths", async () => {
    const name = fc.oneof(fc.string({ unit: "grapheme", maxLength: 70 }), fc.constantFrom("topics", "..", "%2e%2e", "a%00b", "%", "x".repeat(300)));
    await fc.assert(
      fc.asyncProperty(name, fc.constantFrom("", "/examples", "/stats", "/traffic", "/review", "/report"), async (n, suffix) => {
        const encoded = /%/.test(n) ? n : encodeURIComponent(n);
        const res = await g.request("GET", `/v1/tasks/${encoded}${suffix}`);
        expectClientOutcome(res, `GET /v1/tasks/${encoded}${suffix}`);
      }),
      { seed: SEED, numRuns: 100 },
    );
  });
});
