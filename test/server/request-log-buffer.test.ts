// The request log's write-behind: rows reach the store within a flush, a waiting row can be read,
// one bad row does not cost the others theirs, and "sync" commits before resolving.
import { describe, expect, it } from "vitest";
import { createRequestLogger, FLUSH_ROWS, INSERT_PIECE_CHARS } from "../../src/server/runtime/request-log-buffer.js";
import { requestId } from "../../src/server/http/request-id.js";
import type { RequestInput, Store } from "../../src/store/index.js";
import { useTempStore } from "../helpers/temp-store.js";

const store = useTempStore("apprentice-reqlog-");

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
    const log = createRequestLogger(store(), "buffered", (err) => errors.push(err));
    const first = row();
    await log.log(first);
    expect(await store().requests.get(first.id)).toBeNull();
    // get() of a waiting row writes it first.
    expect(await log.get(first.id)).toMatchObject({ id: first.id, label: "a" });
    const batch = [row(), row(), row()];
    await log.logMany(batch);
    await log.flush();
    for (const r of batch) expect(await store().requests.get(r.id)).not.toBeNull();
    expect(errors).toEqual([]);
  });

  it("starts writing without waiting for the timer once FLUSH_ROWS rows wait", async () => {
    const log = createRequestLogger(store(), "buffered", () => {});
    const rows = Array.from({ length: FLUSH_ROWS }, () => row());
    await log.logMany(rows);
    // The flush began synchronously; get() waits for the write under way.
    expect(await log.get(rows[FLUSH_ROWS - 1].id)).not.toBeNull();
  });

  it("writes big rows in pieces of at most INSERT_PIECE_CHARS characters, every row once, in order", async () => {
    for (const mode of ["buffered", "sync"] as const) {
      const pieces: string[][] = [];
      const counting = { ...store(), requests: Object.assign(Object.create(store().requests) as Store["requests"], { insertMany: (rows: readonly RequestInput[]) => (pieces.push(rows.map((r) => r.id)), store().requests.insertMany(rows)) }) } as Store;
      const log = createRequestLogger(counting, mode, () => {});
      // 300 rows of 5,000 characters, one over the piece size on its own, and a hashed one (no input).
      const rows = [...Array.from({ length: 300 }, () => row({ input: "z".repeat(5000) })), row({ input: "w".repeat(INSERT_PIECE_CHARS + 1) }), row({ input: null, input_hash: "ab" })];
      await log.logMany(rows);
      await log.flush();
      expect(pieces.flat()).toEqual(rows.map((r) => r.id));
      expect(pieces.length).toBeGreaterThan(1);
      const byId = new Map(rows.map((r) => [r.id, r.input?.length ?? 0]));
      for (const piece of pieces) {
        const chars = piece.reduce((n, id) => n + byId.get(id)!, 0);
        if (piece.length > 1) expect(chars).toBeLessThanOrEqual(INSERT_PIECE_CHARS);
      }
      for (const r of [rows[0], rows[300], rows[301]]) expect(await store().requests.get(r.id)).not.toBeNull();
    }
  });

  it("writes the good rows of a batch with a bad one and reports the bad one", async () => {
    const errors: unknown[] = [];
    const log = createRequestLogger(store(), "buffered", (err) => errors.push(err));
    const good = [row(), row()];
    await log.logMany([good[0], row({ source: "oracle" as never }), good[1]]);
    await log.flush();
    for (const r of good) expect(await store().requests.get(r.id)).not.toBeNull();
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(/source "oracle"/);
  });

  it("sync mode commits before resolving", async () => {
    const log = createRequestLogger(store(), "sync", () => {});
    const r = row();
    await log.log(r);
    expect(await store().requests.get(r.id)).not.toBeNull();
  });
});
