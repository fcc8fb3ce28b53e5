// `apprentice tasks|import|stats` run in-process against a real gateway (startTestGateway): what
// they print, their exit codes, and that what they claim to have done happened on the gateway.
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { stringify as toYaml } from "yaml";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { main } from "../../src/cli/main.js";
import type { CliRun } from "../helpers/run-cli.js";
import { LABELS } from "../cascade/fixtures.js";
import { GOLD, startTestGateway, stopTestGateway, taskBody, type TestGateway } from "../server/helpers.js";

let g: TestGateway;

/** Runs `apprentice …args` in this process, capturing stdout and stderr. */
async function cli(...args: string[]): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const capture = (append: (s: string) => void) => ((chunk: string | Uint8Array) => (append(String(chunk)), true)) as typeof process.stdout.write;
  const outSpy = vi.spyOn(process.stdout, "write").mockImplementation(capture((s) => (stdout += s)));
  const errSpy = vi.spyOn(process.stderr, "write").mockImplementation(capture((s) => (stderr += s)));
  // main() adds an EPIPE listener on stdout per run; remove it so runs do not pile listeners up.
  const listeners = new Set(process.stdout.listeners("error"));
  try {
    const code = await main(["node", "apprentice", ...args]);
    return { code, stdout, stderr };
  } finally {
    outSpy.mockRestore();
    errSpy.mockRestore();
    for (const l of process.stdout.listeners("error")) if (!listeners.has(l)) process.stdout.off("error", l as (...a: unknown[]) => void);
  }
}

/** The same command against the test gateway with its admin key. */
const gw = (...args: string[]) => cli(...args, "--url", g.url, "--key", g.adminKey);

function file(name: string, content: string): string {
  const path = join(g.dir, name);
  writeFileSync(path, content);
  return path;
}

const csvCell = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
const csv = (rows: { text: string; label: string }[]) => `text,label\n${rows.map((r) => `${csvCell(r.text)},${r.label}`).join("\n")}\n`;
const jsonl = (rows: { text: string; label: string }[]) => rows.map((r) => JSON.stringify({ text: r.text, label: r.label })).join("\n") + "\n";

async function examplesOf(name: string): Promise<number> {
  const res = await g.request("GET", `/v1/tasks/${name}`);
  expect(res.status).toBe(200);
  return res.body.cascade.examples as number;
}

/** The one error line a failed command prints last. */
function lastLine(text: string): string {
  return text.trimEnd().split("\n").at(-1) ?? "";
}

beforeAll(async () => {
  g = await startTestGateway();
});

afterAll(async () => {
  await stopTestGateway(g);
});

// The defaults come from the environment, which may name another gateway: the tests pass --url
// and --key unless they test the defaults.
beforeEach(() => {
  vi.stubEnv("APPRENTICE_URL", undefined);
  vi.stubEnv("APPRENTICE_KEY", undefined);
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("apprentice tasks", () => {
  it("is listed by --help with import and stats", async () => {
    const help = await cli("--help");
    expect(help.code).toBe(0);
    for (const command of ["tasks", "import", "stats"]) expect(help.stdout).toMatch(new RegExp(`^  ${command}\\b`, "m"));
  });

  it("lists no tasks on an empty gateway", async () => {
    const r = await gw("tasks", "list");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("no tasks yet");
  });

  it("creates tasks from JSON and YAML files, and refuses a duplicate", async () => {
    const created = await gw("tasks", "create", file("topics.json", JSON.stringify(taskBody("topics"))));
    expect(created.code).toBe(0);
    expect(created.stdout).toContain(`created task topics (${LABELS.length} labels)`);

    const yaml = await gw("tasks", "create", file("other.yaml", toYaml(taskBody("other"))));
    expect(yaml.code).toBe(0);
    expect((await g.request("GET", "/v1/tasks/other")).status).toBe(200);

    const again = await gw("tasks", "create", join(g.dir, "topics.json"));
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^apprentice: gateway: 409 .*already exists/);
  });

  it("reports an invalid task file without calling the gateway", async () => {
    const r = await gw("tasks", "create", file("bad-task.json", JSON.stringify({ name: "Bad Name!" })));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("bad-task.json");
    expect((await g.request("GET", "/v1/tasks")).body.data).toHaveLength(2);
  });

  it("lists tasks as a table and as JSON", async () => {
    const table = await gw("tasks", "list");
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^name\s+answers\s+examples\s+model$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/))).toEqual([
      ["other", String(LABELS.length), "labels", "0", "none"],
      ["topics", String(LABELS.length), "labels", "0", "none"],
    ]);

    const json = await gw("tasks", "list", "--json");
    expect(json.code).toBe(0);
    expect((JSON.parse(json.stdout) as { data: { name: string }[] }).data.map((t) => t.name)).toEqual(["other", "topics"]);
  });

  it("shows a task, and says when there is none", async () => {
    const shown = await gw("tasks", "show", "topics");
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain("Classify the topic of the message.");
    expect(shown.stdout).toMatch(new RegExp(`labels\\s+${LABELS.length}: ${LABELS[0]}, ${LABELS[1]}`));
    expect(shown.stdout).toMatch(/model\s+none yet/);

    const json = await gw("tasks", "show", "topics", "--json");
    expect(JSON.parse(json.stdout)).toMatchObject({ name: "topics", model_version: 0 });

    const missing = await gw("tasks", "show", "nope");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^apprentice: gateway: 404 no task "nope"/);
  });

  it("deletes a task only with --yes", async () => {
    const refused = await gw("tasks", "delete", "other");
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("--yes");
    expect((await g.request("GET", "/v1/tasks/other")).status).toBe(200);

    const deleted = await gw("tasks", "delete", "other", "--yes");
    expect(deleted.code).toBe(0);
    expect((await g.request("GET", "/v1/tasks/other")).status).toBe(404);

    const again = await gw("tasks", "delete", "other", "--yes");
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("404");
  });

  it("creates, shows and lists a structured task by its fields, saying which only the teacher answers", async () => {
    const task = { name: "transfers", instructions: "Read the request.", teacher: { name: "sim" }, output: { properties: { intent: { enum: ["send", "ask"] }, amount: { extract: true }, note: { type: "string" } } } };
    const created = await gw("tasks", "create", file("transfers.yaml", toYaml(task)));
    expect(created.code).toBe(0);
    expect(created.stdout).toContain("created task transfers (3 fields)");
    expect(created.stdout).toMatch(/field note is teacher-only/);
    const shown = await gw("tasks", "show", "transfers");
    expect(shown.stdout).toMatch(/^\s+fields\s+3: intent, amount, note$/m);
    const listed = await gw("tasks", "list");
    expect(listed.stdout.split("\n").find((l) => l.startsWith("transfers"))?.split(/\s+/)).toEqual(["transfers", "3", "fields", "0", "none"]);
    expect((await gw("tasks", "delete", "transfers", "--yes")).code).toBe(0);
  });

  it("fails to train a task without examples, saying why", async () => {
    await g.request("POST", "/v1/tasks", { body: taskBody("empty") });
    const r = await gw("tasks", "train", "empty");
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toMatch(/^apprentice: task "empty" was not retrained: /);
    await g.request("DELETE", "/v1/tasks/empty");
  });
});

describe("apprentice import", () => {
  it("imports a JSON array", async () => {
    const before = await examplesOf("topics");
    const r = await gw("import", "topics", file("first.json", JSON.stringify(GOLD.slice(0, 20))));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("20 of 20 rows accepted, 20 new");
    expect(await examplesOf("topics")).toBe(before + 20);
  });

  it("imports a CSV file and prints the counts", async () => {
    const before = await examplesOf("topics");
    const r = await gw("import", "topics", file("train.csv", csv(GOLD.slice(20, 150))));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("130 of 130 rows accepted, 130 new");
    expect(await examplesOf("topics")).toBe(before + 130);
  });

  it("imports a JSONL file", async () => {
    const before = await examplesOf("topics");
    const r = await gw("import", "topics", file("more.jsonl", jsonl(GOLD.slice(150, 300))));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("150 of 150 rows accepted");
    expect(await examplesOf("topics")).toBe(before + 150);
  });

  it("names the bad line of a file and imports nothing without --partial", async () => {
    const rows = GOLD.slice(300, 303).map((r, i) => (i === 1 ? { ...r, label: "astrology" } : r));
    const path = file("bad.csv", csv(rows));
    const before = await examplesOf("topics");

    const r = await gw("import", "topics", path);
    expect(r.code).toBe(1);
    // Line 1 is the header: the second row is on line 3.
    expect(r.stderr).toMatch(new RegExp(`^apprentice: ${escapeRegExp(path)}:3: .*astrology`, "m"));
    expect(lastLine(r.stderr)).toContain("--partial");
    expect(await examplesOf("topics")).toBe(before);

    const partial = await gw("import", "topics", path, "--partial");
    expect(partial.code).toBe(0);
    expect(partial.stderr).toContain(`${path}:3: `);
    expect(partial.stdout).toContain("2 of 3 rows accepted");
    expect(await examplesOf("topics")).toBe(before + 2);
  });

  it("names a bad item of a JSON array by its position", async () => {
    const rows = [GOLD[303], { text: GOLD[304].text, label: 7 }];
    const r = await gw("import", "topics", file("bad.json", JSON.stringify(rows)));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("bad.json: item 2: ");
  });

  it("lists the first 20 rejected rows and counts the rest", async () => {
    const rows = GOLD.slice(305, 330).map((r, i) => (i < 23 ? { ...r, label: "astrology" } : r));
    const r = await gw("import", "topics", file("many-bad.csv", csv(rows)), "--partial");
    expect(r.code).toBe(0);
    expect(r.stderr.match(/many-bad\.csv:\d+: /g)).toHaveLength(20);
    expect(r.stderr).toContain("and 3 more rejected rows");
    expect(r.stdout).toContain("2 of 25 rows accepted");
  });

  it("refuses a file whose format it cannot tell, and a missing file", async () => {
    const unknown = await gw("import", "topics", file("examples.txt", "hello"));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(".csv, .jsonl, .ndjson or .json");

    const missing = await gw("import", "topics", join(g.dir, "absent.csv"));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("file not found");
  });
});

describe("apprentice stats", () => {
  it("counts the requests made", async () => {
    for (const { text } of GOLD.slice(350, 353)) expect((await g.request("POST", "/v1/tasks/topics/predict", { body: { input: text } })).status).toBe(200);
    // No other test predicts on this task.
    const expected = 3;
    expect((await g.request("GET", "/v1/tasks/topics/stats")).body.requests).toBe(expected);

    const r = await gw("stats", "topics");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Stats of topics/);
    expect(r.stdout).toMatch(new RegExp(`^  requests\\s+${expected}$`, "m"));
    expect(r.stdout).toMatch(/teacher calls\s+\d+/);
    // The simulated teacher knows every GOLD text: none of them is answered "none of these".
    expect(r.stdout).toMatch(/^ {2}none of these\s+0 \(0(\.0)?%\)$/m);
    expect(r.stdout).toMatch(/^ {2}day\s+requests\s+specialist\s+teacher\s+cost$/m);

    const json = await gw("stats", "topics", "--json");
    expect(JSON.parse(json.stdout)).toMatchObject({ task: "topics", requests: expected });
  });

  it("retrains a task with examples and prints the outcome", async () => {
    const r = await gw("tasks", "train", "topics");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Retrained topics: /);
    expect(r.stdout).toMatch(/training examples\s+\d+/);
  });
});

describe("connection and credentials", () => {
  it("takes the URL and key from APPRENTICE_URL and APPRENTICE_KEY", async () => {
    vi.stubEnv("APPRENTICE_URL", g.url);
    vi.stubEnv("APPRENTICE_KEY", g.adminKey);
    const r = await cli("tasks", "list", "--json");
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toHaveProperty("data");
  });

  it("reports a wrong key without printing it", async () => {
    const key = `apx_${"Wrong0Key1Never2Printed3".repeat(2)}`;
    const r = await cli("tasks", "list", "--url", g.url, "--key", key);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^apprentice: gateway: 401 .*check --key or APPRENTICE_KEY/);
    expect(r.stderr + r.stdout).not.toContain(key);
    expect(r.stderr).not.toContain(key.slice(4, 20));
  });

  it("says how to fix a missing key", async () => {
    const r = await cli("stats", "topics", "--url", g.url);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/401 .*pass --key or set APPRENTICE_KEY/);
  });

  it("says the gateway is not reachable, and how to start one", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const r = await cli("tasks", "list", "--url", url, "--key", g.adminKey);
    expect(r.code).toBe(1);
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`the gateway at ${url} is not reachable`);
    expect(lines[0]).toContain("apprentice serve");
    expect(r.stderr).not.toContain(g.adminKey);
  });

  it("refuses a URL that is not http(s) as a usage error", async () => {
    const r = await cli("tasks", "list", "--url", "localhost:8080");
    expect(r.code).toBe(2);
  });
});

/** A port nothing listens on: bound by the OS, then released. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
