import { describe, expect, it } from "vitest";
import { parseHash, taskHref } from "../../web/src/lib/router.js";

describe("parseHash", () => {
  it("maps hashes to pages", () => {
    expect(parseHash("")).toEqual({ page: "overview" });
    expect(parseHash("#/")).toEqual({ page: "overview" });
    expect(parseHash("#/tasks/banking-demo")).toEqual({ page: "task", task: "banking-demo", tab: "traffic" });
    expect(parseHash("#/tasks/banking-demo/review")).toEqual({ page: "task", task: "banking-demo", tab: "review" });
    expect(parseHash("#/tasks/banking-demo/explain?x=1")).toEqual({ page: "task", task: "banking-demo", tab: "explain" });
    expect(parseHash("#/tasks/a%20b/data")).toEqual({ page: "task", task: "a b", tab: "data" });
    expect(parseHash("#/tasks/banking-demo/requests")).toEqual({ page: "task", task: "banking-demo", tab: "requests" });
    expect(parseHash("#/keys")).toEqual({ page: "keys" });
    expect(parseHash("#/discovered")).toEqual({ page: "discovered" });
  });

  it("reports unknown pages", () => {
    expect(parseHash("#/nope")).toEqual({ page: "not_found", path: "/nope" });
    expect(parseHash("#/tasks/x/unknown").page).toBe("not_found");
    expect(parseHash("#/tasks/%E0%A4%A/data").page).toBe("not_found");
  });

  it("builds links that parse back", () => {
    expect(taskHref("banking-demo")).toBe("#/tasks/banking-demo");
    expect(taskHref("banking-demo", "quality")).toBe("#/tasks/banking-demo/quality");
    for (const tab of ["traffic", "requests", "quality", "versions", "settings", "review", "explain", "data"] as const) expect(parseHash(taskHref("t-1", tab))).toEqual({ page: "task", task: "t-1", tab });
  });
});
