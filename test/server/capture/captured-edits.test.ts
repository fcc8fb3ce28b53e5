// Renaming a captured task, describing its fields, merging it into another and deleting it
// (PATCH/POST/DELETE /v1/captured/…): the task's data moves with it, the app's later calls follow
// its fingerprints to where it now is, and a refused change changes nothing.
import { describe, expect, it } from "vitest";
import { parseStructuredTask } from "../../../src/task/structured.js";
import { parseTask } from "../../../src/task/definition.js";
import { MAX_FINGERPRINTS } from "../../../src/task/capture.js";
import { MERGE_MOVED_REQUESTS_MAX } from "../../../src/server/capture/captured-task-edits.js";
import { learnedCalls, useCaptureGateway } from "./capture-gateway.js";
import { SYSTEM_PROMPT, TRANSFER_SCHEMA, transferAnswer, transferCall, transferTexts } from "./transfer-calls.js";

const fx = useCaptureGateway("sk-upstream-edits");
const learned = () => learnedCalls(fx.g);

/** Sends one app call with this system prompt (and schema) and waits until the gateway has learned from it. */
async function send(text: string, system = SYSTEM_PROMPT, schema: object = TRANSFER_SCHEMA): Promise<void> {
  const before = await learned();
  await fx.app.chat.completions.create({
    ...transferCall(text),
    messages: [
      { role: "system", content: system },
      { role: "user", content: text },
    ],
    response_format: { type: "json_schema", json_schema: { name: "transfer", strict: true, schema: schema as Record<string, unknown> } },
  });
  for (let n = 0; (await learned()) <= before && n < 4000; n++) await new Promise((r) => setImmediate(r));
  await fx.g.app.requestLog.flush();
}

type Captured = { name: string; capture: { fingerprints: string[]; follows?: string; mode: string }; examples: number; fields: { name: string; kind: string; values?: string[] }[] };

async function captured(): Promise<Captured[]> {
  return (await fx.g.request("GET", "/v1/captured")).body.data as Captured[];
}

/** The one captured task founded by calls with this system prompt. */
async function taskOf(system: string): Promise<Captured> {
  await send(transferTexts(1, 500 + system.length)[0], system);
  const record = (await fx.g.store.tasks.list()).find((r) => "capture" in r.definition && r.definition.instructions === system)!;
  return (await captured()).find((t) => t.name === record.name)!;
}

/** Everything a refused change must leave as it was. */
async function snapshot(names: string[]) {
  return {
    tasks: (await fx.g.store.tasks.list()).map((r) => [r.name, JSON.stringify(r.definition)]),
    rows: await Promise.all(names.map(async (n) => [n, await fx.g.store.examples.count(n), await fx.g.store.requests.count(n)])),
  };
}

describe("renaming a captured task", () => {
  const system = "Rename me: read the money transfer.";
  let original: Captured;

  it("moves it with its examples and request log, and the app's next call lands in it", async () => {
    original = await taskOf(system);
    await send(transferTexts(1, 10)[0], system);
    const examples = await fx.g.store.examples.count(original.name);
    const requests = await fx.g.store.requests.count(original.name);
    expect([examples, requests]).toEqual([2, 2]);

    const res = await fx.g.request("PATCH", `/v1/captured/${original.name}`, { body: { name: "transfers" } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: "transfers", examples: 2, capture: { fingerprints: original.capture.fingerprints } });
    expect((await fx.g.request("GET", `/v1/captured/${original.name}`)).status).toBe(404);
    expect([await fx.g.store.examples.count("transfers"), await fx.g.store.requests.count("transfers")]).toEqual([2, 2]);
    expect(await fx.g.store.requests.count(original.name)).toBe(0);

    const text = transferTexts(1, 11)[0];
    await send(text, system);
    expect(await fx.g.store.examples.count("transfers")).toBe(3);
    expect(await fx.g.store.requests.count("transfers")).toBe(3);
    expect((await fx.g.store.examples.all("transfers")).map((e) => JSON.parse(e.label))).toContainEqual(transferAnswer(text));
    // The fingerprint's own name (the schema's and the fingerprint's start) is never founded again.
    expect(await fx.g.store.tasks.get(original.name)).toBeNull();
    expect((await captured()).map((t) => t.name)).not.toContain(original.name);
  });

  it("refuses a taken name (409), an invalid name (400) and a missing task (404), changing nothing", async () => {
    await fx.g.store.tasks.create(parseTask({ name: "taken", instructions: "x", labels: [{ name: "a" }, { name: "b" }] }));
    const before = await snapshot(["transfers", "taken"]);
    const taken = await fx.g.request("PATCH", "/v1/captured/transfers", { body: { name: "taken", mode: "off" } });
    expect(taken.status).toBe(409);
    expect(taken.body.error.message).toMatch(/"taken" already exists/);
    const invalid = await fx.g.request("PATCH", "/v1/captured/transfers", { body: { name: "Not A Name" } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.message).toMatch(/^name: /);
    expect((await fx.g.request("PATCH", "/v1/captured/missing", { body: { name: "other" } })).status).toBe(404);
    // The generic route still refuses renames, and says where a captured task's is.
    const generic = await fx.g.request("PATCH", "/v1/tasks/transfers", { body: { name: "other" } });
    expect([generic.status, generic.body.error.message]).toEqual([400, expect.stringContaining('PATCH /v1/captured/transfers {"name": ...}')]);
    // A declared task is not a captured one: this route leaves it alone.
    expect((await fx.g.request("PATCH", "/v1/captured/taken", { body: { name: "other" } })).status).toBe(404);
    expect(await snapshot(["transfers", "taken"])).toEqual(before);
  });
});

describe("describing a captured task's fields", () => {
  it("changes the descriptions and nothing else", async () => {
    const before = (await fx.g.store.tasks.get("transfers"))!.definition as ReturnType<typeof parseStructuredTask>;
    const res = await fx.g.request("PATCH", "/v1/captured/transfers", { body: { descriptions: { currency: "ISO 4217 code.", amount: "" } } });
    expect(res.status).toBe(200);
    const after = (await fx.g.store.tasks.get("transfers"))!.definition as ReturnType<typeof parseStructuredTask>;
    const props = after.output.properties as Record<string, Record<string, unknown>>;
    expect(props.currency.description).toBe("ISO 4217 code.");
    expect(props.amount).not.toHaveProperty("description");
    // Kinds, values and everything else as they were.
    const strip = (p: Record<string, unknown>) => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, { ...(v as object), description: undefined }]));
    expect(strip(props)).toEqual(strip(before.output.properties as Record<string, unknown>));
    expect({ ...after, output: undefined }).toEqual({ ...before, output: undefined });
    expect(res.body.fields).toEqual((await captured()).find((t) => t.name === "transfers")!.fields);
    expect(res.body.fields.map((f: { name: string; kind: string }) => [f.name, f.kind])).toEqual([["amount", "extract"], ["currency", "choice"], ["recipient", "extract"]]);
    // The Discovered page prefills its form with them.
    expect(res.body.fields.map((f: { description?: string }) => f.description)).toEqual([undefined, "ISO 4217 code.", undefined]);
  });

  it("changes the task's own description with its fields' in one request, and removes it with an empty one", async () => {
    const res = await fx.g.request("PATCH", "/v1/captured/transfers", { body: { description: "Money transfer requests.", descriptions: { recipient: "Who gets the money." } } });
    expect(res.status).toBe(200);
    expect(res.body.description).toBe("Money transfer requests.");
    const after = (await fx.g.store.tasks.get("transfers"))!.definition as ReturnType<typeof parseStructuredTask>;
    expect(after.description).toBe("Money transfer requests.");
    expect((after.output.properties as Record<string, Record<string, unknown>>).recipient.description).toBe("Who gets the money.");
    expect((await fx.g.request("PATCH", "/v1/captured/transfers", { body: { description: "" } })).status).toBe(200);
    expect((await fx.g.store.tasks.get("transfers"))!.definition).not.toHaveProperty("description");
  });

  it("refuses an unknown field or too long a text, and then renames nothing either", async () => {
    const before = await snapshot(["transfers"]);
    const unknown = await fx.g.request("PATCH", "/v1/captured/transfers", { body: { name: "renamed", descriptions: { iban: "The IBAN." } } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toMatch(/no output field "iban" \(its fields: amount, currency, recipient\)/);
    const long = await fx.g.request("PATCH", "/v1/captured/transfers", { body: { descriptions: { amount: "x".repeat(2001) } } });
    expect(long.status).toBe(400);
    expect(long.body.error.message).toMatch(/^descriptions\.amount: /);
    // The task's own description is checked with them: nothing changes.
    expect((await fx.g.request("PATCH", "/v1/captured/transfers", { body: { description: "Transfers.", descriptions: { iban: "The IBAN." } } })).status).toBe(400);
    expect((await fx.g.request("PATCH", "/v1/captured/transfers", { body: { descripton: "typo" } })).status).toBe(400);
    expect(await snapshot(["transfers"])).toEqual(before);
    expect(await fx.g.store.tasks.get("renamed")).toBeNull();
  });
});

describe("merging a captured task into another", () => {
  const changed = "Rename me: read the money transfer. Answer in JSON.";
  let source: Captured;

  it("refuses a target it cannot take the task's answers or calls, changing nothing", async () => {
    source = await taskOf(changed);
    expect(source.capture.follows).toBe("transfers");
    const shared = transferTexts(1, 11)[0];
    await send(shared, changed);
    const narrower = { ...TRANSFER_SCHEMA, properties: { ...TRANSFER_SCHEMA.properties, currency: { type: "string", enum: ["EUR", "USD", "GBP"] } } };
    await send(transferTexts(1, 700)[0], "Other fields.", narrower);
    const other = (await captured()).find((t) => t.fields.some((f) => f.values?.includes("GBP")))!;
    await fx.g.store.tasks.create(parseStructuredTask({ name: "declared", instructions: "Read it.", output: TRANSFER_SCHEMA }));
    // A captured task with the same fields whose fingerprints are at the limit already.
    const transfers = (await fx.g.store.tasks.get("transfers"))!.definition as { capture: object };
    const full = Array.from({ length: MAX_FINGERPRINTS }, (_, i) => i.toString(16).padStart(64, "0"));
    await fx.g.store.tasks.create(parseStructuredTask({ ...transfers, name: "crowded", capture: { ...transfers.capture, fingerprints: full } }));

    const before = await snapshot([source.name, "transfers", other.name, "declared", "crowded"]);
    const cases: [unknown, number, RegExp][] = [
      [{ into: other.name }, 409, /field "currency" lacks values the target's has: "GBP"/],
      [{ into: "declared" }, 409, /"declared" was declared, not captured/],
      [{ into: "crowded" }, 409, new RegExp(`together they have ${MAX_FINGERPRINTS + 1} fingerprints, over the limit of ${MAX_FINGERPRINTS}`)],
      [{ into: "taken" }, 409, /label task/],
      [{ into: "nowhere" }, 404, /no task "nowhere"/],
      [{ into: source.name }, 400, /the task itself/],
      [{ into: "Bad Name" }, 400, /^into: /],
      [{}, 400, /^into: /],
    ];
    for (const [body, status, message] of cases) {
      const res = await fx.g.request("POST", `/v1/captured/${source.name}/merge`, { body });
      expect([res.status, res.body.error.message]).toEqual([status, expect.stringMatching(message)]);
    }
    expect((await fx.g.request("POST", "/v1/captured/missing/merge", { body: { into: "transfers" } })).status).toBe(404);
    expect(await snapshot([source.name, "transfers", other.name, "declared", "crowded"])).toEqual(before);
  });

  it("moves its examples (the target's labels kept), adds its fingerprints, deletes it, and later calls go to the target", async () => {
    const shared = transferTexts(1, 11)[0];
    // A person corrected the target's example of the shared text: their label must survive the merge.
    const corrected = JSON.stringify({ ...transferAnswer(shared), recipient: "Corrected" });
    await fx.g.store.examples.addMany("transfers", [{ text: shared, label: corrected, source: "human", origin: "edit" }]);
    const sourceExamples = await fx.g.store.examples.all(source.name);
    expect(sourceExamples).toHaveLength(2);
    const targetBefore = await fx.g.store.examples.count("transfers");
    const targetFingerprints = (await captured()).find((t) => t.name === "transfers")!.capture.fingerprints;
    // A long log: its newest MERGE_MOVED_REQUESTS_MAX rows move with the merge, the older ones after it.
    const OLD = MERGE_MOVED_REQUESTS_MAX + 3 - 2;
    const dayAgo = Date.now() - 86_400_000;
    for (let from = 0; from < OLD; from += 10_000) {
      const rows = Array.from({ length: Math.min(10_000, OLD - from) }, (_, i) => ({ id: `old-${from + i}`, task: source.name, input: `old ${from + i}`, source: "teacher" as const, latency_ms: 1, status: "ok" as const, created_at: dayAgo + from + i }));
      await fx.g.store.requests.insertMany(rows);
    }
    const targetRequests = await fx.g.store.requests.count("transfers");

    const res = await fx.g.request("POST", `/v1/captured/${source.name}/merge`, { body: { into: "transfers" } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ merged: source.name, into: "transfers", moved: 1, kept_existing: 1, rewritten: false, requests_moved: MERGE_MOVED_REQUESTS_MAX, requests_left: 3 });
    await expect.poll(() => fx.g.store.requests.count(source.name), { timeout: 20_000 }).toBe(0);
    // The plan a restart would have resumed is gone once the rows have all moved.
    await expect.poll(() => fx.g.store.requests.plannedMoves(), { timeout: 5_000 }).toEqual([]);
    expect(await fx.g.store.requests.count("transfers")).toBe(targetRequests + OLD + 2);
    expect(await fx.g.store.requests.deleteOlder("transfers", dayAgo + OLD, OLD)).toBe(OLD);
    expect(res.body.task.capture.fingerprints).toEqual([...targetFingerprints, ...source.capture.fingerprints]);
    expect(await fx.g.store.tasks.get(source.name)).toBeNull();
    const examples = await fx.g.store.examples.all("transfers");
    expect(examples).toHaveLength(targetBefore + 1);
    expect(examples.find((e) => e.text === shared)).toMatchObject({ label: corrected, source: "human", origin: "edit" });
    const moved = sourceExamples.find((e) => e.text !== shared)!;
    expect(examples.find((e) => e.text === moved.text)).toMatchObject({ label: moved.label, source: moved.source, origin: "capture" });

    const requests = await fx.g.store.requests.count("transfers");
    const later = transferTexts(1, 900)[0];
    await send(later, changed);
    expect(await fx.g.store.requests.count("transfers")).toBe(requests + 1);
    expect((await fx.g.store.examples.all("transfers")).map((e) => e.text)).toContain(later);
    expect(await fx.g.store.tasks.get(source.name)).toBeNull();
  });
});

describe("merging a captured task whose fields are in another order", () => {
  const system = "Reordered: read the money transfer.";
  const props = TRANSFER_SCHEMA.properties;
  const REORDERED = { ...TRANSFER_SCHEMA, properties: { recipient: props.recipient, currency: props.currency, amount: props.amount }, required: ["recipient", "currency", "amount"] };
  const keys = (label: string) => Object.keys(JSON.parse(label) as object);

  async function reorderedTask(text: string, schema: object, instructions: string): Promise<Captured> {
    await send(text, instructions, schema);
    const record = (await fx.g.store.tasks.list()).find((r) => "capture" in r.definition && r.definition.instructions === instructions)!;
    return (await captured()).find((t) => t.name === record.name)!;
  }

  it("still refuses fields that differ in more than their order, changing nothing", async () => {
    const wider = { ...REORDERED, properties: { ...REORDERED.properties, currency: { type: "string", enum: ["EUR", "USD", "GBP"] } } };
    const other = await reorderedTask(transferTexts(1, 800)[0], wider, "Reordered and wider.");
    expect(other.fields.map((f) => f.name)).toEqual(["recipient", "currency", "amount"]);
    const before = await snapshot([other.name, "transfers"]);
    const res = await fx.g.request("POST", `/v1/captured/${other.name}/merge`, { body: { into: "transfers" } });
    expect([res.status, res.body.error.message]).toEqual([409, expect.stringMatching(/their answers differ: field "currency" has values the target's has not: "GBP"$/)]);
    expect(await snapshot([other.name, "transfers"])).toEqual(before);
  });

  it("rewrites its answers in the target's field order, moves its request log, and the target keeps learning", async () => {
    const shared = transferTexts(1, 10)[0];
    expect(await fx.g.store.examples.get("transfers", shared)).not.toBeNull();
    const source = await reorderedTask(transferTexts(1, 810)[0], REORDERED, system);
    await send(transferTexts(1, 811)[0], system, REORDERED);
    await send(shared, system, REORDERED);
    expect(source.fields.map((f) => f.name)).toEqual(["recipient", "currency", "amount"]);
    const sourceExamples = await fx.g.store.examples.all(source.name);
    expect(sourceExamples).toHaveLength(3);
    for (const e of sourceExamples) expect(keys(e.label)).toEqual(["recipient", "currency", "amount"]);
    const targetExamples = await fx.g.store.examples.count("transfers");
    const targetRequests = await fx.g.store.requests.count("transfers");
    const sourceRequests = await fx.g.store.requests.count(source.name);
    expect(sourceRequests).toBe(3);
    const sharedLabel = (await fx.g.store.examples.get("transfers", shared))!.label;

    const res = await fx.g.request("POST", `/v1/captured/${source.name}/merge`, { body: { into: "transfers" } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ merged: source.name, into: "transfers", moved: 2, kept_existing: 1, rewritten: true, requests_moved: 3, requests_left: 0 });
    expect(res.body.task.capture.fingerprints).toEqual(expect.arrayContaining(source.capture.fingerprints));
    expect(res.body.task.fields.map((f: { name: string }) => f.name)).toEqual(["amount", "currency", "recipient"]);
    expect(await fx.g.store.tasks.get(source.name)).toBeNull();

    // Every answer of the target in its canonical form: its field order, the same objects.
    const examples = await fx.g.store.examples.all("transfers");
    expect(examples).toHaveLength(targetExamples + 2);
    for (const e of examples) expect(keys(e.label)).toEqual(["amount", "currency", "recipient"]);
    for (const e of sourceExamples.filter((x) => x.text !== shared)) {
      const moved = examples.find((x) => x.text === e.text)!;
      expect(JSON.parse(moved.label)).toEqual(JSON.parse(e.label));
      expect(moved.label).toBe(JSON.stringify(transferAnswer(e.text)));
    }
    expect(examples.find((e) => e.text === shared)!.label).toBe(sharedLabel);

    // The request log moved: the target's stats count the merged task's requests.
    expect(await fx.g.store.requests.count(source.name)).toBe(0);
    expect(await fx.g.store.requests.count("transfers")).toBe(targetRequests + sourceRequests);
    const stats = await fx.g.request("GET", "/v1/tasks/transfers/stats");
    expect(stats.status).toBe(200);
    expect(stats.body.requests).toBe(targetRequests + sourceRequests);

    // The app's next call with its own field order lands in the target, learned in the target's order.
    const later = transferTexts(1, 812)[0];
    await send(later, system, REORDERED);
    expect(await fx.g.store.requests.count("transfers")).toBe(targetRequests + sourceRequests + 1);
    expect((await fx.g.store.examples.get("transfers", later))!.label).toBe(JSON.stringify(transferAnswer(later)));
    expect(await fx.g.store.tasks.get(source.name)).toBeNull();
  });
});

describe("deleting a captured task", () => {
  it("deletes it with its data, and the next call founds it again, empty", async () => {
    const system = "Delete me: read the money transfer.";
    const task = await taskOf(system);
    const res = await fx.g.request("DELETE", `/v1/captured/${task.name}`);
    expect(res.status).toBe(204);
    expect(await fx.g.store.tasks.get(task.name)).toBeNull();
    expect((await fx.g.request("DELETE", `/v1/captured/${task.name}`)).status).toBe(404);
    expect((await fx.g.request("DELETE", "/v1/captured/declared")).status).toBe(404);
    expect(await fx.g.store.tasks.get("declared")).not.toBeNull();

    const text = transferTexts(1, 950)[0];
    await send(text, system);
    const again = (await fx.g.store.tasks.get(task.name))!;
    expect(again).not.toBeNull();
    expect((await fx.g.store.examples.all(task.name)).map((e) => e.text)).toEqual([text]);
  });
});

describe("a change made by another gateway instance", () => {
  it("is followed: a task renamed straight in the shared store gets its calls, and no task is founded under the old name", async () => {
    const system = "Elsewhere: read the money transfer.";
    const task = await taskOf(system);
    // What another instance's PATCH does to the database; this instance's fingerprint map still has the old name.
    await fx.g.store.tasks.rename(task.name, "renamed-elsewhere");
    // This instance's periodic sync (every second by default) finds the loaded task gone from the store.
    await fx.g.app.runtimes.syncAll();
    await send(transferTexts(1, 960)[0], system);
    expect(await fx.g.store.requests.count("renamed-elsewhere")).toBe(2);
    expect(await fx.g.store.examples.count("renamed-elsewhere")).toBe(2);
    expect(await fx.g.store.tasks.get(task.name)).toBeNull();
  });
});
