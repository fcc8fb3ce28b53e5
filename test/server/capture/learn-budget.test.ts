import { describe, expect, it } from "vitest";
import { LearnBudget, WINDOW_MS } from "../../../src/server/capture/learn-budget.js";

describe("LearnBudget", () => {
  it("holds learning to its share of a window while calls are relayed, until the next window", () => {
    const budget = new LearnBudget(0.05);
    expect(budget.wait(true, 1000)).toBe(0);
    budget.spend(WINDOW_MS * 0.03);
    expect(budget.wait(true, 1010)).toBe(0);
    budget.spend(WINDOW_MS * 0.03);
    expect(budget.wait(true, 1020)).toBe(WINDOW_MS - 20);
    expect(budget.wait(true, 1000 + WINDOW_MS - 1)).toBe(1);
    // A new window: its share is whole again.
    expect(budget.wait(true, 1000 + WINDOW_MS)).toBe(0);
    budget.spend(WINDOW_MS * 0.04);
    expect(budget.wait(true, 1000 + WINDOW_MS + 5)).toBe(0);
  });

  it("lets learning run as long as it needs while nothing is relayed", () => {
    const budget = new LearnBudget(0.05);
    expect(budget.wait(false, 0)).toBe(0);
    budget.spend(WINDOW_MS * 0.9);
    expect(budget.wait(false, 50)).toBe(0);
    expect(budget.wait(true, 60)).toBe(WINDOW_MS - 60);
  });

  it("never holds learning back with a share of 1", () => {
    const budget = new LearnBudget(1);
    expect(budget.wait(true, 0)).toBe(0);
    budget.spend(WINDOW_MS * 10);
    expect(budget.wait(true, 1)).toBe(0);
  });
});
