// `apprentice simulate` end to end: the real binary (node bin/apprentice.js) as a child process on
// a small generated dataset with the simulated teacher. Nothing here depends on timing.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/run-cli.js";
import { LABELS, topicTexts } from "../cascade/fixtures.js";

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
