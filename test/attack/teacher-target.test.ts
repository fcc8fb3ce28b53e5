// Finding 1 of issue 20: an admin could point a task's teacher at any URL with any environment
// variable as its key, and one predict call sent `Authorization: Bearer <the server's OpenAI key>`
// there. Reproduced over loopback: a listener stands where the attacker wants the key to go, the
// operator's own teacher is a fake OpenAI server; the listener must never see a request.
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseTask } from "../../src/task/definition.js";
import { FakeOpenAIServer, reply } from "../teacher/fake-openai-server.js";
import { startTestGateway, stopTestGateway, taskBody, type TestGateway } from "../server/helpers.js";

const SERVER_KEY = "sk-server-openai-key-5f0c1d9e7a3b42c8";
const OTHER_SECRET = "sk-other-secret-in-the-environment-77e1";

let listener: Server;
let listenerURL: string;
const received: IncomingHttpHeaders[] = [];
let legit: FakeOpenAIServer;
let g: TestGateway;

beforeAll(async () => {
  listener = createServer((req, res) => {
    received.push(req.headers);
    res.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: `you sent ${req.headers.authorization ?? "nothing"}` } }));
  });
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  listenerURL = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/v1`;
  legit = await FakeOpenAIServer.start();
  legit.fallback = reply.json("weather");
  // The operator's environment: the default teacher, and another secret the attacker names.
  const env = { OPENAI_API_KEY: SERVER_KEY, OPENAI_BASE_URL: legit.baseURL, ATTACKER_TARGET: OTHER_SECRET, HOME: "/home/gateway" };
  g = await startTestGateway(undefined, { env });
});

afterAll(async () => {
  await stopTestGateway(g);
  await legit.close();
  listener.closeAllConnections();
  await new Promise<void>((resolve) => listener.close(() => resolve()));
});

const hostileTeachers: [string, Record<string, unknown>][] = [
  ["base_url", { base_url: "LISTENER", api_key_env: "OPENAI_API_KEY" }],
  ["base_url", { name: "default", base_url: "LISTENER" }],
  ["api_key_env", { api_key_env: "HOME" }],
  ["api_key_env", { name: "default", api_key_env: "ATTACKER_TARGET" }],
  ["provider", { provider: "openai", model: "gpt-4o" }],
  ["model", { name: "default", model: "gpt-4-32k" }],
  ["price_input_per_mtok", { price_input_per_mtok: 0 }],
  ["concurrency", { concurrency: 256 }],
];

describe("a caller cannot choose where the teacher's key goes", () => {
  it("refuses an endpoint, key variable, provider, model, price or limit in a new task with a 400 naming the field", async () => {
    for (const [field, teacher] of hostileTeachers) {
      const body = taskBody(`hostile-${field.replaceAll("_", "-")}`, { teacher: JSON.parse(JSON.stringify(teacher).replace("LISTENER", listenerURL)) });
      const res = await g.request("POST", "/v1/tasks", { body });
      expect(res.status, JSON.stringify(teacher)).toBe(400);
      expect(res.body.error.message).toMatch(new RegExp(`^teacher\\.${field}: `));
      expect(res.body.error.message).not.toContain(SERVER_KEY);
    }
    expect((await g.request("GET", "/v1/tasks")).body.data).toEqual([]);
  });

  it("refuses the same in a change to an existing task, which stays as it was", async () => {
    expect((await g.request("POST", "/v1/tasks", { body: taskBody("victim", { teacher: {} }) })).status).toBe(201);
    const before = (await g.request("GET", "/v1/tasks/victim")).body;
    expect(before.definition.teacher.name).toBe("default");
    for (const [field, teacher] of hostileTeachers) {
      const res = await g.request("PATCH", "/v1/tasks/victim", { body: { teacher: JSON.parse(JSON.stringify(teacher).replace("LISTENER", listenerURL)) } });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(new RegExp(`^teacher\\.${field}: `));
    }
    const after = (await g.request("GET", "/v1/tasks/victim")).body;
    expect(after.definition).toEqual(before.definition);
    expect(after.updated_at).toBe(before.updated_at);
  });

  it("sends the declared teacher's key to the declared endpoint only, and the listener hears nothing", async () => {
    const res = await g.request("POST", "/v1/tasks/victim/predict", { key: g.adminKey, body: { input: "will it rain tomorrow", route: "teacher" } });
    expect(res.status).toBe(200);
    expect(res.body.label).toBe("weather");
    expect(legit.requests.at(-1)!.headers.authorization).toBe(`Bearer ${SERVER_KEY}`);
    expect(received).toEqual([]);
  });

  it("a task stored with the old teacher block pointing at the listener loads without a teacher: never a call, never a 500", async () => {
    // As an attacker could have stored it before this fix (written to the store directly: the API refuses it now).
    await g.store.tasks.create(parseTask(taskBody("legacy-hostile", { teacher: { provider: "openai", model: "gpt-4o-mini", base_url: listenerURL, api_key_env: "OPENAI_API_KEY" } })));
    const detail = await g.request("GET", "/v1/tasks/legacy-hostile");
    expect(detail.status).toBe(200);
    expect(detail.body.teacher).toMatchObject({ name: null, status: "unavailable" });
    expect(detail.body.teacher.reason).toMatch(/stored before teachers were declared/);
    expect(JSON.stringify(detail.body.teacher)).not.toContain(listenerURL);

    const predict = await g.request("POST", "/v1/tasks/legacy-hostile/predict", { key: g.adminKey, body: { input: "will it rain", route: "teacher" } });
    expect(predict.status).toBe(503);
    expect(predict.body.error.code).toBe("teacher_unavailable");
    const chat = await g.request("POST", "/v1/chat/completions", { key: g.predictKey, body: { model: "task:legacy-hostile", messages: [{ role: "user", content: "will it rain" }] } });
    expect(chat.status).toBe(503);
    expect(received).toEqual([]);

    // An admin repairs it by naming a declared teacher.
    expect((await g.request("PATCH", "/v1/tasks/legacy-hostile", { body: { teacher: { name: "default" } } })).status).toBe(200);
    expect((await g.request("GET", "/v1/tasks/legacy-hostile")).body.teacher).toMatchObject({ name: "default", status: "ready" });
  });

  it("a task stored with the old teacher block of the declared endpoint, or none, keeps its teacher", async () => {
    await g.store.tasks.create(parseTask(taskBody("legacy-same-url", { teacher: { provider: "openai", model: "gpt-4o-mini", base_url: `${legit.baseURL}/`, api_key_env: "SOME_OLD_VARIABLE" } })));
    await g.store.tasks.create(parseTask(taskBody("legacy-no-url", { teacher: { provider: "openai", model: "gpt-4o-mini", api_key_env: "HOME" } })));
    for (const name of ["legacy-same-url", "legacy-no-url"]) {
      expect((await g.request("GET", `/v1/tasks/${name}`)).body.teacher).toMatchObject({ name: "default", status: "ready" });
      const sent = legit.requests.length;
      const res = await g.request("POST", `/v1/tasks/${name}/predict`, { key: g.adminKey, body: { input: `is it sunny at ${name}`, route: "teacher" } });
      expect(res.status).toBe(200);
      // The operator's key for the operator's endpoint: not the variable the old block named.
      expect(legit.requests.slice(sent).map((r) => r.headers.authorization)).toEqual([`Bearer ${SERVER_KEY}`]);
    }
    expect(received).toEqual([]);
  });
});
