// The rest of a merged task's request log moves after the merge, a batch per transaction, and a
// stopping gateway ends the move after the batch under way.
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
    const mover = new RequestLogMover(store(), undefined, 2);
    mover.start("old", "merged", 1500);
    await mover.idle();
    expect(await store().requests.count("merged")).toBe(7);
    expect(await store().requests.count("old")).toBe(2);
    await mover.close();
  });

  it("stops after the batch under way when closed, and starts nothing afterwards", async () => {
    await log("stopped", [1000, 1001, 1002, 1003, 1004]);
    const mover = new RequestLogMover(store(), undefined, 1);
    mover.start("stopped", "target", 1500);
    await mover.close();
    expect(await store().requests.count("target")).toBe(1);
    mover.start("stopped", "target", 1500);
    await mover.idle();
    expect(await store().requests.count("stopped")).toBe(4);
  });
});
