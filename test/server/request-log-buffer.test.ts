// The request log's write-behind: rows reach the store within a flush, a waiting row can be read,
// one bad row does not cost the others theirs, and "sync" commits before resolving.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRequestLogger, FLUSH_ROWS } from "../../src/server/request-log-buffer.js";
import { requestId } from "../../src/server/request-id.js";
import { openStore, type RequestInput, type Store } from "../../src/store/index.js";

const dir = mkdtempSync(join(tmpdir(), "apprentice-reqlog-"));
let store: Store;
beforeAll(async () => {
  store = await openStore(join(dir, "log.db"));
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const row = (overrides: Partial<RequestInput> = {}): RequestInput => ({
  id: requestId(),
  task: "t",
  input: "hello",
  label: "a",
  confidence: 0.9,
  source: "specialist",
  model_version: 1,
  latency_ms: 0.1,
  cost: 0,
  audited: false,
  teacher_label: null,
  status: "ok",
  ...overrides,
});

describe("buffered request log", () => {
  it("acknowledges at once, writes on flush, and finds a row still waiting", async () => {
    const errors: unknown[] = [];
    const log = createRequestLogger(store, "buffered", (err) => errors.push(err));
    const first = row();
    await log.log(first);
    expect(await store.requests.get(first.id)).toBeNull();
    // get() of a waiting row writes it first.
    expect(await log.get(first.id)).toMatchObject({ id: first.id, label: "a" });
    const batch = [row(), row(), row()];
    await log.logMany(batch);
    await log.flush();
    for (const r of batch) expect(await store.requests.get(r.id)).not.toBeNull();
    expect(errors).toEqual([]);
  });

  it("starts writing without waiting for the timer once FLUSH_ROWS rows wait", async () => {
    const log = createRequestLogger(store, "buffered", () => {});
    const rows = Array.from({ length: FLUSH_ROWS }, () => row());
    await log.logMany(rows);
    // The flush began synchronously; get() waits for the write under way.
    expect(await log.get(rows[FLUSH_ROWS - 1].id)).not.toBeNull();
  });

  it("writes the good rows of a batch with a bad one and reports the bad one", async () => {
    const errors: unknown[] = [];
    const log = createRequestLogger(store, "buffered", (err) => errors.push(err));
    const good = [row(), row()];
    await log.logMany([good[0], row({ source: "oracle" as never }), good[1]]);
    await log.flush();
    for (const r of good) expect(await store.requests.get(r.id)).not.toBeNull();
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(/source "oracle"/);
  });

  it("sync mode commits before resolving", async () => {
    const log = createRequestLogger(store, "sync", () => {});
    const r = row();
    await log.log(r);
    expect(await store.requests.get(r.id)).not.toBeNull();
  });
});
