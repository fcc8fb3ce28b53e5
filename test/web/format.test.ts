import { describe, expect, it } from "vitest";
import { CURRENCY, money } from "../../web/src/lib/format.js";

describe("money", () => {
  it("shows the currency and rounds float noise away at the edge", () => {
    expect(CURRENCY).toBe("USD");
    expect(money(0.10200000000000001)).toBe("USD\u00a00.1020");
    expect(money(0.1 + 0.2)).toBe("USD\u00a00.3000");
    expect(money(1234.5)).toBe("USD\u00a01,234.50");
    expect(money(0.000123456)).toBe("USD\u00a00.00012");
    expect(money(0)).toBe("USD\u00a00.00");
  });

  it("shows a dash for what cannot be priced", () => {
    expect(money(null)).toBe("—");
    expect(money(undefined)).toBe("—");
    expect(money(Number.NaN)).toBe("—");
  });
});
