// The gateway keeps answering when the teacher fails: every fault the fault-injecting teacher can
// produce, through a real OpenAITeacher over loopback, under both `teacher.on_failure` policies and
// without a specialist; the circuit breaker opening, failing fast, probing and closing on an
// injected clock; and every request logged exactly once. Wall-clock time appears only as the
// teacher's timeout, an upper bound the slow faults stay far below or far above.
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RequestStatus } from "../../src/store/schema.js";
import { fault, FaultTeacher, type Fault } from "../support/fault-teacher.js";
import { GOLD, startTestGateway, stopTestGateway, taskBody, type TestGateway } from "./helpers.js";

const KEY = "sk-fault-SECRET-9b1d7e55c2a04f18";
const TIMEOUT_MS = 500;
const COOLDOWN_MS = 30_000;
const clock = { t: 1_700_000_000_000 };
const delays: number[] = [];

let ft: FaultTeacher;
let g: TestGateway;
let client: OpenAI;
/** Requests sent per task and the status each should be logged with. */
const sent = new Map<string, Record<RequestStatus, number>>();

function expectLogged(task: string, status: RequestStatus): void {
  const counts = sent.get(task) ?? { ok: 0, teacher_invalid: 0, teacher_error: 0, degraded: 0 };
  counts[status]++;
  sent.set(task, counts);
}

/** The fault teacher as the operator declares it: without retries ("fault"), and with one ("fault-retrying"). */
function faultTeachers() {
  const fault = { provider: "openai" as const, base_url: ft.baseURL, model: "fault-model", api_key_env: "APPRENTICE_FAULT_TEST_KEY", timeout_ms: TIMEOUT_MS, max_retries: 0, concurrency: 16 };
  return { fault, "fault-retrying": { ...fault, max_retries: 1 } };
}

function teacherTask(name: string, teacher: Record<string, unknown> = {}, routing: Record<string, unknown> = {}) {
  return taskBody(name, {
    teacher: { name: "fault", ...teacher },
    // An error target no holdout of this size can certify: the specialist has no threshold, so
    // every auto request goes to the teacher, and the specialist can only stand in for it.
    routing: { max_error: 0.001, confidence_level: 0.95, audit_rate: 0, ...routing },
  });
}

let textCounter = 0;
/** A text nobody has seen: never an example before this request. */
function freshText(): string {
  return `fault probe message number ${++textCounter} about the weather forecast`;
}

// Forcing the teacher takes the force_teacher permission, which admin keys have and predict keys lack.
async function predict(task: string, input = freshText(), route?: string) {
  return g.request("POST", `/v1/tasks/${task}/predict`, { key: route === "teacher" ? g.adminKey : g.predictKey, body: route === undefined ? { input } : { input, route } });
}

beforeAll(async () => {
  ft = await FaultTeacher.start();
  const gold = new Map(GOLD.map((e) => [e.text, e.label]));
  ft.answerFor = (text) => gold.get(text) ?? "weather";
  g = await startTestGateway(undefined, {
    teachers: faultTeachers(),
    env: { APPRENTICE_FAULT_TEST_KEY: KEY },
    openaiTeacher: { sleep: async (ms) => void delays.push(ms), random: () => 0 },
    teacherBreaker: { failureThreshold: 5, cooldownMs: COOLDOWN_MS, maxCooldownMs: 4 * COOLDOWN_MS, now: () => clock.t },
  });
  client = new OpenAI({ baseURL: `${g.url}/v1`, apiKey: g.predictKey, maxRetries: 0 });
  const tasks = [
    teacherTask("cold"),
    teacherTask("fallback"),
    teacherTask("strict", { on_failure: "fail" }),
    teacherTask("retrying", { name: "fault-retrying" }),
    teacherTask("breaker"),
    teacherTask("breaker-fallback"),
  ];
  for (const t of tasks) expect((await g.request("POST", "/v1/tasks", { body: t })).status).toBe(201);
  for (const name of ["fallback", "strict", "breaker-fallback"]) {
    expect((await g.request("POST", `/v1/tasks/${name}/examples`, { body: GOLD.slice(0, 300) })).status).toBe(200);
  }
  await g.app.runtimes.idle();
  for (const name of ["fallback", "strict", "breaker-fallback"]) {
    const detail = await g.request("GET", `/v1/tasks/${name}`);
    expect(detail.body.cascade.version).toBeGreaterThanOrEqual(1);
    expect(detail.body.cascade.threshold).toBeNull();
  }
});

afterAll(async () => {
  await stopTestGateway(g);
  await ft.close();
});

interface FaultCase {
  name: string;
  fault: () => Fault;
  /** The teacher's answer status. */
  teacher: "error" | "invalid";
  reason: RegExp;
}

const FAULTS: FaultCase[] = [
  { name: "timeout (never answers)", fault: fault.timeout, teacher: "error", reason: new RegExp(`timed out after ${TIMEOUT_MS} ms`) },
  { name: "slow stream (body dripped past the timeout)", fault: () => fault.slowStream("weather", 200), teacher: "error", reason: /timed out/ },
  { name: "slow response (past the timeout)", fault: () => fault.slowResponse("weather", 60_000), teacher: "error", reason: /timed out/ },
  { name: "connection reset", fault: fault.reset, teacher: "error", reason: /connection failed/ },
  { name: "429 without Retry-After", fault: () => fault.rateLimited(), teacher: "error", reason: /rate limited \(HTTP 429\)/ },
  { name: "429 with Retry-After", fault: () => fault.rateLimited("2"), teacher: "error", reason: /rate limited \(HTTP 429\)/ },
  { name: "500", fault: () => fault.status(500, "boom"), teacher: "error", reason: /server error \(HTTP 500\): boom/ },
  { name: "503", fault: () => fault.status(503, "overloaded"), teacher: "error", reason: /server error \(HTTP 503\): overloaded/ },
  { name: "malformed JSON", fault: fault.malformedJson, teacher: "error", reason: /unexpected failure/ },
  { name: "a label outside the set", fault: () => fault.offLabel("astrology"), teacher: "invalid", reason: /"astrology" is not one of the 6 answers offered/ },
  { name: "an empty choices list", fault: fault.emptyChoices, teacher: "error", reason: /empty choice list/ },
];

/** Sends one request through a fault, then one normal request (so the breaker never opens here). */
async function throughFault(task: string, f: Fault) {
  const before = ft.requests.length;
  ft.script(f);
  const text = freshText();
  const res = await predict(task, text);
  expect(ft.pending).toBe(0);
  expect(ft.requests.length - before).toBe(1); // max_retries 0: one attempt
  const healthy = await predict(task);
  expect(healthy.status).toBe(200);
  expect(healthy.body).toMatchObject({ source: "teacher", status: "ok", degraded: false });
  expectLogged(task, "ok");
  return { res, text };
}

describe("teacher faults through the gateway", () => {
  it("the fault teacher answers normally by default", async () => {
    const res = await predict("cold", GOLD[350].text);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ label: GOLD[350].label, source: "teacher", status: "ok", degraded: false });
    expect(ft.requests.at(-1)!.authorization).toBe(`Bearer ${KEY}`);
    expectLogged("cold", "ok");
  });

  for (const c of FAULTS) {
    it(`${c.name}: no specialist yet → ${c.teacher === "invalid" ? 502 : 503}, logged once`, async () => {
      const { res, text } = await throughFault("cold", c.fault());
      const invalid = c.teacher === "invalid";
      expect(res.status).toBe(invalid ? 502 : 503);
      expect(res.body.error).toMatchObject({ type: "api_error", code: invalid ? "teacher_invalid" : "teacher_unavailable" });
      expect(res.body.error.message).toMatch(c.reason);
      expect(res.body.error.message).toContain("the task has no specialist yet");
      expect(res.body.error.details).toMatchObject({ status: invalid ? "teacher_invalid" : "teacher_error" });
      expect(await g.app.requestLog.get(res.body.error.details.request_id)).toMatchObject({ source: "none", label: null, status: invalid ? "teacher_invalid" : "teacher_error" });
      expect(await g.store.examples.get("cold", text)).toBeNull();
      expectLogged("cold", invalid ? "teacher_invalid" : "teacher_error");
    });

    it(`${c.name}: on_failure "specialist" → the specialist's answer, degraded, not learned from`, async () => {
      const before = (await g.request("GET", "/v1/tasks/fallback")).body.cascade;
      const { res, text } = await throughFault("fallback", c.fault());
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ source: "specialist", status: "degraded", degraded: true, route: "auto" });
      expect(typeof res.body.label).toBe("string");
      expect(res.body.confidence).toBeGreaterThan(0);
      expect(res.body.model_version).toBeGreaterThanOrEqual(1);
      expect(await g.app.requestLog.get(res.body.request_id)).toMatchObject({ source: "specialist", label: res.body.label, status: "degraded", audited: false, teacher_label: null });
      expect(await g.store.examples.get("fallback", text)).toBeNull();
      const after = (await g.request("GET", "/v1/tasks/fallback")).body.cascade;
      expect(after.degraded_answers).toBe(before.degraded_answers + 1);
      expect(after.audits).toBe(before.audits);
      expect(after.examples).toBe(before.examples + 1); // the healthy request's answer only
      expectLogged("fallback", "degraded");
    });

    it(`${c.name}: on_failure "fail" → ${c.teacher === "invalid" ? 502 : 503} naming the policy`, async () => {
      const { res } = await throughFault("strict", c.fault());
      expect(res.status).toBe(c.teacher === "invalid" ? 502 : 503);
      expect(res.body.error.message).toMatch(c.reason);
      expect(res.body.error.message).toContain('teacher.on_failure is "fail"');
      expectLogged("strict", c.teacher === "invalid" ? "teacher_invalid" : "teacher_error");
    });
  }

  it("a slow response well inside the timeout is just an answer", async () => {
    ft.script(fault.slowResponse("music", 10));
    const res = await predict("cold");
    expect(res.body).toMatchObject({ label: "music", source: "teacher", status: "ok" });
    expectLogged("cold", "ok");
  });

  it("honours Retry-After on a 429 when retries are allowed", async () => {
    delays.length = 0;
    ft.script(fault.rateLimited("7"));
    const before = ft.requests.length;
    const res = await predict("retrying");
    expect(res.body).toMatchObject({ label: "weather", source: "teacher", status: "ok" });
    expect(ft.requests.length - before).toBe(2);
    expect(delays).toEqual([7000]);
    expectLogged("retrying", "ok");
  });

  it("never returns the teacher's key, even when the teacher echoes it", async () => {
    const { res } = await throughFault("strict", fault.status(500, `Incorrect API key provided: ${KEY} (Bearer ${KEY})`));
    expect(res.status).toBe(503);
    expect(JSON.stringify(res.body)).not.toContain(KEY);
    expect(JSON.stringify(res.body)).not.toContain("SECRET-9b1d");
    expectLogged("strict", "teacher_error");
  });

  it('route "teacher" never falls back: the caller asked for the teacher', async () => {
    ft.script(fault.status(500));
    const res = await predict("fallback", freshText(), "teacher");
    expect(res.status).toBe(503);
    expect(res.body.error.message).toContain('route "teacher" was asked for');
    expectLogged("fallback", "teacher_error");
    expect((await predict("fallback")).status).toBe(200); // reset the breaker's count
    expectLogged("fallback", "ok");
  });

  it("a batch keeps going: failed inputs carry their status, degraded ones their flag", async () => {
    ft.script(fault.status(500), fault.offLabel());
    const strict = await g.request("POST", "/v1/tasks/strict/predict", { key: g.predictKey, body: { inputs: [freshText(), freshText(), freshText()] } });
    expect(strict.status).toBe(200);
    expect(strict.body.data.map((r: { status: string }) => r.status)).toEqual(["teacher_error", "teacher_invalid", "ok"]);
    expectLogged("strict", "teacher_error");
    expectLogged("strict", "teacher_invalid");
    expectLogged("strict", "ok");

    ft.script(fault.reset());
    const fallback = await g.request("POST", "/v1/tasks/fallback/predict", { key: g.predictKey, body: { inputs: [freshText(), freshText()] } });
    expect(fallback.body.data.map((r: { status: string; degraded: boolean }) => [r.status, r.degraded])).toEqual([
      ["degraded", true],
      ["ok", false],
    ]);
    expectLogged("fallback", "degraded");
    expectLogged("fallback", "ok");
  });

  it("chat completions: degraded answers are flagged in `apprentice`; no answer is a 503", async () => {
    ft.script(fault.status(503));
    const res = await client.chat.completions.create({ model: "task:fallback", messages: [{ role: "user", content: freshText() }] });
    const extra = (res as unknown as { apprentice: { degraded: boolean; status: string; source: string } }).apprentice;
    expect(extra).toMatchObject({ degraded: true, status: "degraded", source: "specialist" });
    expect(typeof res.choices[0].message.content).toBe("string");
    expectLogged("fallback", "degraded");
    expect((await predict("fallback")).status).toBe(200);
    expectLogged("fallback", "ok");

    ft.script(fault.timeout());
    await expect(client.chat.completions.create({ model: "task:strict", messages: [{ role: "user", content: freshText() }] })).rejects.toMatchObject({ status: 503, code: "teacher_unavailable" });
    expectLogged("strict", "teacher_error");
    expect((await predict("strict")).status).toBe(200);
    expectLogged("strict", "ok");

    ft.script(fault.offLabel());
    await expect(client.chat.completions.create({ model: "task:cold", messages: [{ role: "user", content: freshText() }] })).rejects.toMatchObject({ status: 502, code: "teacher_invalid" });
    expectLogged("cold", "teacher_invalid");
  });
});

describe("the teacher's circuit breaker through the gateway", () => {
  async function circuit(task: string) {
    return (await g.request("GET", `/v1/tasks/${task}`)).body.teacher.circuit;
  }
  async function gauge(task: string): Promise<number | undefined> {
    const text = await (await fetch(`${g.url}/metrics`)).text();
    const m = new RegExp(`^apprentice_teacher_circuit_state\\{task="${task}"\\} (\\d+)$`, "m").exec(text);
    return m === null ? undefined : Number(m[1]);
  }

  it("opens after 5 consecutive failures, fails fast without the network, probes after the cool-down, closes on success", async () => {
    expect(await circuit("breaker")).toEqual({ state: "closed", consecutive_failures: 0, opened: 0, cooldown_ms: COOLDOWN_MS, retry_at: null });
    const detail = (await g.request("GET", "/v1/tasks/breaker")).body;
    expect(detail.teacher).toMatchObject({ name: "fault", provider: "openai", model: "fault-model", status: "ready", on_failure: "specialist" });

    ft.script(...Array.from({ length: 5 }, () => fault.status(503, "down")));
    for (let i = 0; i < 5; i++) {
      const res = await predict("breaker");
      expect(res.status).toBe(503);
      expect(res.body.error.message).toContain("server error (HTTP 503): down");
      expect(res.headers.get("retry-after")).toBeNull();
      expectLogged("breaker", "teacher_error");
    }
    expect(await circuit("breaker")).toEqual({ state: "open", consecutive_failures: 5, opened: 1, cooldown_ms: COOLDOWN_MS, retry_at: clock.t + COOLDOWN_MS });
    expect(await gauge("breaker")).toBe(2);

    // Open: fail fast, no request reaches the teacher.
    const before = ft.requests.length;
    for (let i = 0; i < 3; i++) {
      const res = await predict("breaker");
      expect(res.status).toBe(503);
      expect(res.body.error).toMatchObject({ code: "teacher_unavailable" });
      expect(res.body.error.message).toContain("circuit open");
      expect(res.headers.get("retry-after")).toBe(String(COOLDOWN_MS / 1000));
      expectLogged("breaker", "teacher_error");
    }
    expect(ft.requests.length).toBe(before);

    // Cool-down over: half-open; a failed probe reopens it for twice as long.
    clock.t += COOLDOWN_MS;
    expect((await circuit("breaker")).state).toBe("half_open");
    expect(await gauge("breaker")).toBe(1);
    ft.script(fault.status(500, "still down"));
    const probe = await predict("breaker");
    expect(probe.status).toBe(503);
    expect(probe.body.error.message).toContain("still down");
    expectLogged("breaker", "teacher_error");
    expect(ft.requests.length).toBe(before + 1);
    expect(await circuit("breaker")).toMatchObject({ state: "open", opened: 2, cooldown_ms: 2 * COOLDOWN_MS });
    const fast = await predict("breaker");
    expect(fast.headers.get("retry-after")).toBe(String((2 * COOLDOWN_MS) / 1000));
    expectLogged("breaker", "teacher_error");

    // The next probe succeeds: closed, and the cool-down is back to its base.
    clock.t += 2 * COOLDOWN_MS;
    const ok = await predict("breaker");
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ source: "teacher", status: "ok" });
    expectLogged("breaker", "ok");
    expect(ft.requests.length).toBe(before + 2);
    expect(await circuit("breaker")).toEqual({ state: "closed", consecutive_failures: 0, opened: 2, cooldown_ms: COOLDOWN_MS, retry_at: null });
    expect(await gauge("breaker")).toBe(0);
  });

  it("while open, a task with a specialist answers degraded at once", async () => {
    ft.script(...Array.from({ length: 5 }, () => fault.reset()));
    for (let i = 0; i < 5; i++) {
      expect((await predict("breaker-fallback")).body).toMatchObject({ status: "degraded" });
      expectLogged("breaker-fallback", "degraded");
    }
    expect((await circuit("breaker-fallback")).state).toBe("open");
    const before = ft.requests.length;
    const res = await predict("breaker-fallback");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ source: "specialist", status: "degraded", degraded: true });
    expectLogged("breaker-fallback", "degraded");
    expect(ft.requests.length).toBe(before);
    clock.t += COOLDOWN_MS;
    expect((await predict("breaker-fallback")).body).toMatchObject({ source: "teacher", status: "ok" });
    expectLogged("breaker-fallback", "ok");
  });
});

describe("the request log", () => {
  it("holds exactly one row per request sent, with the status it was answered with", async () => {
    await g.app.requestLog.flush();
    expect(sent.size).toBeGreaterThan(0);
    for (const [task, counts] of sent) {
      const stats = await g.store.requests.stats(task);
      const total = Object.values(counts).reduce((a, b) => a + b, 0);
      expect({ task, requests: stats.requests, by_status: stats.by_status }).toEqual({ task, requests: total, by_status: counts });
    }
  });
});
