// `apprentice simulate` on a structured task, end to end through the real binary: the bundled
// transfers-demo example (gold objects in JSONL) with the simulated teacher, and bad gold files
// refused before anything runs.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/run-cli.js";

const EXAMPLE = fileURLToPath(new URL("../../examples/transfers-demo/", import.meta.url));
const TASK = join(EXAMPLE, "task.yaml");
const STREAM = join(EXAMPLE, "train.jsonl");
const HOLDOUT = join(EXAMPLE, "test.jsonl");

let dir: string;
const run = (...args: string[]) => runCli(dir, ...args);
const progress = (stderr: string) => stderr.split("\n").filter((l) => l.startsWith("apprentice: simulate: "));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "apprentice-simulate-structured-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("apprentice simulate, structured task", () => {
  it("saves teacher calls on the transfers example and reports exact match against teacher only", async () => {
    const r = await run("simulate", "--task", TASK, "--stream", STREAM, "--holdout", HOLDOUT, "--teacher", "sim");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Simulation of transfers-demo on /);
    expect(r.stdout).toMatch(/answers +objects of 5 fields \(intent, amount, currency, recipient, when\)/);
    expect(r.stdout).toMatch(/exact match +\d+\.\d% \(teacher only \d+\.\d%\)/);
    expect(r.stdout).toMatch(/specialist answers +\d+\.\d% exact matches/);
    expect(r.stdout).not.toMatch(/^ +accuracy/m);
    expect(r.stdout).toMatch(/Final cascade on .*test\.jsonl \(150 texts, frozen\)/);
    expect(progress(r.stderr)[0]).toMatch(/exact match/);
  });

  it("--json prints one object with the figures, marked as exact matches of whole objects", async () => {
    const r = await run("simulate", "--task", TASK, "--stream", STREAM, "--holdout", HOLDOUT, "--teacher", "sim", "--teacher-accuracy", "0.9", "--json");
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ task: "transfers-demo", teacher: "sim", task_kind: "structured", scoring: "exact_match", fields: ["intent", "amount", "currency", "recipient", "when"] });
    for (const key of ["requests", "teacher_calls", "teacher_share", "coverage", "accuracy", "teacher_only_accuracy", "checkpoints", "holdout_accuracy", "holdout_teacher_share"]) expect(json).toHaveProperty(key);
    expect(json.teacher_calls as number).toBeLessThan(json.requests as number);
    expect(json.holdout_teacher_share as number).toBeLessThan(1);
    expect(json.accuracy as number).toBeGreaterThanOrEqual((json.teacher_only_accuracy as number) - 0.02);
    // At 90% the simulated teacher is right on about nine texts in ten of the stream.
    expect(json.teacher_only_accuracy as number).toBeGreaterThan(0.85);
  });

  it('takes gold "none_of_these" as out of scope: the simulated teacher answers it at --none-rate, the specialist never does', async () => {
    const offTopic = ["what is the weather in Lisbon on Sunday", "recommend a pizza place nearby", "who won the chess final yesterday", "how tall is the Eiffel tower", "tell me a joke about cats", "translate good morning into Spanish", "when does the museum open", "is it going to snow on Mars"];
    const none = (text: string, i: number) => JSON.stringify({ text: `${text} ${i}`, output: { intent: "none_of_these", amount: null, currency: null, recipient: null, when: null } });
    const stream = (await readFile(STREAM, "utf8")).trim().split("\n");
    // One off-topic message in ten, mixed in; eight others held out.
    const mixed = stream.flatMap((line, i) => (i % 9 === 0 ? [line, none(offTopic[i % offTopic.length], i)] : [line]));
    await writeFile(join(dir, "with-none.jsonl"), `${mixed.join("\n")}\n`);
    const holdout = (await readFile(HOLDOUT, "utf8")).trim().split("\n");
    await writeFile(join(dir, "holdout-none.jsonl"), `${[...holdout, ...offTopic.map((t, i) => none(t, 10_000 + i))].join("\n")}\n`);
    const r = await run("simulate", "--task", TASK, "--stream", "with-none.jsonl", "--holdout", "holdout-none.jsonl", "--teacher", "sim", "--none-rate", "1", "--json");
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout) as Record<string, number | null>;
    expect(json.holdout_out_of_scope).toBe(offTopic.length);
    expect(json.holdout_out_of_scope_answered).toBe(0);
    expect(json.holdout_in_scope_coverage as number).toBeGreaterThan(0);
  });

  it.each([
    ["a value not in its text", { text: "send 50 euros to Anna", output: { intent: "send_money", amount: "70", currency: "EUR", recipient: "Anna", when: null } }, /line 2: output: field amount: "70" does not occur/],
    ["an off-enum choice", { text: "send 50 euros to Anna", output: { intent: "donate", amount: "50", currency: "EUR", recipient: "Anna", when: null } }, /line 2: output: field intent: "donate" is not one of its values/],
    ["invalid JSON", '{"text": "send 50 euros to Anna", "output": {', /line 2: invalid JSON/],
  ])("refuses %s, naming the line, before anything runs", async (_name, bad, message) => {
    const good = (await readFile(STREAM, "utf8")).split("\n")[0];
    await writeFile(join(dir, "bad.jsonl"), `${good}\n${typeof bad === "string" ? bad : JSON.stringify(bad)}\n${good}\n`);
    const r = await run("simulate", "--task", TASK, "--stream", "bad.jsonl", "--teacher", "sim");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.jsonl/);
    expect(r.stderr).toMatch(message);
    expect(progress(r.stderr)).toHaveLength(0);
    expect(r.stdout).toBe("");
  });

  it("refuses a bad holdout line too, and flags that only mean something for labels", async () => {
    await writeFile(join(dir, "bad-holdout.jsonl"), `${JSON.stringify({ text: "what is my balance", output: { intent: "check_balance", currency: "YEN" } })}\n`);
    const holdout = await run("simulate", "--task", TASK, "--stream", STREAM, "--holdout", "bad-holdout.jsonl", "--teacher", "sim");
    expect(holdout.code).toBe(1);
    expect(holdout.stderr).toMatch(/bad-holdout\.jsonl line 1: output: field amount: missing; field currency: "YEN" is not one of its values/);
    expect(progress(holdout.stderr)).toHaveLength(0);
    const labelFlag = await run("simulate", "--task", TASK, "--stream", STREAM, "--teacher", "sim", "--label-column", "intent");
    expect(labelFlag.code).toBe(2);
    expect(labelFlag.stderr).toMatch(/--label-column/);
  });
});
