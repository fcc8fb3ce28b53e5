// @vitest-environment happy-dom
// The review queue's keyboard handling: digits pick the top labels, `/` opens the label search,
// `n` answers none of these, `s` skips; each pick is sent as feedback, progress follows.
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ReviewItem } from "../../web/src/api/types.js";
import { ReviewQueue } from "../../web/src/components/ReviewQueue.js";

function item(id: string, input: string, teacher: string | null = "lost_or_stolen_card"): ReviewItem {
  return {
    request_id: id,
    kind: teacher === null ? "low_confidence" : "disagreement",
    input,
    created_at: Date.now() - 60_000,
    answer: { label: "card_arrival", source: "specialist", confidence: 0.55 },
    teacher_label: teacher,
    top: [
      { label: "card_arrival", probability: 0.55 },
      { label: "lost_or_stolen_card", probability: 0.3 },
      { label: "card_payment_fee", probability: 0.1 },
    ],
  };
}

const LABELS = ["card_arrival", "lost_or_stolen_card", "card_payment_fee", "atm_support", "exchange_rate", "refund_not_showing"];
const ITEMS = [item("r1", "my card never came"), item("r2", "someone took my wallet"), item("r3", "what does the ATM charge", null)];

afterEach(cleanup);

const key = (k: string) => fireEvent.keyDown(document.body, { key: k });
const progressText = () => screen.getByText(/done ·/).textContent;

describe("ReviewQueue keyboard", () => {
  it("picks the top labels with digits and sends each as feedback", async () => {
    const onFeedback = vi.fn().mockResolvedValue({ ok: true });
    render(<ReviewQueue items={ITEMS} labels={LABELS} noneLabel="none_of_these" onFeedback={onFeedback} />);
    expect(screen.getByText("my card never came")).toBeTruthy();
    expect(progressText()).toBe("0 done · 0 skipped · 3 remaining");

    key("2");
    expect(onFeedback).toHaveBeenCalledWith("r1", "lost_or_stolen_card");
    await screen.findByText("someone took my wallet");
    expect(progressText()).toBe("1 done · 0 skipped · 2 remaining");

    key("1");
    expect(onFeedback).toHaveBeenLastCalledWith("r2", "card_arrival");
    await screen.findByText("what does the ATM charge");
  });

  it("answers none of these with n and with its button", async () => {
    const onFeedback = vi.fn().mockResolvedValue({ ok: true });
    render(<ReviewQueue items={ITEMS} labels={LABELS} noneLabel="none_of_these" onFeedback={onFeedback} />);
    key("n");
    expect(onFeedback).toHaveBeenCalledWith("r1", "none_of_these");
    await screen.findByText("someone took my wallet");
    fireEvent.click(screen.getByRole("button", { name: /None of these/ }));
    expect(onFeedback).toHaveBeenLastCalledWith("r2", "none_of_these");
    await screen.findByText("what does the ATM charge");
    expect(progressText()).toBe("2 done · 0 skipped · 1 remaining");
  });

  it("ignores digits beyond the choices and keys typed with a modifier", async () => {
    const onFeedback = vi.fn().mockResolvedValue({ ok: true });
    render(<ReviewQueue items={ITEMS} labels={LABELS} noneLabel="none_of_these" onFeedback={onFeedback} />);
    key("5");
    fireEvent.keyDown(document.body, { key: "1", ctrlKey: true });
    fireEvent.keyDown(document.body, { key: "s", metaKey: true });
    expect(onFeedback).not.toHaveBeenCalled();
    expect(screen.getByText("my card never came")).toBeTruthy();
  });

  it("skips with s and shows the end of the batch", async () => {
    const onFeedback = vi.fn().mockResolvedValue({ ok: true });
    const onReload = vi.fn();
    render(<ReviewQueue items={ITEMS} labels={LABELS} noneLabel="none_of_these" onFeedback={onFeedback} onReload={onReload} />);
    key("s");
    expect(screen.getByText("someone took my wallet")).toBeTruthy();
    key("S");
    key("s");
    expect(onFeedback).not.toHaveBeenCalled();
    expect(screen.getByText("You are through this batch")).toBeTruthy();
    expect(progressText()).toBe("0 done · 3 skipped · 0 remaining");
    fireEvent.click(screen.getByRole("button", { name: "Review the 3 skipped again" }));
    expect(onReload).toHaveBeenCalledWith(true);
  });

  it("opens the label search with /, where typing does not trigger shortcuts, and picks with Enter", async () => {
    const onFeedback = vi.fn().mockResolvedValue({ ok: true });
    render(<ReviewQueue items={ITEMS} labels={LABELS} noneLabel="none_of_these" onFeedback={onFeedback} />);
    key("/");
    const search = await screen.findByRole("combobox");
    await waitFor(() => expect(document.activeElement).toBe(search));
    // Typing "s" or a digit in the search field is text, not a shortcut.
    fireEvent.keyDown(search, { key: "s" });
    fireEvent.input(search, { target: { value: "refund" } });
    expect(screen.getByText("my card never came")).toBeTruthy();
    expect(screen.getAllByRole("option").map((o) => o.textContent)).toEqual(["refund_not_showing"]);
    fireEvent.keyDown(search, { key: "Enter" });
    expect(onFeedback).toHaveBeenCalledWith("r1", "refund_not_showing");
    await screen.findByText("someone took my wallet");
    expect(screen.queryByRole("combobox")).toBeNull();
  });

  it("closes the search with Escape, then shortcuts work again", async () => {
    const onFeedback = vi.fn().mockResolvedValue({ ok: true });
    render(<ReviewQueue items={ITEMS} labels={LABELS} noneLabel="none_of_these" onFeedback={onFeedback} />);
    key("/");
    const search = await screen.findByRole("combobox");
    fireEvent.keyDown(search, { key: "Escape" });
    expect(screen.queryByRole("combobox")).toBeNull();
    key("s");
    expect(screen.getByText("someone took my wallet")).toBeTruthy();
  });

  it("keeps the item and shows the gateway's message when feedback fails; no double submit while saving", async () => {
    let fail!: (e: Error) => void;
    const onFeedback = vi.fn().mockImplementationOnce(() => new Promise((_, reject) => (fail = reject))).mockResolvedValue({ ok: true });
    render(<ReviewQueue items={ITEMS} labels={LABELS} noneLabel="none_of_these" onFeedback={onFeedback} />);
    key("1");
    key("2");
    key("s");
    expect(onFeedback).toHaveBeenCalledTimes(1);
    fail(new Error('label "x" is not one of the task\'s labels'));
    expect(await screen.findByRole("alert")).toHaveProperty("textContent", 'Could not save the label: label "x" is not one of the task\'s labels');
    expect(screen.getByText("my card never came")).toBeTruthy();
    key("2");
    await screen.findByText("someone took my wallet");
    expect(onFeedback).toHaveBeenLastCalledWith("r1", "lost_or_stolen_card");
  });

  it("offers the choices as numbered buttons too", async () => {
    const onFeedback = vi.fn().mockResolvedValue({ ok: true });
    render(<ReviewQueue items={ITEMS} labels={LABELS} noneLabel="none_of_these" onFeedback={onFeedback} />);
    const buttons = screen.getAllByRole("button").filter((b) => b.getAttribute("aria-keyshortcuts")?.match(/^[1-5]$/));
    expect(buttons.map((b) => b.querySelector(".choice-label")?.textContent)).toEqual(["card_arrival", "lost_or_stolen_card", "card_payment_fee"]);
    fireEvent.click(buttons[2]);
    expect(onFeedback).toHaveBeenCalledWith("r1", "card_payment_fee");
  });
});
