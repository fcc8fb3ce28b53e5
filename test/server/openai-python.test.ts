// The OpenAI surface through the official Python client, when python3 with `openai` is installed
// (CI installs it; elsewhere the test says why it is skipped).
import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GOLD, startTestGateway, stopTestGateway, taskBody, type TestGateway } from "./helpers.js";

const SCRIPT = fileURLToPath(new URL("./python/openai_client_check.py", import.meta.url));
const pythonReady = spawnSync("python3", ["-c", "import openai"], { stdio: "ignore" }).status === 0;
if (!pythonReady) console.warn("openai-python.test: skipped, python3 with the openai package is not installed (pip install openai)");

describe.skipIf(!pythonReady)("the official Python openai client", () => {
  let g: TestGateway;
  beforeAll(async () => {
    g = await startTestGateway();
    expect((await g.request("POST", "/v1/tasks", { body: taskBody("py") })).status).toBe(201);
  });
  afterAll(async () => {
    await stopTestGateway(g);
  });

  it("gets completions, JSON content, models, and OpenAI-shaped refusals", async () => {
    const sports = GOLD.find((e) => e.label === "sports")!;
    const env = { ...process.env, APPRENTICE_URL: g.url, APPRENTICE_KEY: g.predictKey, APPRENTICE_MODEL: "task:py", APPRENTICE_TEXT: sports.text };
    // Asynchronous: the gateway answering the script runs in this process.
    const { stdout: out } = await promisify(execFile)("python3", [SCRIPT], { env, encoding: "utf8", timeout: 60_000 });
    const seen = JSON.parse(out.trim().split("\n").at(-1)!);
    expect(seen).toEqual({ plain: "sports", json_object: { label: "sports" }, retrieved: "task:py", listed: ["task:py"], n2: "unsupported_parameter", embeddings: 404 });
  });
});
