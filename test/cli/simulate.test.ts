// `apprentice simulate` end to end: the real binary (node bin/apprentice.js) as a child process on
// a small generated dataset with the simulated teacher. Nothing here depends on timing.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/run-cli.js";
import { foreignTexts, LABELS, topicTexts } from "../cascade/fixtures.js";

let dir: string;

const run = (...args: string[]) => runCli(dir, ...args);

const csv = (rows: { text: string; label: string }[]) => `text,topic\n${rows.map((r) => `"${r.text}",${r.label}`).join("\n")}\n`;

const TASK_YAML = [
  "name: topics",
  "instructions: Classify the topic of the message.",
  "labels:",
  ...LABELS.map((l) => `  - name: ${l}`),
  "routing:",
  "  max_error: 0.1",
  "training:",
  "  retrain_every: 50",
  "  min_examples: 50",
  "  holdout_fraction: 0.3",
  "",
].join("\n");

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "apprentice-simulate-"));
  await writeFile(join(dir, "stream.csv"), csv(topicTexts(500, 1)));
  await writeFile(join(dir, "holdout.csv"), csv(topicTexts(150, 2, 50_000)));
  await writeFile(join(dir, "task.yaml"), TASK_YAML);
  // Labels outside the task ("finance"): out-of-scope messages, gold "none of these".
  await writeFile(join(dir, "holdout-oos.csv"), csv([...topicTexts(120, 3), ...foreignTexts(40, 4)]));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const BASE = ["simulate", "--stream", "stream.csv", "--label-column", "topic", "--task", "task.yaml", "--teacher", "sim"];

describe("apprentice simulate", () => {
  it("--json prints exactly one JSON object with the figures, progress goes to stderr", async () => {
    const r = await run(...BASE, "--teacher-accuracy", "0.9", "--holdout", "holdout.csv", "--json", "--plot", "out.svg", "--seed", "3");
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n").filter((l) => l !== "");
    expect(lines).toHaveLength(1);
    const json = JSON.parse(lines[0]) as Record<string, unknown>;
    for (const key of ["requests", "teacher_calls", "coverage", "accuracy", "teacher_only_accuracy", "cost", "teacher_only_cost", "checkpoints", "holdout_accuracy", "holdout_coverage", "holdout_teacher_share"]) {
      expect(json).toHaveProperty(key);
    }
    expect(json.requests).toBe(500);
    expect(json.coverage as number).toBeGreaterThan(0);
    expect(json.teacher_calls as number).toBeLessThan(500);
    expect(json.accuracy as number).toBeGreaterThanOrEqual((json.teacher_only_accuracy as number) - 0.03);
    expect(json.checkpoints as unknown[]).toHaveLength(10);
    expect(json).not.toHaveProperty("trace");
    expect(r.stderr.split("\n").filter((l) => l.startsWith("apprentice: simulate: "))).toHaveLength(10);
    expect(await readFile(join(dir, "out.svg"), "utf8")).toMatch(/^<svg[\s\S]*<\/svg>\n$/);
  });

  it("--holdout takes labels outside the task as out-of-scope and reports them apart", async () => {
    const r = await run(...BASE, "--holdout", "holdout-oos.csv", "--json", "--none-rate", "1");
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/labels not in the task count as out-of-scope[^\n]*"finance"/);
    const json = JSON.parse(r.stdout) as Record<string, number | null>;
    expect(json.holdout_requests).toBe(160);
    expect(json.holdout_out_of_scope).toBe(40);
    for (const key of ["holdout_in_scope_coverage", "holdout_in_scope_accuracy", "holdout_out_of_scope_answered", "holdout_specialist_error", "holdout_specialist_error_vs_teacher", "holdout_scope_auroc"]) {
      expect(json).toHaveProperty(key);
    }
    // The teacher says none for every foreign text: the cascade's answers to them are right.
    expect(json.holdout_accuracy as number).toBeGreaterThan(0.8);
    expect(json.holdout_scope_auroc as number).toBeGreaterThan(0.9);
    const text = await run(...BASE, "--holdout", "holdout-oos.csv");
    expect(text.stdout).toMatch(/out-of-scope texts +40/);
    expect(text.stdout).toMatch(/scope score AUROC/);
  });

  it("still refuses stream labels outside the task", async () => {
    await writeFile(join(dir, "stream-oos.csv"), csv([...topicTexts(60, 5), ...foreignTexts(5, 6)]));
    const r = await run("simulate", "--stream", "stream-oos.csv", "--label-column", "topic", "--task", "task.yaml", "--teacher", "sim");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/not in the task's labels/);
  });

  it("prints a readable summary without --json", async () => {
    const r = await run(...BASE, "--holdout", "holdout.csv");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Simulation of topics on stream\.csv/);
    expect(r.stdout).toMatch(/teacher calls/);
    expect(r.stdout).toMatch(/Final cascade on holdout\.csv/);
  });

  it("reports bad input with the right exit code", async () => {
    const usage = await run(...BASE, "--teacher-accuracy", "2");
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/teacher-accuracy/);
    const missing = await run("simulate", "--stream", "stream.csv", "--label-column", "topic", "--task", "nope.json", "--teacher", "sim");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope\.json/);
    await writeFile(join(dir, "other.csv"), csv([{ text: "my tomatoes need water", label: "gardening" }]));
    const unknownLabels = await run("simulate", "--stream", "other.csv", "--label-column", "topic", "--task", "task.yaml", "--teacher", "sim");
    expect(unknownLabels.code).toBe(1);
    expect(unknownLabels.stderr).toMatch(/other\.csv has labels that are not in the task's labels: "gardening"/);
  });
});
