// RequestLog.insert() groups the single inserts issued in one turn of the event loop into one
// transaction (see src/store/requests.ts); each caller must still get its own row's outcome.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openStore, StoreConflictError, type RequestInput, type Store } from "../../src/store/index.js";

const row = (id: string, extra: Partial<RequestInput> = {}): RequestInput => ({ id, task: "support", input: `text ${id}`, source: "specialist", latency_ms: 1, status: "ok", ...extra });

describe("RequestLog.insert group commit (SQLite)", () => {
  let store: Store;
  beforeEach(async () => {
    store = await openStore(":memory:");
  });
  afterEach(async () => {
    await store.close();
  });

  it("stores every row of concurrent inserts, in one batch", async () => {
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.requests.insert(row(`r${i}`))));
    expect((await store.requests.stats("support")).requests).toBe(50);
    expect(await store.requests.get("r49")).toMatchObject({ id: "r49", input: "text r49" });
  });

  it("rejects only the conflicting rows of a batch: an id already logged, or twice in the batch", async () => {
    await store.requests.insert(row("old"));
    const outcomes = await Promise.allSettled([row("a"), row("old"), row("b"), row("b"), row("c")].map((r) => store.requests.insert(r)));
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled", "rejected", "fulfilled"]);
    for (const o of outcomes) if (o.status === "rejected") expect(o.reason).toBeInstanceOf(StoreConflictError);
    expect((await store.requests.stats("support")).requests).toBe(4);
  });

  it("rejects an invalid row at once without holding up the others", async () => {
    const outcomes = await Promise.allSettled([store.requests.insert(row("x")), store.requests.insert(row("y", { input: null })), store.requests.insert(row("z"))]);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((await store.requests.stats("support")).requests).toBe(2);
  });

  it("writes at once inside a caller's transaction, and rolls back with it", async () => {
    await expect(
      store.transaction(async (tx) => {
        await tx.requests.insert(row("t1"));
        throw new Error("abort");
      }),
    ).rejects.toThrow("abort");
    expect(await store.requests.get("t1")).toBeNull();
  });
});
