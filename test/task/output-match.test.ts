// When two structured tasks read answers alike (merging one captured task into another needs it).
import { describe, expect, it } from "vitest";
import { compileOutput } from "../../src/task/output-fields.js";
import { firstDifferenceInAnyOrder, firstFieldDifference } from "../../src/task/output-match.js";

const fields = (properties: Record<string, unknown>, required?: string[]) => compileOutput({ properties, ...(required === undefined ? {} : { required }) });
const base = { amount: { extract: true }, currency: { enum: ["EUR", "USD"] }, topics: { tags: ["rent", "gift"] } };

describe("firstFieldDifference", () => {
  it("accepts the same fields whatever their descriptions and the order of their values", () => {
    const other = { amount: { extract: true, description: "Digits only." }, currency: { enum: ["USD", "EUR"] }, topics: { tags: ["gift", "rent"] } };
    expect(firstFieldDifference(fields(base), fields(other))).toBeNull();
  });

  it("names the first difference: a missing or extra field, the order, a kind, values, null-ness", () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ amount: base.amount, currency: base.currency }, /field "topics" is not in the target's fields \(amount, currency\)/],
      [{ ...base, iban: { extract: true } }, /the target has a field "iban"/],
      [{ currency: base.currency, amount: base.amount, topics: base.topics }, /another order \(amount, currency, topics against currency, amount, topics\)/],
      [{ ...base, currency: { extract: true } }, /field "currency" is choice here and extract in the target/],
      [{ ...base, currency: { enum: ["EUR"] } }, /field "currency" has values the target's has not: "USD"/],
      [{ ...base, currency: { enum: ["EUR", "USD", "GBP"] } }, /field "currency" lacks values the target's has: "GBP"/],
    ];
    for (const [target, message] of cases) expect(firstFieldDifference(fields(base), fields(target))).toMatch(message);
    expect(firstFieldDifference(fields(base), fields(base, ["amount", "topics"]))).toMatch(/field "currency" may be null or absent in one task and not in the other/);
  });
});

describe("firstDifferenceInAnyOrder", () => {
  it("accepts the same fields in another order, and names any other difference as firstFieldDifference does", () => {
    const reordered = { topics: base.topics, currency: base.currency, amount: base.amount };
    expect(firstDifferenceInAnyOrder(fields(base), fields(reordered))).toBeNull();
    expect(firstFieldDifference(fields(base), fields(reordered))).toMatch(/another order/);
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ topics: base.topics, amount: base.amount }, /field "currency" is not in the target's fields \(topics, amount\)/],
      [{ iban: { extract: true }, ...reordered }, /the target has a field "iban"/],
      [{ ...reordered, currency: { extract: true } }, /field "currency" is choice here and extract in the target/],
      [{ ...reordered, currency: { enum: ["EUR", "USD", "GBP"] } }, /field "currency" lacks values the target's has: "GBP"/],
    ];
    for (const [target, message] of cases) expect(firstDifferenceInAnyOrder(fields(base), fields(target))).toMatch(message);
    expect(firstDifferenceInAnyOrder(fields(base), fields(reordered, ["amount", "topics"]))).toMatch(/field "currency" may be null or absent/);
  });
});
