// Finding 5 of issue 20: a task created with `"teacher": {"provider": "sim"}` or a key variable
// that is not set got 201, then 500 "internal error" on every route of that task, for predict
// callers too. Now each is a 400 naming the field and nothing is stored; a task that lost its
// teacher (stored before teachers were declared) answers every route without a 500.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/server/config.js";
import { startGateway } from "../../src/server/start.js";
import { openStore } from "../../src/store/index.js";
import { parseTask } from "../../src/task/definition.js";
import { GOLD, startTestGateway, stopTestGateway, taskBody, type TestGateway } from "../server/helpers.js";

let g: TestGateway;
const dir = mkdtempSync(join(tmpdir(), "apprentice-misconfigured-"));

beforeAll(async () => {
  g = await startTestGateway(undefined, {
    // The operator declared a teacher whose key variable is not set, and one that is fine.
    teachers: { keyless: { base_url: "http://127.0.0.1:9/v1", api_key_env: "APPRENTICE_UNSET_KEY" }, llm: { base_url: "http://127.0.0.1:9/v1", api_key_env: "LLM_KEY" } },
    env: { LLM_KEY: "sk-llm-key-for-tests-0000" },
  });
});
afterAll(async () => {
  await stopTestGateway(g);
  rmSync(dir, { recursive: true, force: true });
});

describe("a misconfigured task is refused up front", () => {
  it("answers 400 naming the field for an unknown teacher, a missing key or the old provider field, and stores nothing", async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ name: "nobody" }, /^teacher\.name: no teacher "nobody" is declared on this gateway \(declared: sim, keyless, llm\)/],
      [{ name: "keyless" }, /^teacher\.name: teacher "keyless" has no API key: the operator must set the environment variable APPRENTICE_UNSET_KEY/],
      [{ provider: "sim" }, /^teacher\.provider: /],
      [{ name: "Not A Name" }, /teacher\.name: a teacher name is/],
    ];
    for (const [teacher, message] of cases) {
      const res = await g.request("POST", "/v1/tasks", { body: taskBody("broken", { teacher }) });
      expect(res.status, JSON.stringify(teacher)).toBe(400);
      expect(res.body.error.message).toMatch(message);
    }
    // Several teachers and no "default": a task must name one.
    const unnamed = await g.request("POST", "/v1/tasks", { body: taskBody("broken", { teacher: {} }) });
    expect(unnamed.status).toBe(400);
    expect(unnamed.body.error.message).toMatch(/^teacher\.name: this gateway declares several teachers \(sim, keyless, llm\): name one/);
    expect((await g.request("GET", "/v1/tasks/broken")).status).toBe(404);
  });

  it("refuses the simulated teacher where neither the demo nor a test enabled it", async () => {
    const plain = await startGateway({ db: join(dir, "plain.db"), port: 0, logger: false, handleSignals: false, env: { OPENAI_API_KEY: "sk-plain-0000000000" } });
    try {
      const key = (await plain.store.apiKeys.create("admin", "admin")).key;
      for (const teacher of [{ name: "sim" }, { provider: "sim" }]) {
        const res = await fetch(`${plain.url}/v1/tasks`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify(taskBody("simmed", { teacher })) });
        expect(res.status).toBe(400);
        expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/^teacher\.(name|provider): /);
      }
    } finally {
      await plain.close();
    }
    // Nor can the configuration file declare it.
    const config = parseConfig({ teachers: { fake: { provider: "sim" } } }, "apprentice.yaml", dir);
    await expect(startGateway({ config, db: join(dir, "sim.db"), port: 0, logger: false, handleSignals: false, env: {} })).rejects.toThrow(/teachers\.fake\.provider: the simulated teacher runs only in the demo and in tests/);
  });

  it("stops a configuration whose task names an undeclared teacher before writing anything", async () => {
    const config = parseConfig({ tasks: [{ task: taskBody("declared", { teacher: { name: "missing" } }) }] }, "apprentice.yaml", dir);
    const db = join(dir, "config.db");
    await expect(startGateway({ config, db, port: 0, logger: false, handleSignals: false, env: {}, simulatedTeacher: () => { throw new Error("unused"); } })).rejects.toThrow(/tasks\[0\] of the configuration: teacher\.name: no teacher "missing" is declared/);
    const store = await openStore(db);
    try {
      expect(await store.tasks.list()).toEqual([]);
    } finally {
      await store.close();
    }
  });
});

describe("a task whose teacher is gone", () => {
  it("answers every route without a 500: the specialist where it can, 503 where only the teacher could", async () => {
    // Stored before teachers were declared, with a key variable that is not set and an endpoint nobody declared.
    await g.store.tasks.create(parseTask(taskBody("orphan", { teacher: { provider: "openai", model: "m", base_url: "http://127.0.0.1:9/elsewhere", api_key_env: "APPRENTICE_UNSET_KEY" } })));
    const admin = (method: string, path: string, body?: unknown) => g.request(method, path, body === undefined ? {} : { body });
    const predict = (body: unknown) => g.request("POST", "/v1/tasks/orphan/predict", { key: g.predictKey, body });
    const statuses: Record<string, number> = {
      get: (await admin("GET", "/v1/tasks/orphan")).status,
      stats: (await admin("GET", "/v1/tasks/orphan/stats")).status,
      examples: (await admin("GET", "/v1/tasks/orphan/examples")).status,
      models: (await admin("GET", "/v1/tasks/orphan/models")).status,
      // No specialist yet: only the teacher could answer.
      predict: (await predict({ input: GOLD[0].text })).status,
      batch: (await predict({ inputs: [GOLD[0].text, GOLD[1].text] })).status,
      chat: (await g.request("POST", "/v1/chat/completions", { key: g.predictKey, body: { model: "task:orphan", messages: [{ role: "user", content: GOLD[0].text }] } })).status,
      import: (await admin("POST", "/v1/tasks/orphan/examples", GOLD.slice(0, 300))).status,
    };
    expect(statuses).toEqual({ get: 200, stats: 200, examples: 200, models: 200, predict: 503, batch: 200, chat: 503, import: 200 });
    // With a specialist trained on imported labels, it answers what it is sure of.
    await g.app.runtimes.idle();
    const answered = await predict({ input: GOLD[1].text, route: "specialist" });
    expect(answered.status).toBe(200);
    expect(answered.body.source).toBe("specialist");
  });
});
