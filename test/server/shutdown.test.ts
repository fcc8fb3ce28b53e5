// Graceful shutdown: closing the gateway (what SIGTERM does) lets an in-flight request finish,
// its log row and example are stored, and new connections are refused. Ordered by promises, not time.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startGateway } from "../../src/server/start.js";
import { openStore } from "../../src/store/index.js";
import type { Teacher, TeacherAnswer } from "../../src/teacher/types.js";
import { taskBody } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "apprentice-shutdown-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A teacher that answers only when released, and says when it has been asked. */
function heldTeacher(label: string) {
  let asked!: () => void;
  let release!: () => void;
  const wasAsked = new Promise<void>((r) => (asked = r));
  const released = new Promise<void>((r) => (release = r));
  const teacher: Teacher = {
    name: "held",
    async classify(): Promise<TeacherAnswer> {
      asked();
      await released;
      return { label, status: "ok", usage: { input_tokens: 10, output_tokens: 1 }, cost: 0.001, latency_ms: 1, attempts: 1 };
    },
  };
  return { teacher, wasAsked, release };
}

describe("graceful shutdown", () => {
  it("finishes the request in flight, stores what it learned, then stops listening", async () => {
    const db = join(dir, "gw.db");
    const store = await openStore(db);
    const key = (await store.apiKeys.create("t", "admin")).key;
    const held = heldTeacher("sports");
    const g = await startGateway({ store, port: 0, logger: false, handleSignals: false, simulatedTeacher: () => held.teacher });
    const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
    expect((await fetch(`${g.url}/v1/tasks`, { method: "POST", headers, body: JSON.stringify(taskBody("t")) })).status).toBe(201);

    const inFlight = fetch(`${g.url}/v1/tasks/t/predict`, { method: "POST", headers, body: JSON.stringify({ input: "who won the match" }) });
    await held.wasAsked;
    const closed = g.close();
    let closedEarly = false;
    void closed.then(() => (closedEarly = true));
    // Closing waits for the request: give the event loop a few turns, it must still be open.
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(closedEarly).toBe(false);
    held.release();

    const res = await inFlight;
    expect(res.status).toBe(200);
    const body = (await res.json()) as { label: string; request_id: string };
    expect(body.label).toBe("sports");
    await closed;
    await expect(fetch(`${g.url}/healthz`)).rejects.toThrow();

    const reopened = await openStore(db);
    try {
      expect(await reopened.requests.get(body.request_id)).toMatchObject({ label: "sports", source: "teacher" });
      expect(await reopened.examples.get("t", "who won the match")).toMatchObject({ label: "sports", source: "teacher" });
    } finally {
      await reopened.close();
    }
  });
});
