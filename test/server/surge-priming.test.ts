// The surge guard across a restart: a gateway that starts again reads the task's last logged
// requests into the guard, so a burst of one label right after the restart is a surge at once,
// where a guard starting empty could not act before 200 requests had passed through it; and the
// replay is bounded in characters, whatever callers sent.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SURGE_WINDOW } from "../../src/cascade/surge-guard.js";
import { primingSlices } from "../../src/server/runtime/surge-priming.js";
import { LABELS, topicTexts } from "../cascade/fixtures.js";
import { GOLD, startTestGateway, stopTestGateway, taskBody, type TestGateway } from "./helpers.js";

let g: TestGateway;

beforeAll(async () => {
  g = await startTestGateway();
  expect((await g.request("POST", "/v1/tasks", { body: taskBody("surging") })).status).toBe(201);
  expect((await g.request("POST", "/v1/tasks/surging/examples", { body: GOLD.slice(0, 300) })).status).toBe(200);
  await g.app.runtimes.idle();
});
afterAll(async () => {
  await stopTestGateway(g);
});

const predictAll = async (texts: string[]) => {
  for (let i = 0; i < texts.length; i += 100) {
    const res = await g.request("POST", "/v1/tasks/surging/predict", { key: g.predictKey, body: { inputs: texts.slice(i, i + 100) } });
    expect(res.status).toBe(200);
  }
  await g.app.runtimes.idle();
};

describe("surge guard after a restart", () => {
  it("compares the first requests after a restart with the traffic logged before it", async () => {
    // Mixed traffic, every label in turn, well past the guard's window.
    await predictAll(topicTexts(1200, 21).map((e) => e.text));
    const before = (await g.request("GET", "/v1/tasks/surging")).body.cascade;
    expect(before.specialist_answers).toBeGreaterThan(600);
    expect(before.surging).toEqual([]);

    const keys = { dir: g.dir, adminKey: g.adminKey, predictKey: g.predictKey };
    await stopTestGateway(g, false);
    g = await startTestGateway(keys);
    // Loaded and primed: nothing surges in traffic like the logged one.
    const loaded = (await g.request("GET", "/v1/tasks/surging")).body.cascade;
    expect(loaded).toMatchObject({ requests: 0, surging: [] });

    // A burst of one label, far fewer requests than the guard's window.
    const burst = topicTexts(500, 22).filter((e) => e.label === LABELS[0]).slice(0, 60);
    expect(burst.length).toBeLessThan(SURGE_WINDOW);
    await predictAll(burst.map((e) => e.text));
    const after = (await g.request("GET", "/v1/tasks/surging")).body.cascade;
    expect(after.requests).toBe(60);
    expect(after.surging).toEqual([LABELS[0]]);
    // Seen within the burst, and the rest of it went to the teacher (a guard starting empty diverts none of it).
    expect(after.surge_diversions).toBeGreaterThanOrEqual(5);
    expect(after.specialist_answers + after.surge_diversions).toBeGreaterThan(50);
  });
});

describe("primingSlices", () => {
  const text = (n: number, c = "x") => c.repeat(n);

  it("keeps the newest texts within the character budget, oldest first, in slices that end at the slice size", () => {
    const texts = [text(50, "a"), text(30, "b"), text(40, "c"), text(20, "d"), text(10, "e")];
    // 100 characters at most: e, d, c and b fit (100), a does not.
    expect(primingSlices(texts, 100, 45)).toEqual([[text(30, "b"), text(40, "c")], [text(20, "d"), text(10, "e")]]);
    expect(primingSlices(texts, 1000, 1000).flat()).toEqual(texts);
    expect(primingSlices([], 100, 10)).toEqual([]);
  });

  it("leaves out a text longer than the whole budget, and everything older than it", () => {
    const texts = [text(5, "a"), text(500, "b"), text(5, "c")];
    expect(primingSlices(texts, 100, 10)).toEqual([[text(5, "c")]]);
  });

  it("replays at most the default budget of a log full of the longest inputs", () => {
    const longest = Array.from({ length: 2200 }, () => text(100_000));
    const slices = primingSlices(longest);
    expect(slices.flat().reduce((n, t) => n + t.length, 0)).toBeLessThanOrEqual(1_000_000);
    // One such text a turn of the event loop: no turn predicts more than one of them.
    expect(Math.max(...slices.map((s) => s.length))).toBe(1);
  });
});
