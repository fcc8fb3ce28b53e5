import { describe, expect, it } from "vitest";
import { findTextFault, textFault } from "../../src/data/text.js";

describe("textFault", () => {
  it("names NUL and the first lone surrogate with its position, and passes well-formed text", () => {
    expect(textFault("a\u0000b")).toBe("contains a NUL character (U+0000)");
    expect(textFault("ab\ud800")).toBe("contains a lone surrogate (U+D800 at character 3), which UTF-8 cannot encode");
    expect(textFault("😀\udc00x")).toContain("U+DC00 at character 3");
    expect(textFault("\ude00\ud83d")).toContain("U+DE00 at character 1");
    for (const ok of ["", "plain", "😀 emoji pairs", "\ufffd", "日本語"]) expect(textFault(ok)).toBeNull();
  });
});

describe("findTextFault", () => {
  it("gives the path of the first bad string, field names included", () => {
    expect(findTextFault({ name: "t", labels: [{ name: "a" }, { name: "b", description: "x\ud800" }] })).toEqual({
      path: "labels.1.description",
      fault: expect.stringContaining("lone surrogate"),
    });
    expect(findTextFault({ weights: { "a\u0000": 1 } })).toEqual({ path: "weights", fault: "a field name contains a NUL character (U+0000)" });
    expect(findTextFault({ a: [1, true, null, "fine"] })).toBeNull();
  });
});
