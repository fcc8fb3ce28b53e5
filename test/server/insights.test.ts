// The dashboard's routes through HTTP: traffic buckets, the live model's report, the review queue,
// routing explanations, and column mapping on example imports.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ClassifyOptions, Teacher, TeacherAnswer } from "../../src/teacher/types.js";
import { LABELS, TOPICS } from "../cascade/fixtures.js";
import { GOLD, simulatedTeacher, startTestGateway, stopTestGateway, taskBody, type TestGateway } from "./helpers.js";

const HOUR = 3_600_000;
const MINUTE = 60_000;
/** The teacher gives a wrong label for these texts, so audits of them disagree. */
const CONTRARY = GOLD.slice(300, 340);
/** The teacher answers these with something outside the label set. */
const INVALID = GOLD.slice(395, 400);

/**
 * Texts mixing two topics' words, labelled either: the fixture's topics alone are so easy that
 * every held-out confidence is 1, and a report needs errors and a spread of confidences.
 */
const AMBIGUOUS = Array.from({ length: 100 }, (_, i) => {
  const [a, b] = [LABELS[i % LABELS.length], LABELS[(i + 1) % LABELS.length]];
  return { text: `${TOPICS[a][i % 10]} or ${TOPICS[b][(3 * i) % 10]} maybe ${i}`, label: i % 3 === 0 ? b : a };
});

/** The simulated teacher, wrong on CONTRARY, invalid on INVALID, counting its calls. */
class TestTeacher implements Teacher {
  readonly name = "test";
  calls = 0;
  readonly #inner = simulatedTeacher();
  readonly #contrary = new Set(CONTRARY.map((e) => e.text));
  readonly #invalid = new Set(INVALID.map((e) => e.text));

  async classify(text: string, options?: ClassifyOptions): Promise<TeacherAnswer> {
    this.calls++;
    const answer = await this.#inner.classify(text, options);
    if (this.#invalid.has(text)) return { ...answer, label: null, status: "invalid", reason: "not a label" };
    if (this.#contrary.has(text) && answer.label !== null) return { ...answer, label: LABELS[(LABELS.indexOf(answer.label) + 1) % LABELS.length] };
    return answer;
  }
}

let g: TestGateway;
const teacher = new TestTeacher();
const auditAll = { max_error: 0.1, confidence_level: 0.95, audit_rate: 1 };

async function trainedTask(name: string, overrides: Record<string, unknown> = {}, examples = GOLD.slice(0, 300)): Promise<void> {
  expect((await g.request("POST", "/v1/tasks", { body: taskBody(name, overrides) })).status).toBe(201);
  expect((await g.request("POST", `/v1/tasks/${name}/examples`, { body: examples })).status).toBe(200);
  await g.app.runtimes.idle();
}

async function predictAll(task: string, texts: { text: string }[], route = "auto"): Promise<{ request_id: string; source: string; label: string | null }[]> {
  const res = await g.request("POST", `/v1/tasks/${task}/predict`, { key: route === "teacher" ? g.adminKey : g.predictKey, body: { inputs: texts.map((e) => e.text), route } });
  expect(res.status).toBe(200);
  return res.body.data;
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

beforeAll(async () => {
  g = await startTestGateway(undefined, { teacher });
  await trainedTask("insights", {}, [...GOLD.slice(0, 300), ...AMBIGUOUS]);
  expect((await g.request("POST", "/v1/tasks", { body: taskBody("fresh") })).status).toBe(201);
});
afterAll(async () => {
  await stopTestGateway(g);
});

describe("GET /v1/tasks/:name/report", () => {
  it("refuses a task without a model with 409", async () => {
    const res = await g.request("GET", "/v1/tasks/fresh/report");
    expect(res.status).toBe(409);
    expect(res.body.error.message).toMatch(/no model yet/);
    expect((await g.request("GET", "/v1/tasks/nobody/report")).status).toBe(404);
    expect((await g.request("GET", "/v1/tasks/insights/report", { key: g.predictKey })).status).toBe(403);
  });

  it("reports the live model on the holdout, its curve and the live threshold's point", async () => {
    const res = await g.request("GET", "/v1/tasks/insights/report");
    expect(res.status).toBe(200);
    const r = res.body;
    const rt = (await g.app.runtimes.get("insights"))!;
    const choice = rt.cascade.thresholdChoice!;
    const n = rt.cascade.stats().holdout_examples;
    expect(r).toMatchObject({ model_version: 1, holdout_examples: n, labels: LABELS, threshold: choice.threshold, threshold_reason: choice.reason });
    expect(n).toBeGreaterThan(50);
    // Not vacuous: a proven threshold, and mistakes to confuse.
    expect(choice.threshold).not.toBeNull();
    expect(r.accuracy).toBeLessThan(1);
    expect(r.top_confusions.length).toBeGreaterThan(0);

    // Confusion: every held-out text once; rows are the labels' supports, the diagonal the accuracy.
    const confusion = r.confusion as number[][];
    expect(confusion).toHaveLength(LABELS.length);
    expect(sum(confusion.flat())).toBe(n);
    expect(sum(r.per_label.map((l: { support: number }) => l.support))).toBe(n);
    r.per_label.forEach((l: { label: string; support: number }, i: number) => {
      expect(l.label).toBe(LABELS[i]);
      expect(sum(confusion[i])).toBe(l.support);
    });
    const diagonal = sum(confusion.map((row, i) => row[i]));
    expect(r.accuracy).toBeCloseTo(diagonal / n, 12);
    expect(sum(r.top_confusions.map((c: { count: number }) => c.count))).toBe(n - diagonal);
    for (const c of r.top_confusions) expect(confusion[LABELS.indexOf(c.actual)][LABELS.indexOf(c.predicted)]).toBe(c.count);

    // The curve: thresholds descending, coverage ascending, at most 101 points.
    const curve = r.curve as { threshold: number; coverage: number; accuracy: number }[];
    expect(curve.length).toBeGreaterThan(10);
    expect(curve.length).toBeLessThanOrEqual(101);
    for (let i = 1; i < curve.length; i++) {
      expect(curve[i].threshold).toBeLessThan(curve[i - 1].threshold);
      expect(curve[i].coverage).toBeGreaterThan(curve[i - 1].coverage);
    }
    // Nothing was added to the holdout since the retrain: the chosen point is the threshold choice's.
    expect(r.chosen.threshold).toBe(choice.threshold);
    expect(r.chosen.coverage * n).toBeCloseTo(choice.covered, 9);
    expect(1 - r.chosen.accuracy).toBeCloseTo(choice.errorRate, 12);
    // ...and one of the curve's steps: the curve's points at thresholds ≥ it cover no more than it.
    const above = curve.filter((p) => p.threshold >= r.chosen.threshold);
    expect(above.at(-1)?.coverage ?? 0).toBeLessThanOrEqual(r.chosen.coverage);
  });
});

describe("POST /v1/tasks/:name/explain", () => {
  const counters = async (task: string) => {
    const stats = (await g.request("GET", `/v1/tasks/${task}/stats`)).body;
    const cascade = (await g.request("GET", `/v1/tasks/${task}`)).body.cascade;
    return { requests: stats.requests, teacherCalls: stats.teacher_calls, cascadeRequests: cascade?.requests ?? 0, cascadeTeacherCalls: cascade?.teacher_calls ?? 0, teacher: teacher.calls };
  };

  it("explains the router's decision without calling the teacher or logging a request", async () => {
    const before = await counters("insights");
    const text = GOLD[350].text;
    const res = await g.request("POST", "/v1/tasks/insights/explain", { body: { input: text } });
    expect(res.status).toBe(200);
    const e = res.body;
    const task = (await g.request("GET", "/v1/tasks/insights")).body;
    expect(e).toMatchObject({ model_version: 1, threshold: task.cascade.threshold, out_of_scope_max: task.definition.routing.out_of_scope_max });
    expect(e.top).toHaveLength(5);
    expect(e.top[0]).toEqual({ label: e.label, probability: e.confidence });
    for (let i = 1; i < e.top.length; i++) expect(e.top[i].probability).toBeLessThanOrEqual(e.top[i - 1].probability);
    expect(e.unknown_share).toBeGreaterThanOrEqual(0);
    expect(e.unknown_share).toBeLessThanOrEqual(e.unknown_share_cut);
    expect(e.unknown_share_cut).toBeLessThanOrEqual(e.out_of_scope_max);
    // The confidence discounted by the share of unseen n-grams (src/engine/scope.ts).
    expect(e.scope_score).toBeLessThanOrEqual(e.confidence);
    expect(e.scope_score).toBeGreaterThan(0);
    expect(e.route).toEqual(e.confidence >= e.threshold ? { decision: "specialist", reason: "confident" } : { decision: "teacher", reason: "below_threshold" });
    expect(await counters("insights")).toEqual(before);

    // A prediction of the same text goes where the explanation said.
    const [answer] = await predictAll("insights", [GOLD[350]]);
    expect(answer.source).toBe(e.route.decision);
  });

  it("names the other reasons: out of scope, no specialist, no threshold", async () => {
    const oos = await g.request("POST", "/v1/tasks/insights/explain", { body: { input: "xqzv jjkw" } });
    expect(oos.body).toMatchObject({ route: { decision: "teacher", reason: "out_of_scope" } });
    expect(oos.body.unknown_share).toBeGreaterThan(oos.body.unknown_share_cut);
    expect(typeof oos.body.label).toBe("string");

    const before = await counters("fresh");
    const fresh = await g.request("POST", "/v1/tasks/fresh/explain", { body: { input: GOLD[350].text } });
    expect(fresh.body).toEqual({ model_version: null, label: null, confidence: null, top: [], unknown_share: null, out_of_scope_max: 0.9, unknown_share_cut: 0.9, scope_score: null, threshold: null, route: { decision: "teacher", reason: "no_specialist" } });
    expect(await counters("fresh")).toEqual(before);

    // A target the holdout cannot prove: a specialist but no threshold.
    await trainedTask("strict", { routing: { max_error: 0.001, confidence_level: 0.95, audit_rate: 0 } });
    const strict = await g.request("POST", "/v1/tasks/strict/explain", { body: { input: GOLD[350].text } });
    expect(strict.body).toMatchObject({ model_version: 1, threshold: null, route: { decision: "teacher", reason: "no_threshold" } });
    expect(strict.body.label).toBe(GOLD[350].label);
  });

  it("validates the body and the task", async () => {
    expect((await g.request("POST", "/v1/tasks/insights/explain", { body: {} })).status).toBe(400);
    expect((await g.request("POST", "/v1/tasks/insights/explain", { body: { input: "" } })).status).toBe(400);
    expect((await g.request("POST", "/v1/tasks/nobody/explain", { body: { input: "hi" } })).status).toBe(404);
    expect((await g.request("POST", "/v1/tasks/insights/explain", { key: g.predictKey, body: { input: "hi" } })).status).toBe(403);
  });
});

describe("GET /v1/tasks/:name/traffic", () => {
  beforeAll(async () => {
    await predictAll("insights", GOLD.slice(340, 380));
    // Paid teacher calls, so that savings have a price.
    await predictAll("insights", GOLD.slice(380, 385), "teacher");
  });

  it("gives contiguous buckets, zeros filled, that add up to the stats of the same window", async () => {
    const until = Date.now() + 1;
    const since = until - 3 * HOUR;
    const res = await g.request("GET", `/v1/tasks/insights/traffic?since=${since}&until=${until}&bucket=minute`);
    expect(res.status).toBe(200);
    const t = res.body;
    expect(t).toMatchObject({ bucket: "minute", bucket_ms: MINUTE, since, until });
    const series = t.series as { start: number; requests: number; specialist: number; teacher: number; none: number; cost: number; cost_saved: number | null }[];
    expect(series[0].start).toBe(Math.floor(since / MINUTE) * MINUTE);
    expect(series.at(-1)!.start).toBe(Math.floor((until - 1) / MINUTE) * MINUTE);
    for (let i = 1; i < series.length; i++) expect(series[i].start - series[i - 1].start).toBe(MINUTE);
    expect(series.filter((b) => b.requests === 0).length).toBeGreaterThan(100);

    const stats = (await g.request("GET", `/v1/tasks/insights/stats?since=${since}&until=${until}`)).body;
    expect(stats.requests).toBeGreaterThanOrEqual(46);
    expect(sum(series.map((b) => b.requests))).toBe(stats.requests);
    expect(sum(series.map((b) => b.specialist))).toBe(stats.by_source.specialist);
    expect(sum(series.map((b) => b.teacher))).toBe(stats.by_source.teacher);
    expect(sum(series.map((b) => b.none))).toBe(stats.by_source.none);
    expect(sum(series.map((b) => b.cost))).toBeCloseTo(stats.cost, 12);
    // Savings priced like the stats route: the buckets' savings add up to the window's.
    expect(stats.cost_saved).not.toBeNull();
    expect(sum(series.map((b) => b.cost_saved ?? 0))).toBeCloseTo(stats.cost_saved, 9);
    for (const b of series.filter((b) => b.requests === 0)) expect(b).toMatchObject({ cost: 0, cost_saved: 0 });
  });

  it("defaults to hourly buckets over the last 24 hours", async () => {
    const res = await g.request("GET", "/v1/tasks/insights/traffic");
    expect(res.status).toBe(200);
    const { since, until, series } = res.body;
    expect(res.body).toMatchObject({ bucket: "hour", bucket_ms: HOUR });
    expect(until - since).toBe(24 * HOUR);
    expect(series).toHaveLength(Math.floor((until - 1) / HOUR) - Math.floor(since / HOUR) + 1);
    expect(sum(series.map((b: { requests: number }) => b.requests))).toBe((await g.request("GET", `/v1/tasks/insights/stats?since=${since}&until=${until}`)).body.requests);
  });

  it("allows at most 2,000 buckets and refuses invalid parameters", async () => {
    const since = Math.floor(Date.now() / MINUTE) * MINUTE - 1000 * MINUTE;
    const most = await g.request("GET", `/v1/tasks/insights/traffic?bucket=minute&since=${since}&until=${since + 2000 * MINUTE}`);
    expect(most.status).toBe(200);
    expect(most.body.series).toHaveLength(2000);
    const over = await g.request("GET", `/v1/tasks/insights/traffic?bucket=minute&since=${since}&until=${since + 2000 * MINUTE + 1}`);
    expect(over.status).toBe(400);
    expect(over.body.error.message).toMatch(/2001 buckets .* limit of 2000/);

    const bad = async (query: string) => (await g.request("GET", `/v1/tasks/insights/traffic?${query}`)).status;
    expect(await bad("bucket=week")).toBe(400);
    expect(await bad(`since=${since}&until=${since}`)).toBe(400);
    expect(await bad("since=yesterday")).toBe(400);
    expect(await bad("window=1")).toBe(400);
    expect((await g.request("GET", "/v1/tasks/nobody/traffic")).status).toBe(404);
  });
});

describe("GET /v1/tasks/:name/review", () => {
  type Item = { request_id: string; kind: string; input: string; answer: { label: string | null; source: string; confidence: number | null }; teacher_label: string | null; top: { label: string; probability: number }[] };
  const review = async (task: string, query = ""): Promise<{ data: Item[]; pending: Record<string, number>; low_confidence_below: number | null }> => {
    const res = await g.request("GET", `/v1/tasks/${task}/review${query}`);
    expect(res.status).toBe(200);
    return res.body;
  };

  beforeAll(async () => {
    await trainedTask("audited", { routing: auditAll });
    await predictAll("audited", CONTRARY);
    await predictAll("audited", INVALID, "teacher");
  });

  it("lists audited disagreements until feedback settles them", async () => {
    const stats = (await g.request("GET", "/v1/tasks/audited/stats")).body;
    expect(stats.disagreements).toBeGreaterThan(0);
    // The same audits by the specialist's answer: every disagreement in one row, with what the teacher said instead.
    const byAnswer = stats.audit.by_answer as { answer: string; audited: number; disagreements: number; teacher_instead: string | null; teacher_instead_count: number }[];
    expect(sum(byAnswer.map((r) => r.disagreements))).toBe(stats.disagreements);
    expect(sum(byAnswer.map((r) => r.audited))).toBeLessThanOrEqual(stats.audit.audited);
    for (const r of byAnswer) {
      expect(LABELS).toContain(r.answer);
      if (r.disagreements === 0) expect(r.teacher_instead).toBeNull();
      else expect(r.teacher_instead).not.toBe(r.answer);
      expect(r.teacher_instead_count).toBeLessThanOrEqual(r.disagreements);
    }
    const rates = byAnswer.map((r) => r.disagreements / r.audited);
    expect(rates).toEqual([...rates].sort((a, b) => b - a));
    const queue = await review("audited", "?kind=disagreement&limit=200");
    expect(queue.pending.disagreement).toBe(stats.disagreements);
    expect(queue.data).toHaveLength(stats.disagreements);
    const contrary = new Set(CONTRARY.map((e) => e.text));
    for (const item of queue.data) {
      expect(item).toMatchObject({ kind: "disagreement", answer: { source: "specialist" } });
      expect(item.teacher_label).not.toBe(item.answer.label);
      expect(contrary.has(item.input)).toBe(true);
      expect(item.top).toHaveLength(5);
    }

    const first = queue.data[0];
    const fb = await g.request("POST", "/v1/tasks/audited/feedback", { body: { request_id: first.request_id, label: first.answer.label } });
    expect(fb.status).toBe(200);
    const after = await review("audited", "?kind=disagreement&limit=200");
    expect(after.data.map((i) => i.request_id)).not.toContain(first.request_id);
    expect(after.pending.disagreement).toBe(stats.disagreements - 1);
    expect((await review("audited", "?limit=200")).data.map((i) => i.request_id)).not.toContain(first.request_id);
    await g.app.runtimes.idle();
  });

  it("lists low-confidence specialist answers least confident first, and invalid teacher answers", async () => {
    // The audit found the teacher disagreeing and paused the specialist: without a threshold,
    // every specialist answer counts as low confidence.
    const low = await review("audited", "?kind=low_confidence&limit=200");
    expect((await g.request("GET", "/v1/tasks/audited")).body.cascade.threshold).toBeNull();
    expect(low.low_confidence_below).toBeNull();
    expect(low.data.length).toBeGreaterThan(0);
    const confidences = low.data.map((i) => i.answer.confidence!);
    expect(confidences).toEqual([...confidences].sort((a, b) => a - b));
    for (const item of low.data) expect(item).toMatchObject({ kind: "low_confidence", answer: { source: "specialist" } });

    const invalid = await review("audited", "?kind=teacher_invalid");
    expect(invalid.pending.teacher_invalid).toBe(INVALID.length);
    expect(invalid.data.map((i) => i.input).sort()).toEqual(INVALID.map((e) => e.text).sort());
    for (const item of invalid.data) expect(item).toMatchObject({ kind: "teacher_invalid", answer: { label: null, source: "none", confidence: null }, teacher_label: null });

    const all = await review("audited", "?limit=3");
    expect(all.data.length).toBeLessThanOrEqual(3);
    expect(all.data[0].kind).toBe("disagreement");
  });

  it("with a threshold, counts as low confidence only the answers closer to it than to 1", async () => {
    await trainedTask("margin", { routing: { max_error: 0.1, confidence_level: 0.95, audit_rate: 0 } }, [...GOLD.slice(0, 300), ...AMBIGUOUS]);
    await predictAll("margin", GOLD.slice(340, 380));
    await predictAll("margin", AMBIGUOUS.slice(0, 30), "specialist");
    const threshold = (await g.request("GET", "/v1/tasks/margin")).body.cascade.threshold as number | null;
    expect(threshold).not.toBeNull();
    const low = await review("margin", "?kind=low_confidence&limit=200");
    const line = threshold! + (1 - threshold!) / 2;
    expect(low.low_confidence_below).toBeCloseTo(line, 12);
    expect(low.pending.low_confidence).toBe(low.data.length);
    expect(low.data.length).toBeGreaterThan(0);
    const confidences = low.data.map((i) => i.answer.confidence!);
    expect(confidences).toEqual([...confidences].sort((a, b) => a - b));
    for (const c of confidences) expect(c).toBeLessThan(line);
    // Every specialist answer at or above the line stays out of the queue, and there are some.
    const specialist = (await g.request("GET", "/v1/tasks/margin/stats")).body.by_source.specialist as number;
    expect(low.pending.low_confidence).toBeLessThan(specialist);
  });

  it("lists nothing for a task that keeps only hashes of its inputs", async () => {
    await trainedTask("private", { routing: auditAll, privacy: "hash_inputs" });
    await predictAll("private", CONTRARY);
    await predictAll("private", INVALID, "teacher");
    const stats = (await g.request("GET", "/v1/tasks/private/stats")).body;
    expect(stats.disagreements + stats.by_status.teacher_invalid).toBeGreaterThan(0);
    expect(await review("private", "?limit=200")).toMatchObject({ data: [], pending: { disagreement: 0, low_confidence: 0, teacher_invalid: 0 } });
  });

  it("lists nothing but the queue shape before a model, and refuses bad parameters", async () => {
    expect(await review("fresh")).toEqual({ data: [], pending: { disagreement: 0, low_confidence: 0, teacher_invalid: 0 }, low_confidence_below: null });
    expect((await g.request("GET", "/v1/tasks/audited/review?kind=wrong")).status).toBe(400);
    expect((await g.request("GET", "/v1/tasks/audited/review?limit=201")).status).toBe(400);
    expect((await g.request("GET", "/v1/tasks/audited/review?limit=0")).status).toBe(400);
    expect((await g.request("GET", "/v1/tasks/nobody/review")).status).toBe(404);
  });
});

describe("POST /v1/tasks/:name/examples column mapping", () => {
  const post = (query: string, body: string, contentType: string) => g.request("POST", `/v1/tasks/mapped/examples${query}`, { rawBody: body, contentType });

  beforeAll(async () => {
    expect((await g.request("POST", "/v1/tasks", { body: taskBody("mapped") })).status).toBe(201);
  });

  it("reads the text and label from the columns named in the query", async () => {
    const csv = ["id,message,topic", ...GOLD.slice(0, 4).map((e, i) => `${i},${e.text},${e.label}`)].join("\n");
    const res = await post("?text_column=message&label_column=topic", csv, "text/csv");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ format: "csv", rows: 4, accepted: 4, added: 4 });
    expect(await g.store.examples.get("mapped", GOLD[0].text)).toMatchObject({ label: GOLD[0].label, source: "import" });

    const jsonl = GOLD.slice(4, 6).map((e) => JSON.stringify({ body: e.text, intent: e.label })).join("\n");
    const lines = await post("?text_column=body", jsonl, "application/x-ndjson");
    expect(lines.body).toMatchObject({ format: "jsonl", accepted: 2, added: 2 });
  });

  it("refuses an unknown column, naming it and the columns present", async () => {
    const csv = `message,topic\n${GOLD[0].text},${GOLD[0].label}\n`;
    const text = await post("?text_column=msg&label_column=topic", csv, "text/csv");
    expect(text.status).toBe(400);
    expect(text.body.error.message).toContain('no column "msg"');
    expect(text.body.error.message).toContain('"message", "topic"');
    const label = await post("?text_column=message&label_column=category", csv, "text/csv");
    expect(label.status).toBe(400);
    expect(label.body.error.message).toContain('no column "category"');
    // Without a mapping the message says which parameter to send.
    expect((await post("", csv, "text/csv")).body.error.message).toContain("?text_column=");
    expect((await post("?text_column=", csv, "text/csv")).status).toBe(400);
    expect(await g.store.examples.count("mapped")).toBe(6);
  });
});
