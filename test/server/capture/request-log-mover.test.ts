// The rest of a merged task's request log moves after the merge, a batch per transaction; a
// stopping gateway ends the move after the batch under way, and the next start resumes it.
import { describe, expect, it } from "vitest";
import { RequestLogMover } from "../../../src/server/capture/request-log-mover.js";
import { useTempStore } from "../../helpers/temp-store.js";

const store = useTempStore("apprentice-log-mover-");

async function log(task: string, times: number[]): Promise<void> {
  for (const [i, created_at] of times.entries()) await store().requests.insert({ id: `${task}-${created_at}-${i}`, task, input: `text ${i}`, label: "a", source: "teacher", latency_ms: 1, cost: 0, status: "ok", created_at });
}

describe("RequestLogMover", () => {
  it("moves every row logged up to the merge, in batches, and leaves the rows logged after it", async () => {
    await log("old", [1000, 1001, 1002, 1003, 1004, 1005, 1006, 2000, 2001]);
    const move = { from: "old", into: "merged", notAfter: 1500 };
    await store().requests.planMove(move);
    const mover = new RequestLogMover(store(), undefined, 2);
    mover.start(move);
    mover.start(move);
    await mover.idle();
    expect(await store().requests.count("merged")).toBe(7);
    expect(await store().requests.count("old")).toBe(2);
    // Done: nothing left for a later start to resume.
    expect(await store().requests.plannedMoves()).toEqual([]);
    await mover.close();
  });

  it("stops after the batch under way when closed, starts nothing afterwards, and the next mover resumes the plan", async () => {
    await log("stopped", [1000, 1001, 1002, 1003, 1004]);
    const move = { from: "stopped", into: "target", notAfter: 1500 };
    await store().requests.planMove(move);
    const mover = new RequestLogMover(store(), undefined, 1);
    mover.start(move);
    await mover.close();
    expect(await store().requests.count("target")).toBe(1);
    mover.start(move);
    await mover.idle();
    expect(await store().requests.count("stopped")).toBe(4);
    expect(await store().requests.plannedMoves()).toEqual([move]);

    const restarted = new RequestLogMover(store(), undefined, 1);
    await restarted.resume();
    await restarted.idle();
    expect(await store().requests.count("target")).toBe(5);
    expect(await store().requests.plannedMoves()).toEqual([]);
    await restarted.close();
  });
});
