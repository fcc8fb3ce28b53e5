// Shared setup for the gateway tests: a gateway on 127.0.0.1:0 over a temporary SQLite file,
// with the simulated teacher answering from a generated gold set.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startGateway, type Gateway, type StartOptions } from "../../src/server/start.js";
import type { RateLimit } from "../../src/server/http/rate-limit.js";
import type { TeacherBreakerOptions } from "../../src/server/runtime/task-runtime.js";
import type { TeacherDeclaration, TeacherRegistryOptions } from "../../src/server/runtime/teachers.js";
import type { UpstreamOptions } from "../../src/server/openai/upstream.js";
import { openStore, type Store } from "../../src/store/index.js";
import { SimulatedTeacher } from "../../src/teacher/index.js";
import type { Teacher } from "../../src/teacher/types.js";
import { LABELS, topicTexts, type Labelled } from "../cascade/fixtures.js";

/** Every text the simulated teacher knows: the first 300 are imported as examples in the tests. */
export const GOLD: Labelled[] = topicTexts(400, 7);

/** The simulated teacher the test gateways use by default: right about every GOLD text. */
export function simulatedTeacher(): SimulatedTeacher {
  return new SimulatedTeacher({ labels: LABELS, gold: GOLD, accuracy: 1, seed: 1 });
}

let taskSerial = 0;

/** Creates a task with a name no other test of this process uses (`prefix` and a serial number), so counts never depend on another test's imports. */
export async function createFreshTask(g: TestGateway, prefix: string, overrides: Record<string, unknown> = {}): Promise<string> {
  const name = `${prefix}${++taskSerial}`;
  const res = await g.request("POST", "/v1/tasks", { body: taskBody(name, overrides) });
  if (res.status !== 201) throw new Error(`creating task ${name}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  return name;
}

export function taskBody(name = "topics", overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    instructions: "Classify the topic of the message.",
    labels: LABELS.map((l) => (l === "weather" ? { name: l, answer: "Here is the weather forecast." } : { name: l })),
    teacher: { name: "sim" },
    routing: { max_error: 0.1, confidence_level: 0.95, audit_rate: 0 },
    training: { retrain_every: 50, min_examples: 50, holdout_fraction: 0.3, seed: 1 },
    ...overrides,
  };
}

export interface TestGateway extends Gateway {
  dir: string;
  dbPath: string;
  adminKey: string;
  predictKey: string;
  /** `contentType` overrides application/json for a body; null sends none. */
  // Response bodies are arbitrary JSON, read field by field in the tests.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  request(method: string, path: string, options?: { key?: string | null; body?: unknown; rawBody?: string; contentType?: string | null }): Promise<{ status: number; body: any; headers: Headers }>;
}

/**
 * `teacher` replaces the simulated teacher "sim" (every task shares it); `teachers` declares more,
 * as an operator would (the environment declares none here: the gateway gets an empty one).
 */
export async function startTestGateway(
  existing?: { dir: string; adminKey: string; predictKey: string },
  extra: {
    upstream?: UpstreamOptions;
    rateLimit?: RateLimit | false;
    teacher?: Teacher;
    teachers?: Record<string, TeacherDeclaration>;
    /** What the declared OpenAI teachers read their keys from. */
    env?: NodeJS.ProcessEnv;
    openaiTeacher?: TeacherRegistryOptions["openai"];
    teacherBreaker?: TeacherBreakerOptions;
    /** A store to serve (default: the SQLite file test.db in the directory). */
    store?: Store;
    syncIntervalMs?: number;
    /** Any other gateway option (retention, authFailures, metricsRequireKey…). */
    options?: Partial<StartOptions>;
  } = {},
): Promise<TestGateway> {
  const dir = existing?.dir ?? mkdtempSync(join(tmpdir(), "apprentice-server-"));
  const dbPath = join(dir, "test.db");
  const store = extra.store ?? (await openStore(dbPath));
  let adminKey = existing?.adminKey;
  let predictKey = existing?.predictKey;
  if (adminKey === undefined || predictKey === undefined) {
    adminKey = (await store.apiKeys.create("test admin", "admin")).key;
    predictKey = (await store.apiKeys.create("test predict", "predict")).key;
  }
  const teacher = extra.teacher ?? simulatedTeacher();
  const gateway = await startGateway({
    store,
    port: 0,
    host: "127.0.0.1",
    logger: false,
    handleSignals: false,
    checkReplies: true,
    simulatedTeacher: () => teacher,
    env: extra.env ?? {},
    ...(extra.teachers === undefined ? {} : { teachers: extra.teachers }),
    ...(extra.openaiTeacher === undefined ? {} : { openaiTeacher: extra.openaiTeacher }),
    upstream: extra.upstream,
    ...(extra.rateLimit === undefined ? {} : { rateLimit: extra.rateLimit }),
    ...(extra.teacherBreaker === undefined ? {} : { teacherBreaker: extra.teacherBreaker }),
    ...(extra.syncIntervalMs === undefined ? {} : { syncIntervalMs: extra.syncIntervalMs }),
    ...extra.options,
  });
  const admin = adminKey;
  const request: TestGateway["request"] = async (method, path, options = {}) => {
    const key = options.key === undefined ? admin : options.key;
    const headers: Record<string, string> = {};
    if (key !== null) headers.authorization = `Bearer ${key}`;
    let body: string | undefined;
    if (options.rawBody !== undefined) body = options.rawBody;
    else if (options.body !== undefined) body = JSON.stringify(options.body);
    const contentType = options.contentType === undefined ? "application/json" : options.contentType;
    if (body !== undefined && contentType !== null) headers["content-type"] = contentType;
    // fetch labels a string body text/plain; bytes go out with no content-type at all.
    const res = await fetch(gateway.url + path, { method, headers, body: body !== undefined && contentType === null ? new TextEncoder().encode(body) : body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text === "" ? null : JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };
  return { ...gateway, dir, dbPath, adminKey, predictKey, request };
}

export async function stopTestGateway(g: TestGateway, removeDir = true): Promise<void> {
  await g.close();
  if (removeDir) rmSync(g.dir, { recursive: true, force: true });
}
