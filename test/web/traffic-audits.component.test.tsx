// @vitest-environment happy-dom
// The Traffic tab's live audits by answer: listed worst first with what the teacher said instead,
// for a label task whose stats carry them; absent when there are none (a structured task's).
import { cleanup, render, screen, within } from "@testing-library/preact";
import { afterEach, describe, expect, it } from "vitest";
import { ApiClient } from "../../web/src/api/client.js";
import type { AnswerAudit, TaskStats } from "../../web/src/api/types.js";
import { SessionContext } from "../../web/src/components/session.js";
import { TrafficTab } from "../../web/src/pages/TrafficTab.js";

const NOW = Date.UTC(2026, 11, 7, 12);

function stats(byAnswer: AnswerAudit[] | undefined): TaskStats {
  return {
    task: "topics",
    since: NOW - 86_400_000,
    until: null,
    requests: 500,
    by_source: { specialist: 300, teacher: 200, none: 0 },
    by_status: { ok: 500, teacher_invalid: 0, teacher_error: 0, degraded: 0 },
    teacher_calls: 230,
    audited: 30,
    disagreements: 9,
    none_answers: 0,
    audited_none: 0,
    cost: 0,
    latency_p50_ms: 1,
    latency_p95_ms: 2,
    coverage: 0.6,
    none_share: 0,
    cost_per_teacher_call: null,
    teacher_only_cost: null,
    cost_saved: null,
    audit: { audited: 30, disagreements: 9, agreement: 0.7, disagreement_upper_bound: 0.46, max_error: 0.05, confidence_level: 0.95, none_share: 0, status: "exceeded", ...(byAnswer === undefined ? {} : { by_answer: byAnswer }) },
    daily: [],
    model_version: 2,
    examples: 400,
  } as TaskStats;
}

function renderTab(s: TaskStats) {
  const fetchImpl = async (url: string) => {
    if (url.includes("/v1/tasks/topics/stats")) return new Response(JSON.stringify(s), { status: 200 });
    if (url.includes("/v1/tasks/topics/traffic")) return new Response(JSON.stringify({ bucket: "hour", bucket_ms: 3_600_000, since: NOW - 86_400_000, until: NOW, series: [] }), { status: 200 });
    return new Response(JSON.stringify({ error: { message: "not here", type: "invalid_request_error", code: "not_found" } }), { status: 404 });
  };
  render(
    <SessionContext.Provider value={{ api: new ApiClient("apx_admin", "", fetchImpl), signOut: () => undefined }}>
      <TrafficTab name="topics" />
    </SessionContext.Provider>,
  );
}

afterEach(cleanup);

describe("TrafficTab's live audits by answer", () => {
  it("lists each answer's audits, disagreement, bound, what the teacher said instead and the status", async () => {
    renderTab(
      stats([
        { answer: "music", audited: 20, disagreements: 9, disagreement_upper_bound: 0.65, teacher_instead: "travel", teacher_instead_count: 7, status: "exceeded", on_hold: true },
        { answer: "weather", audited: 10, disagreements: 0, disagreement_upper_bound: 0.26, teacher_instead: null, teacher_instead_count: 0, status: "unproven", on_hold: false },
      ]),
    );
    const table = (await screen.findByText("Live audits by the specialist's answer")).closest("table")!;
    const rows = Array.from(table.querySelectorAll("tbody tr")).map((tr) => Array.from(tr.querySelectorAll("td")).map((td) => td.textContent));
    expect(rows).toHaveLength(2);
    expect(rows[0].slice(0, 5)).toEqual(["music", "20", "45.0% (9)", "65.0%", "travel (7)"]);
    expect(rows[1][0]).toBe("weather");
    expect(rows[1][4]).toBe("—");
    expect(within(table).getAllByTitle(/^Live audit:/)).toHaveLength(2);
    // The answer the live version holds says so; the other does not.
    expect(rows[0][5]).toMatch(/on hold$/);
    expect(rows[1][5]).not.toMatch(/on hold/);
  });

  it("shows no such table when the stats list no answers", async () => {
    renderTab(stats(undefined));
    await screen.findByText("Specialist coverage");
    expect(screen.queryByText("Live audits by answer")).toBeNull();
  });
});
