import { describe, expect, it } from "vitest";
import { describeDatasetWarnings, readDataset } from "../../src/data/dataset.js";

describe("describeDatasetWarnings", () => {
  it("says nothing about a clean dataset", () => {
    const ds = readDataset("text,label\na,x\nb,x\nc,y\nd,y\n", { format: "csv" });
    expect(describeDatasetWarnings(ds)).toEqual([]);
  });

  it("reports skipped rows, rare labels, duplicates and conflicts, one line each", () => {
    const content = [
      "text,label",
      "hi,greet", // 2
      "hi,greet", // 3
      "hey,greet", // 4
      "hey,other", // 5
      ",greet", // 6 bad
      "bye,farewell", // 7 rare
      "yo,other", // 8
    ].join("\n");
    const ds = readDataset(content, { format: "csv", onBadRow: "skip", source: "train.csv" });
    const warnings = describeDatasetWarnings(ds);

    expect(warnings).toHaveLength(4);
    for (const warning of warnings) expect(warning).not.toMatch(/\n/);
    expect(warnings[0]).toBe("Skipped 1 bad row in train.csv: line 6: empty text");
    expect(warnings[1]).toMatch(/^1 label with a single example.*"farewell"$/);
    expect(warnings[2]).toBe('2 texts repeated (4 rows in all), e.g. "hi" on lines 2, 3; "hey" on lines 4, 5');
    expect(warnings[3]).toBe('1 repeated text with conflicting labels, e.g. "hey" on lines 4, 5 is "greet" and "other"');
  });

  it("shows a few examples, says how many more, and shortens long texts", () => {
    const long = "word ".repeat(40).trim();
    const rows = ["text,label"];
    for (let i = 0; i < 5; i++) rows.push(`${long} ${i},l${i}`, `${long} ${i},l${i}`);
    const ds = readDataset(rows.join("\n"), { format: "csv" });
    const [duplicates] = describeDatasetWarnings(ds);

    expect(duplicates).toMatch(/^5 texts repeated \(10 rows in all\)/);
    expect(duplicates).toMatch(/; and 2 more$/);
    expect(duplicates).toContain("…");
    expect(duplicates).not.toContain(long);
  });
});
