// Fuzzes every route's body and query string through real HTTP: random JSON (fc.jsonValue), and
// objects with the right keys holding values of the wrong types. A request the gateway cannot use
// must get a 4xx with an error message, never a 500. Fixed seeds and bounded runs: a failure
// prints its seed and the counterexample.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isStructuredTask } from "../../src/task/structured.js";
import { ScriptedTeacher } from "../cascade/fixtures.js";
import { startTestGateway, stopTestGateway, taskBody, type TestGateway } from "./helpers.js";

const SEED = 31_337;
const RUNS = 100;

let g: TestGateway;

/** The structured task the fuzzing sends objects to: every kind of field but teacher-only. */
const OUTPUT = {
  properties: {
    intent: { enum: ["pay", "refund"] },
    amount: { extract: true },
    urgent: { type: "boolean" },
    topics: { tags: ["card", "fees"] },
    people: { extract_list: true },
  },
};
const FIELD_NAMES = Object.keys(OUTPUT.properties);
const structuredBody = (name: string) => ({ ...taskBody(name, { labels: undefined, output: OUTPUT }) });
/** An answer valid for any text: nothing extracted. */
const STRUCTURED_ANSWER = JSON.stringify({ intent: "pay", amount: null, urgent: false, topics: [], people: [] });

beforeAll(async () => {
  // A teacher that answers every text (of either kind of task): a 503 for an unknown text would
  // be the teacher's outage policy at work, not the validation these tests are about.
  const labels = new ScriptedTeacher(() => "weather");
  const objects = new ScriptedTeacher(() => STRUCTURED_ANSWER);
  g = await startTestGateway(undefined, { rateLimit: false, teacher: labels, options: { simulatedTeacher: (task) => (isStructuredTask(task) ? objects : labels) } });
  for (const name of ["topics", "patchme"]) expect((await g.request("POST", "/v1/tasks", { body: taskBody(name) })).status).toBe(201);
  expect((await g.request("POST", "/v1/tasks", { body: structuredBody("objects") })).status).toBe(201);
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
/** A copy of `body` with the value at a dotted `path` replaced, or removed (`drop`, below the top level). */
function withChange(original: Record<string, unknown>, path: string, value: unknown, drop: boolean): Record<string, unknown> {
  const body = structuredClone(original);
  const keys = path.split(".");
  let at: Record<string, unknown> = body;
  for (const k of keys.slice(0, -1)) at = at[k] as Record<string, unknown>;
  const last = keys[keys.length - 1];
  if (drop && keys.length > 1) delete at[last];
  else at[last] = value;
  return body;
}

/** A valid task body with one field (or one nested field) replaced by a value of any type. */
const taskWithWrongField = fc
  .tuple(
    fc.constantFrom("name", "instructions", "labels", "teacher", "routing", "training", "out_of_scope_label", "privacy", "labels.0", "labels.0.name", "labels.0.answer", "teacher.provider", "teacher.timeout_ms", "routing.max_error", "routing.audit_rate", "training.min_examples", "training.holdout_fraction", "training.seed"),
    wrong,
    fc.boolean(),
  )
  .map(([path, value, drop]) => withChange(taskBody(`fuzz-${Math.random().toString(36).slice(2, 10)}`), path, value, drop));

const inputText = fc.string({ maxLength: 40 });

/** A valid structured task body with one part of its output block (or a setting) replaced, removed, or labels added. */
const structuredTaskWithWrongField = fc
  .tuple(
    fc.constantFrom("output", "output.type", "output.properties", "output.required", "output.additionalProperties", "output.description", "output.properties.intent", "output.properties.intent.enum", "output.properties.intent.enum.0", "output.properties.amount.extract", "output.properties.topics.tags", "output.properties.urgent.type", "output.properties.x", "labels", "none", "out_of_scope_label", "name", "routing.max_error"),
    fc.oneof(wrong, fieldSpec()),
    fc.boolean(),
  )
  .map(([path, value, drop]) => withChange(structuredBody(`fuzz-${Math.random().toString(36).slice(2, 10)}`), path, value, drop));

/** Field schemas, near the forms an output block takes (src/task/output-schema.ts), with wrong values mixed in. */
function fieldSpec(): fc.Arbitrary<Record<string, unknown>> {
  const keyword = fc.constantFrom("type", "enum", "tags", "extract", "x-extract", "extract_list", "items", "nullable", "description", "properties", "required", "format");
  const typeName = fc.constantFrom("string", "boolean", "number", "integer", "array", "object", "null", "date");
  const value = fc.oneof(wrong, typeName, fc.array(typeName, { maxLength: 3 }), fc.array(fc.oneof(fc.string({ maxLength: 5 }), fc.constant(null)), { maxLength: 4 }), fc.boolean());
  return fc.dictionary(keyword, value, { maxKeys: 4 }).chain((spec) => fc.option(fc.constant({ items: spec }), { nil: undefined }).map((nested) => ({ ...spec, ...nested })));
}

/** A structured answer near the task's: valid values, wrong types, unknown keys, values not in any text. */
const outputObject = fc.oneof(
  wrong,
  shaped([...FIELD_NAMES, "label"], { intent: fc.constantFrom("pay", "refund", "nope"), amount: fc.constantFrom(null, "40", "", "zz"), urgent: fc.boolean(), topics: fc.array(fc.constantFrom("card", "fees", "x"), { maxLength: 3 }), people: fc.array(fc.constantFrom("Anna", ""), { maxLength: 2 }) }),
  nearlyValid({ intent: fc.constantFrom("pay", "refund"), amount: fc.constant(null), urgent: fc.boolean(), topics: fc.constant([]), people: fc.constant([]) }),
);

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

describe("structured-task routes on random bodies", () => {
  it("POST /v1/tasks (structured)", async () => {
    const output = fc.oneof(wrong, shaped(["type", "properties", "required", "additionalProperties"], { properties: fc.dictionary(fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom("__proto__", "constructor", "a b", "1x")), fieldSpec(), { maxKeys: 4 }), required: fc.array(fc.string({ maxLength: 6 }), { maxLength: 3 }), type: fc.constant("object") }));
    const body = fc.oneof(shaped(["name", "instructions", "output", "labels"], { name: fc.constant("fuzz-structured"), instructions: fc.constant("Read it."), output }), structuredTaskWithWrongField);
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const res = await send("POST", "/v1/tasks", b);
        if (res.status === 201) await g.request("DELETE", `/v1/tasks/${encodeURIComponent(res.body.name)}`);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("POST /v1/tasks/:name/feedback with an output", async () => {
    const logged = await send("POST", "/v1/tasks/objects/predict", { input: "pay Anna 40 euros" });
    expect(logged.status).toBe(200);
    const requestId = logged.body.request_id as string;
    const body = fc.oneof(
      json,
      shaped(["request_id", "output", "label", "text"], { request_id: fc.constantFrom(requestId, "nope"), output: outputObject, label: fc.constantFrom("pay", STRUCTURED_ANSWER), text: inputText }),
      nearlyValid({ request_id: fc.constant(requestId), output: outputObject }),
    );
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        await send("POST", "/v1/tasks/objects/feedback", b);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("POST /v1/tasks/:name/examples (structured JSONL, JSON and CSV)", async () => {
    const row = fc.oneof(wrong, shaped(["text", "output", "label"], { text: inputText, output: outputObject, label: fc.constant("pay") }), nearlyValid({ text: inputText, output: outputObject }));
    const jsonlBody = fc.array(fc.oneof(row.map((r) => JSON.stringify(r) ?? "null"), fc.string({ maxLength: 20 })), { maxLength: 6 }).map((lines) => lines.join("\n"));
    const cell = fc.oneof(fc.constantFrom("", "pay", "refund", "true", "false", "TRUE", "card|fees", "|", "Anna", "40", '"', '""', ",", "\n"), fc.string({ maxLength: 8 }));
    const header = fc.oneof(fc.constant(["text", ...FIELD_NAMES]), fc.shuffledSubarray(["text", ...FIELD_NAMES, "label", "text", "x"]));
    const csvBody = fc.tuple(header, fc.array(fc.array(cell, { maxLength: 8 }), { maxLength: 5 })).map(([h, rows]) => [h, ...rows].map((r) => r.join(",")).join("\r\n"));
    const body = fc.oneof(
      jsonlBody.map((b) => [b, "application/x-ndjson"] as const),
      fc.array(row, { maxLength: 5 }).map((rows) => [JSON.stringify(rows), "application/json"] as const),
      json.map((v) => [JSON.stringify(v) ?? "null", "application/json"] as const),
      csvBody.map((b) => [b, "text/csv"] as const),
    );
    const query = fc.constantFrom("", "?partial=true", "?partial=false", "?text_column=output", "?label_column=intent", "?partial=true&text_column=x");
    await fc.assert(
      fc.asyncProperty(body, query, async ([b, contentType], q) => {
        const res = await g.request("POST", `/v1/tasks/objects/examples${q}`, { rawBody: b, contentType });
        expectClientOutcome(res, `POST examples${q} (${contentType}) ${b.slice(0, 300)}`);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("POST /v1/chat/completions on a structured task with a response_format", async () => {
    const schema = shaped(["type", "properties", "required", "additionalProperties"], {
      type: fc.constantFrom("object", "array", "string"),
      properties: fc.oneof(fc.constant(Object.fromEntries(FIELD_NAMES.map((f) => [f, {}]))), fc.dictionary(fc.constantFrom(...FIELD_NAMES, "label", "x"), wrong, { maxKeys: 6 })),
      required: fc.array(fc.oneof(fc.constantFrom(...FIELD_NAMES, "label"), wrong), { maxLength: 4 }),
    });
    const responseFormat = fc.oneof(
      wrong,
      shaped(["type", "json_schema"], { type: fc.constantFrom("text", "json_object", "json_schema", "nope"), json_schema: shaped(["name", "schema", "strict"], { name: fc.constant("t"), schema, strict: fc.boolean() }) }),
    );
    const body = nearlyValid({
      model: fc.constant("task:objects"),
      messages: fc.constant([{ role: "user", content: "pay Anna 40 euros" }]),
      response_format: responseFormat,
      stream: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
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
