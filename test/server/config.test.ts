// The configuration file: validation messages, and a gateway started from one (tasks from files
// and inline, teacher defaults merged, examples imported once, keys installed from the
// environment, aliases, DATABASE_URL), restarted with the same and a changed file.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { stringify as toYaml } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfigFile, parseConfig } from "../../src/server/config.js";
import { startGateway } from "../../src/server/start.js";
import { SimulatedTeacher } from "../../src/teacher/index.js";
import { runCli } from "../helpers/run-cli.js";
import { LABELS } from "../cascade/fixtures.js";
import { GOLD, taskBody } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "apprentice-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ADMIN_KEY = "apx_" + "A".repeat(43);
const APP_KEY = "apx_" + "b".repeat(40);
const env = { DATABASE_URL: join(dir, "from-env.db"), ADMIN_KEY, APP_KEY };
const teacher = new SimulatedTeacher({ labels: LABELS, gold: GOLD, accuracy: 1, seed: 1 });

function write(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function csv(rows: { text: string; label: string }[]): string {
  return "text,label\n" + rows.map((r) => `"${r.text.replace(/"/g, '""')}",${r.label}`).join("\n") + "\n";
}

/** apprentice.yaml with a task file (written beside it) and an inline task. */
function configYaml(overrides: Record<string, unknown> = {}): string {
  write("topics.yaml", toYaml(taskBody("topics-file", { teacher: { name: "sim", temperature: 0.5 } })));
  return toYaml({
    teacher: { few_shot: 1 },
    tasks: [
      { file: "topics.yaml", examples: "topics.csv" },
      { task: taskBody("topics-inline") },
    ],
    aliases: { "support-bot": "task:topics-file" },
    keys: [
      { name: "ops", role: "admin", key_env: "ADMIN_KEY" },
      { name: "app", role: "predict", key_env: "APP_KEY" },
    ],
    rate_limit: { requests_per_second: 500 },
    request_log: "sync",
    ...overrides,
  });
}

describe("configuration validation", () => {
  it("names each problem with its path", () => {
    const cases: [unknown, RegExp][] = [
      [{ servr: {} }, /\(config\): Unrecognized key: "servr"/],
      [{ server: { port: 70000 } }, /server\.port: /],
      [{ aliases: { bot: "gpt-4o" } }, /aliases\.bot: an alias must point to "task:<name>"/],
      [{ tasks: [{ file: "a.yaml", task: {} }] }, /tasks\.0: give either file or task/],
      [{ keys: [{ name: "k", role: "root", key_env: "K" }] }, /keys\.0\.role/],
      [{ teacher: { provider: "anthropic" } }, /teacher\.provider/],
      [{ teacher: { base_url: "http://127.0.0.1:9/v1" } }, /teacher\.base_url: declare the teacher under teachers:/],
      [{ teachers: { "Big Model": {} } }, /teachers\.Big Model/],
      [{ teachers: { llm: { api_key: "sk-in-the-file" } } }, /teachers\.llm: Unrecognized key: "api_key"/],
      [{ capture: { task_defaults: { routing: { max_error: 2 } } } }, /capture\.task_defaults\.routing\.max_error: /],
      [{ capture: { task_defaults: { training: { learn_from_keys: ["a"] } } } }, /capture\.task_defaults\.training: Unrecognized key: "learn_from_keys"/],
    ];
    for (const [data, message] of cases) expect(() => parseConfig(data, "apprentice.yaml", dir), JSON.stringify(data)).toThrow(message);
    expect(parseConfig(null, "empty.yaml", dir)).toMatchObject({ tasks: [], keys: [], aliases: {}, server: {} });
  });

  it("reports unreadable and malformed files", async () => {
    await expect(loadConfigFile(join(dir, "nope.yaml"))).rejects.toThrow(/nope\.yaml: file not found/);
    await expect(loadConfigFile(write("bad.yaml", "tasks: [\n"))).rejects.toThrow(/bad\.yaml is not valid YAML/);
    await expect(loadConfigFile(write("conf.toml", ""))).rejects.toThrow(ConfigError);
  });
});

describe("a gateway started from a configuration file", () => {
  const start = async (configPath: string, extraEnv: Record<string, string> = {}) =>
    startGateway({ config: await loadConfigFile(configPath), env: { ...env, ...extraEnv }, port: 0, logger: false, handleSignals: false, simulatedTeacher: () => teacher });

  it("creates the declared tasks, imports examples once, installs keys and serves aliases", async () => {
    write("topics.csv", csv(GOLD.slice(0, 300)));
    const path = write("apprentice.yaml", configYaml());
    const g = await start(path);
    try {
      expect(g.store.location).toContain("from-env.db");
      expect(g.bootstrap).toMatchObject({ created: ["topics-file", "topics-inline"], imported: { "topics-file": 300 }, keys: [{ name: "ops", created: true }, { name: "app", created: true }] });
      const stored = (await g.store.tasks.get("topics-file"))!.definition;
      // The configuration's teacher settings are defaults; the task file's own win.
      expect(stored.teacher).toMatchObject({ name: "sim", few_shot: 1, temperature: 0.5 });
      expect((await g.store.tasks.get("topics-inline"))!.definition.teacher).toMatchObject({ name: "sim", few_shot: 1, temperature: 0 });
      expect(await g.store.examples.count("topics-file")).toBe(300);

      await g.app.runtimes.idle();
      const client = new OpenAI({ baseURL: `${g.url}/v1`, apiKey: APP_KEY });
      const models = (await client.models.list()).data.map((m) => m.id);
      expect(models).toEqual(expect.arrayContaining(["task:topics-file", "task:topics-inline", "support-bot"]));
      const reply = await client.chat.completions.create({ model: "support-bot", messages: [{ role: "user", content: GOLD[350].text }] });
      const label = GOLD[350].label;
      expect(reply.choices[0].message.content).toBe(label === "weather" ? "Here is the weather forecast." : label);
      // The rate limit from the file is in force.
      const res = await fetch(`${g.url}/v1/models`, { headers: { authorization: `Bearer ${APP_KEY}` } });
      expect(res.headers.get("x-ratelimit-limit")).toBe("500");
      expect(g.app.requestLog.mode).toBe("sync");
    } finally {
      await g.close();
    }

    // Restart with the same file: nothing is created twice; then with a changed task.
    const again = await start(path);
    try {
      expect(again.bootstrap).toMatchObject({ created: [], updated: [], unchanged: ["topics-file", "topics-inline"], keys: [{ created: false }, { created: false }] });
      expect(await again.store.examples.count("topics-file")).toBe(300);
    } finally {
      await again.close();
    }
    const changed = write("changed.yaml", configYaml({ teacher: { few_shot: 4 } }));
    const third = await start(changed);
    try {
      expect(third.bootstrap).toMatchObject({ updated: ["topics-file", "topics-inline"] });
      expect((await third.store.tasks.get("topics-inline"))!.definition.teacher.few_shot).toBe(4);
    } finally {
      await third.close();
    }
  });

  it("stops before writing anything when a declaration is wrong", async () => {
    const db = join(dir, "untouched.db");
    write("bad-labels.csv", csv([GOLD[0], { text: "what is this", label: "astrology" }]));
    const badExamples = write("bad-examples.yaml", toYaml({ tasks: [{ task: taskBody("fresh"), examples: "bad-labels.csv" }] }));
    await expect(start(badExamples, { DATABASE_URL: db })).rejects.toThrow(/bad-labels\.csv:3: label "astrology" is not one of task "fresh"'s labels/);
    const missingKey = write("missing-key.yaml", toYaml({ tasks: [{ task: taskBody("fresh") }], keys: [{ name: "ops", role: "admin", key_env: "NOT_SET_ANYWHERE" }] }));
    await expect(start(missingKey, { DATABASE_URL: db })).rejects.toThrow(/environment variable NOT_SET_ANYWHERE is not set/);
    const g = await startGateway({ db, port: 0, logger: false, handleSignals: false, simulatedTeacher: () => teacher });
    try {
      expect(await g.store.tasks.list()).toEqual([]);
      expect(await g.store.apiKeys.count()).toBe(0);
    } finally {
      await g.close();
    }
  });

  it("apprentice serve exits 1 with the file's problem", async () => {
    const result = await runCli(dir, "serve", "--config", write("typo.yaml", "servr: {}\n"));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/typo\.yaml is invalid: \(config\): Unrecognized key: "servr"/);
  });
});
