import { describe, expect, it } from "vitest";
import { worseBeyondChance } from "../../src/cascade/holdout-scores.js";

const scores = (pattern: string) => ({ right: [...pattern].map((c) => c === "1") });

describe("worseBeyondChance", () => {
  it("counts only the items the two versions disagree on", () => {
    // 9 items only the live version gets right, 1 only the candidate: 8 > 1.645·√10 ≈ 5.2.
    expect(worseBeyondChance(scores("0000000001" + "1".repeat(50)), scores("1111111110" + "1".repeat(50)))).toBe(true);
    // 4 against 1: 3 ≤ 1.645·√5 ≈ 3.7, however many items both get right or wrong.
    expect(worseBeyondChance(scores("00001" + "1".repeat(500)), scores("11110" + "1".repeat(500)))).toBe(false);
    expect(worseBeyondChance(scores("00001" + "0".repeat(500)), scores("11110" + "0".repeat(500)))).toBe(false);
    // Better is never worse.
    expect(worseBeyondChance(scores("1111111110"), scores("0000000001"))).toBe(false);
  });

  it("refuses scores of different items", () => {
    expect(() => worseBeyondChance(scores("11"), scores("111"))).toThrow(/not the same ones/);
  });
});
