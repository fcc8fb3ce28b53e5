// Finding 4 of issue 20: the request log grew without bound. Now rows past a task's age limit or
// row cap are deleted in the background, in small batches; the count stays at the cap.
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { RequestLogPruner } from "../../src/server/operations/retention.js";
import { openStore, type RequestInput } from "../../src/store/index.js";

const DAY = 86_400_000;

const fileBytes = (path: string): number => statSync(path, { throwIfNoEntry: false })?.size ?? 0;

function rows(task: string, from: number, n: number, at: (i: number) => number): RequestInput[] {
  return Array.from({ length: n }, (_, k) => ({ id: `${task}-${from + k}`, task, input: `request ${from + k} ${"x".repeat(200)}`, label: "a", source: "specialist" as const, latency_ms: 1, status: "ok" as const, created_at: at(from + k) }));
}

describe("request-log retention", () => {
  const dir = mkdtempSync(join(tmpdir(), "apprentice-retention-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps each task at its row cap and drops rows past the age limit, in small batches", async () => {
    const now = Date.UTC(2026, 0, 31);
    const store = await openStore(join(dir, "cap.db"));
    try {
      // 5,000 rows a millisecond apart for "busy" (cap 2,000), 300 of them 40 days old for "quiet".
      await store.requests.insertMany(rows("busy", 0, 5000, (i) => now - 5000 + i));
      await store.requests.insertMany(rows("quiet", 0, 300, (i) => now - 40 * DAY + i));
      await store.requests.insertMany(rows("quiet", 300, 50, (i) => now - 1000 + i));
      const pruner = new RequestLogPruner(store, { defaults: { maxAgeMs: 30 * DAY, maxRows: 1_000_000 }, tasks: { busy: { maxRows: 2000 } }, batchRows: 250 }, undefined, () => now);
      const report = await pruner.runOnce();
      expect(report.deleted).toEqual({ busy: 3000, quiet: 300 });
      expect(await store.requests.count("busy")).toBe(2000);
      expect(await store.requests.count("quiet")).toBe(50);
      // The newest rows are the ones kept.
      expect(await store.requests.get("busy-4999")).not.toBeNull();
      expect(await store.requests.get("busy-2999")).toBeNull();
      expect(await store.requests.get("busy-3000")).not.toBeNull();
      // A soak: ten more rounds of 1,000 rows, pruned after each, never leave more than the cap,
      // and the file stops growing once freed pages are reused.
      const sizes: number[] = [];
      for (let round = 0; round < 10; round++) {
        await store.requests.insertMany(rows("busy", 5000 + round * 1000, 1000, (i) => now - 5000 + i));
        await pruner.runOnce();
        expect(await store.requests.count("busy")).toBe(2000);
        sizes.push(fileBytes(join(dir, "cap.db")) + fileBytes(join(dir, "cap.db-wal")));
      }
      // SQLite reuses the freed pages (no VACUUM): the last rounds add nothing to the file.
      expect(sizes[9]).toBeLessThanOrEqual(sizes[4] * 1.1);
      await pruner.stop();
    } finally {
      await store.close();
    }
  });
});
