import { describe, expect, it } from "vitest";
import type { ReviewItem } from "../../web/src/api/types.js";
import { choices, commandForKey, current, emptyQueue, lowConfidenceDefinition, progress, type QueueAction, type QueueState, reduceQueue, searchLabels } from "../../web/src/lib/review-queue.js";

function item(id: string, over: Partial<ReviewItem> = {}): ReviewItem {
  return {
    request_id: id,
    kind: "disagreement",
    input: `text ${id}`,
    created_at: 0,
    answer: { label: "a", source: "specialist", confidence: 0.6 },
    teacher_label: "b",
    top: [
      { label: "a", probability: 0.6 },
      { label: "b", probability: 0.2 },
      { label: "c", probability: 0.1 },
    ],
    ...over,
  };
}

const run = (state: QueueState, ...actions: QueueAction[]) => actions.reduce(reduceQueue, state);

describe("reduceQueue", () => {
  const loaded = run(emptyQueue(), { type: "load", items: [item("1"), item("2"), item("3")] });

  it("starts at the first item with everything remaining", () => {
    expect(current(loaded)?.request_id).toBe("1");
    expect(progress(loaded)).toEqual({ done: 0, skipped: 0, remaining: 3 });
  });

  it("records a pick only once it is saved, then moves on", () => {
    const picking = run(loaded, { type: "pick", label: "b" });
    expect(picking.saving).toEqual({ requestId: "1", label: "b" });
    expect(current(picking)?.request_id).toBe("1");
    // A second pick or a skip while saving is ignored.
    expect(run(picking, { type: "pick", label: "c" })).toBe(picking);
    expect(run(picking, { type: "skip" })).toBe(picking);
    const saved = run(picking, { type: "saved" });
    expect(saved.decisions["1"]).toEqual({ kind: "done", label: "b" });
    expect(current(saved)?.request_id).toBe("2");
    expect(progress(saved)).toEqual({ done: 1, skipped: 0, remaining: 2 });
  });

  it("keeps the item and shows the error when saving fails", () => {
    const failed = run(loaded, { type: "pick", label: "b" }, { type: "failed", message: "boom" });
    expect(failed.error).toBe("boom");
    expect(failed.saving).toBeNull();
    expect(current(failed)?.request_id).toBe("1");
    const retried = run(failed, { type: "pick", label: "a" }, { type: "saved" });
    expect(retried.error).toBeNull();
    expect(retried.decisions["1"]).toEqual({ kind: "done", label: "a" });
  });

  it("skips, and finishes after the last item", () => {
    const done = run(loaded, { type: "skip" }, { type: "pick", label: "c" }, { type: "saved" }, { type: "skip" });
    expect(current(done)).toBeNull();
    expect(progress(done)).toEqual({ done: 1, skipped: 2, remaining: 0 });
    // Nothing happens past the end.
    expect(run(done, { type: "skip" })).toBe(done);
    expect(run(done, { type: "pick", label: "a" })).toBe(done);
    expect(run(done, { type: "saved" })).toBe(done);
  });

  it("leaves decided items out of a reload, and brings skipped ones back only when asked", () => {
    const done = run(loaded, { type: "skip" }, { type: "pick", label: "c" }, { type: "saved" });
    const again = run(done, { type: "load", items: [item("1"), item("2"), item("3"), item("4")] });
    expect(again.items.map((i) => i.request_id)).toEqual(["3", "4"]);
    expect(progress(again)).toEqual({ done: 1, skipped: 1, remaining: 2 });
    const retry = run(done, { type: "load", items: [item("1"), item("2"), item("3")], retrySkipped: true });
    expect(retry.items.map((i) => i.request_id)).toEqual(["1", "3"]);
    expect(progress(retry)).toEqual({ done: 1, skipped: 0, remaining: 2 });
  });

  it("handles an empty queue", () => {
    const empty = run(emptyQueue(), { type: "load", items: [] });
    expect(current(empty)).toBeNull();
    expect(progress(empty)).toEqual({ done: 0, skipped: 0, remaining: 0 });
  });
});

describe("choices", () => {
  it("offers the top labels, marking the returned and the teacher's answers", () => {
    const c = choices(item("1"));
    expect(c.map((x) => x.label)).toEqual(["a", "b", "c"]);
    expect(c[0]).toMatchObject({ answered: true, teacher: false, probability: 0.6 });
    expect(c[1]).toMatchObject({ answered: false, teacher: true });
  });

  it("makes room for the teacher's label when it is not in the top five", () => {
    const top = ["a", "c", "d", "e", "f", "g"].map((label, i) => ({ label, probability: 0.5 - i * 0.05 }));
    const c = choices(item("1", { top, teacher_label: "z" }));
    expect(c).toHaveLength(5);
    expect(c.map((x) => x.label)).toEqual(["a", "c", "d", "e", "z"]);
    expect(c[4]).toMatchObject({ probability: null, teacher: true });
  });

  it("falls back to the answers when there is no model (no top labels)", () => {
    expect(choices(item("1", { top: [], teacher_label: null, answer: { label: "x", source: "teacher", confidence: null } })).map((c) => c.label)).toEqual(["x"]);
    expect(choices(item("1", { top: [], teacher_label: null, answer: { label: null, source: "none", confidence: null } }))).toEqual([]);
  });
});

describe("commandForKey", () => {
  const it1 = item("1");
  const free = { typing: false };

  it("maps 1–5 to the top labels, / to search, n to none of these and s to skip", () => {
    expect(commandForKey({ key: "1" }, it1, free)).toEqual({ type: "pick", label: "a" });
    expect(commandForKey({ key: "3" }, it1, free)).toEqual({ type: "pick", label: "c" });
    expect(commandForKey({ key: "4" }, it1, free)).toBeNull();
    expect(commandForKey({ key: "/" }, it1, free)).toEqual({ type: "search" });
    expect(commandForKey({ key: "s" }, it1, free)).toEqual({ type: "skip" });
    expect(commandForKey({ key: "S" }, it1, free)).toEqual({ type: "skip" });
    expect(commandForKey({ key: "n" }, it1, free)).toEqual({ type: "none" });
    expect(commandForKey({ key: "N" }, it1, free)).toEqual({ type: "none" });
    expect(commandForKey({ key: "x" }, it1, free)).toBeNull();
  });

  it("does nothing while typing, with modifiers, or without an item", () => {
    expect(commandForKey({ key: "1" }, it1, { typing: true })).toBeNull();
    expect(commandForKey({ key: "s", ctrlKey: true }, it1, free)).toBeNull();
    expect(commandForKey({ key: "1", metaKey: true }, it1, free)).toBeNull();
    expect(commandForKey({ key: "1", altKey: true }, it1, free)).toBeNull();
    expect(commandForKey({ key: "1" }, null, free)).toBeNull();
  });
});

describe("searchLabels", () => {
  const labels = ["card_arrival", "lost_or_stolen_card", "card_payment_fee", "atm_support", "Refund_not_showing"];
  it("puts prefix matches first and accepts spaces for underscores", () => {
    expect(searchLabels(labels, "card")).toEqual(["card_arrival", "card_payment_fee", "lost_or_stolen_card"]);
    expect(searchLabels(labels, "stolen card")).toEqual(["lost_or_stolen_card"]);
    expect(searchLabels(labels, "refund")).toEqual(["Refund_not_showing"]);
    expect(searchLabels(labels, "")).toEqual(labels);
    expect(searchLabels(labels, "", 2)).toHaveLength(2);
    expect(searchLabels(labels, "zzz")).toEqual([]);
  });
});

describe("lowConfidenceDefinition", () => {
  it("states the gateway's line and the threshold it comes from", () => {
    expect(lowConfidenceDefinition(0.9825, 0.965)).toBe(
      "Low confidence: specialist answers below 0.983 confidence, least confident first: closer to the router's current threshold (0.965) than to 1, or under it (forced answers, or a threshold raised since).",
    );
    expect(lowConfidenceDefinition(null, null)).toMatch(/^Low confidence: every specialist answer, .*no threshold/);
    expect(lowConfidenceDefinition(undefined, 0.9)).toBe("Low confidence: the specialist's answers, least confident first.");
  });
});
