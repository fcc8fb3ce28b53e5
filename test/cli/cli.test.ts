// End to end: runs the real `apprentice` binary (node bin/apprentice.js) as a child process on a
// small generated dataset. Nothing here depends on timing.
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, type CliRun } from "../helpers/run-cli.js";

let dir: string;

const run = (...args: string[]) => runCli(dir, ...args);

/** Four labels with their own vocabulary; texts combine the words so none repeats. */
const VOCABULARY: Record<string, string[]> = {
  weather: ["rain", "sunny", "forecast", "cloudy", "storm", "humid", "snow", "windy"],
  sports: ["football", "match", "goal", "tennis", "score", "league", "coach", "stadium"],
  cooking: ["recipe", "oven", "garlic", "bake", "pasta", "sauce", "onion", "simmer"],
  music: ["guitar", "song", "concert", "melody", "drums", "album", "chorus", "piano"],
};
const FILLERS = ["tell me about the", "what is the latest", "I love the", "any news on", "show me", "how about"];

function generateExamples(perLabel: number, offset: number): { text: string; label: string }[] {
  const out: { text: string; label: string }[] = [];
  for (const [label, words] of Object.entries(VOCABULARY)) {
    for (let i = offset; i < offset + perLabel; i++) {
      const a = words[i % words.length];
      const b = words[(i * 3 + 1) % words.length];
      out.push({ text: `${FILLERS[i % FILLERS.length]} ${a} and ${b} ${i}`, label });
    }
  }
  return out;
}

function csv(rows: { text: string; label: string }[]): string {
  return `text,label\n${rows.map((r) => `"${r.text.replace(/"/g, '""')}",${r.label}`).join("\n")}\n`;
}

function parseJsonLines(stdout: string): Record<string, unknown>[] {
  const lines = stdout.split("\n").filter((l) => l !== "");
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
}

function expectOneLineError(r: CliRun): string {
  const lines = r.stderr.split("\n").filter((l) => l !== "");
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^apprentice: /);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  return lines[0];
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "apprentice-cli-"));
  await writeFile(join(dir, "train.csv"), csv(generateExamples(30, 0)));
  await writeFile(join(dir, "test.csv"), csv(generateExamples(8, 1000)));
  await writeFile(join(dir, "texts.csv"), "message\nthe storm forecast looks cloudy\nbake the pasta in the oven\nthe guitar album\n");
  await writeFile(join(dir, "bad.csv"), "text,label\nrain and snow,weather\n,weather\nthe football match,sports\n");
  await writeFile(join(dir, "corrupt.model"), "this is not a model file, just some text that is long enough");
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("apprentice CLI", () => {
  it("trains, evaluates and predicts", async () => {
    const train = await run("train", "--data", "train.csv", "--text-column", "text", "--label-column", "label", "--out", "m.model", "--seed", "3");
    expect(train.stderr).toBe("");
    expect(train.code).toBe(0);
    expect(train.stdout).toContain("examples");
    expect(train.stdout).toContain("validation accuracy");
    expect(train.stdout).toContain("m.model");
    // Written atomically: the model is there and no temporary file is left behind.
    expect((await readdir(dir)).filter((f) => f === "m.model" || f.startsWith(".m.model"))).toEqual(["m.model"]);
    expect((await readFile(join(dir, "m.model"))).subarray(0, 8).toString("latin1")).toBe("APPRMODL");

    await writeFile(join(dir, "truncated.model"), (await readFile(join(dir, "m.model"))).subarray(0, 200));
    // Independent of each other, so run side by side.
    const [evaluation, readable, byArgs, byFile, corrupt, cut] = await Promise.all([
      run("eval", "--model", "m.model", "--data", "test.csv", "--text-column", "text", "--label-column", "label", "--json"),
      run("eval", "--model", "m.model", "--data", "test.csv"),
      run("predict", "--model", "m.model", "will it rain, the forecast says storm", "a new tennis coach for the league"),
      run("predict", "--model", "m.model", "--data", "texts.csv", "--text-column", "message", "--top", "1"),
      run("predict", "--model", "corrupt.model", "hello"),
      run("eval", "--model", "truncated.model", "--data", "test.csv"),
    ]);

    expect(evaluation.code).toBe(0);
    const lines = evaluation.stdout.split("\n").filter((l) => l !== "");
    expect(lines).toHaveLength(1);
    const report = JSON.parse(lines[0]) as Record<string, unknown>;
    expect(report.n).toBe(32);
    expect(report.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(typeof report.macro_f1).toBe("number");
    expect(typeof report.ece).toBe("number");
    expect(report.predict_per_s).toBeGreaterThan(0);
    expect(report.per_label).toHaveLength(4);
    expect(Array.isArray(report.coverage_accuracy)).toBe(true);
    expect(Array.isArray(report.top_confusions)).toBe(true);

    expect(readable.code).toBe(0);
    for (const part of ["accuracy", "macro-F1", "ECE", "predictions/s", "Worst labels by F1", "Top confusions"]) {
      expect(readable.stdout).toContain(part);
    }

    expect(byArgs.code).toBe(0);
    const predictions = parseJsonLines(byArgs.stdout);
    expect(predictions.map((p) => p.label)).toEqual(["weather", "sports"]);
    for (const p of predictions) {
      expect(Object.keys(p)).toEqual(["text", "label", "confidence", "top"]);
      expect(p.top).toHaveLength(3);
      expect(p.confidence).toBeGreaterThan(0);
      expect(p.confidence).toBeLessThanOrEqual(1);
    }

    expect(byFile.code).toBe(0);
    const fromFile = parseJsonLines(byFile.stdout);
    expect(fromFile.map((p) => p.label)).toEqual(["weather", "cooking", "music"]);
    expect(fromFile.every((p) => Array.isArray(p.top) && p.top.length === 1)).toBe(true);

    expect(corrupt.code).toBe(1);
    expect(corrupt.stdout).toBe("");
    expect(expectOneLineError(corrupt)).toContain("corrupt.model");

    expect(cut.code).toBe(1);
    expect(expectOneLineError(cut)).toMatch(/truncated\.model.*truncated/);
  });

  it("exits with 2 and one line for usage errors", async () => {
    const [missing, unknown, topZero, both, nothing] = await Promise.all([
      run("train", "--out", "x.model"),
      run("predict", "--model", "m.model", "--bogus", "hello"),
      run("predict", "--model", "m.model", "--top", "0", "hello"),
      run("predict", "--model", "m.model", "--data", "texts.csv", "hello"),
      run("predict", "--model", "m.model"),
    ]);
    expect(missing.code).toBe(2);
    expect(expectOneLineError(missing)).toContain("--data");
    expect(unknown.code).toBe(2);
    expect(expectOneLineError(unknown)).toContain("--bogus");
    expect(topZero.code).toBe(2);
    expect(expectOneLineError(topZero)).toContain("--top");
    expect(both.code).toBe(2);
    expect(expectOneLineError(both)).toContain("not both");
    expect(nothing.code).toBe(2);
    expectOneLineError(nothing);
  });

  it("exits with 1 and names the line of a bad row; --verbose adds the stack", async () => {
    const [bad, verbose, skipped] = await Promise.all([
      run("train", "--data", "bad.csv", "--text-column", "text", "--label-column", "label", "--out", "bad.model"),
      run("train", "--verbose", "--data", "bad.csv", "--out", "bad.model"),
      run("eval", "--model", "missing.model", "--data", "bad.csv"),
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe("");
    const line = expectOneLineError(bad);
    expect(line).toContain("bad.csv line 3: empty text");
    expect(line).toContain("--on-bad-row skip");
    expect(verbose.code).toBe(1);
    expect(verbose.stderr).toContain("bad.csv line 3: empty text");
    expect(verbose.stderr).toMatch(/^\s+at /m);
    expect(skipped.code).toBe(1);
    expect(expectOneLineError(skipped)).toContain("model file not found: missing.model");
  });

  it("skips bad rows with --on-bad-row skip and warns on stderr", async () => {
    const rows = generateExamples(10, 0);
    await writeFile(join(dir, "some-bad.csv"), `${csv(rows)},weather\n`);
    const r = await run("train", "--data", "some-bad.csv", "--out", "skip.model", "--on-bad-row", "skip", "--epochs", "3");
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^apprentice: warning: Skipped 1 bad row in some-bad\.csv: line 42: empty text/m);
  });

  it("runs the gateway demo: replays traffic on both tasks, the specialists take over, and prints working examples", async () => {
    const r = await run("demo", "--no-serve", "--port", "0", "--db", "demo/demo.db");
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("Teacher: simulated, offline");
    const shares = /banking-demo: specialist share by quarter of the replay: ([\d.]+)% → [\d.]+% → [\d.]+% → ([\d.]+)%/.exec(r.stdout);
    expect(shares).not.toBeNull();
    expect(Number(shares![2])).toBeGreaterThan(Number(shares![1]) + 30);
    expect(r.stdout).toMatch(/banking-demo\s+420\s/);
    expect(r.stdout).toMatch(/so the specialist saved \d+\.\d{4}/);
    // The structured transfers task, replayed beside it: the specialist answers part of it (teacher
    // calls saved), every answer is scored whole (exact match), and one of its JSON answers is shown.
    const transfers = /transfers-demo\s+300\s+([\d.]+)%\s+(\d+)\s+(\d+)\s+([\d.]+)%/.exec(r.stdout);
    expect(transfers).not.toBeNull();
    expect(Number(transfers![1])).toBeGreaterThan(20);
    expect(Number(transfers![2]) + Number(transfers![3])).toBe(300);
    expect(Number(transfers![4])).toBeGreaterThan(70);
    const shown = /The specialist's chat completion for "(.+)": (\{.*\})$/m.exec(r.stdout);
    expect(shown).not.toBeNull();
    expect(Object.keys(JSON.parse(shown![2]) as object)).toEqual(["intent", "amount", "currency", "recipient", "when"]);
    // It exits, so it prints no address, keys or commands of a gateway that no longer runs.
    expect(r.stdout).toContain("The gateway has stopped (--no-serve)");
    expect(r.stdout).not.toMatch(/curl -s|Dashboard:|Admin key/);
    expect((await readdir(join(dir, "demo"))).includes("demo.db")).toBe(true);
  });

  it("prints help and the version with exit code 0", async () => {
    const [help, version] = await Promise.all([run("--help"), run("--version")]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("train");
    expect(version.code).toBe(0);
    const pkg = JSON.parse(await readFile(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
    expect(version.stdout.trim()).toBe(pkg.version);
  });
});
