// @vitest-environment happy-dom
// The task page's header: while the surge guard holds the specialist back, the page says which
// answers surge and that the teacher answers everything meanwhile; while answers are on hold, which
// ones; otherwise it says nothing.
import { cleanup, render, screen } from "@testing-library/preact";
import { afterEach, describe, expect, it } from "vitest";
import type { CascadeStats } from "../../src/cascade/cascade.js";
import { ApiClient } from "../../web/src/api/client.js";
import type { TaskDetail } from "../../web/src/api/types.js";
import { SessionContext } from "../../web/src/components/session.js";
import { TaskPage } from "../../web/src/pages/TaskPage.js";

function detail(cascade: Partial<CascadeStats>): TaskDetail {
  return {
    name: "topics",
    definition: {
      name: "topics",
      instructions: "Classify the topic.",
      labels: [{ name: "weather" }, { name: "sports" }],
      teacher: { name: "default" },
      routing: { max_error: 0.05, confidence_level: 0.95, audit_rate: 0.05, out_of_scope_max: 0.9 },
      training: { retrain_every: 250, min_examples: 100, holdout_fraction: 0.2, seed: 1 },
    },
    created_at: 0,
    updated_at: 0,
    none_label: "none_of_these",
    model_version: 3,
    cascade: { surging: [], surge_diversions: 0, held: [], held_diversions: 0, version: 3, ...cascade } as CascadeStats,
  } as TaskDetail;
}

/** The page on its settings tab, signed in with a fake gateway that knows only the task. */
function renderPage(task: TaskDetail) {
  const fetchImpl = async (url: string) =>
    url.endsWith("/v1/tasks/topics") ? new Response(JSON.stringify(task), { status: 200 }) : new Response(JSON.stringify({ error: { message: "not here", type: "invalid_request_error", code: "not_found" } }), { status: 404 });
  render(
    <SessionContext.Provider value={{ api: new ApiClient("apx_admin", "", fetchImpl), signOut: () => undefined }}>
      <TaskPage name="topics" tab="settings" />
    </SessionContext.Provider>,
  );
}

afterEach(cleanup);

describe("TaskPage", () => {
  it("says which answers surge and how many requests went to the teacher for it", async () => {
    renderPage(detail({ surging: ["weather"], surge_diversions: 1234 }));
    const notice = await screen.findByText(/^Traffic shift:/);
    expect(notice.textContent).toContain("requests read as weather far outnumber");
    expect(notice.textContent).toContain("(1,234 diverted since the gateway started)");
  });

  it("says which answers the audits put on hold and how many requests went to the teacher for it", async () => {
    renderPage(detail({ held: ["sports", "weather"], held_diversions: 56 }));
    const notice = await screen.findByText(/^Answers on hold:/);
    expect(notice.textContent).toContain("proved sports, weather wrong more often");
    expect(notice.textContent).toContain("(56 diverted since the gateway started)");
    expect(screen.queryByText(/^Traffic shift:/)).toBeNull();
  });

  it("says nothing while nothing surges or is on hold", async () => {
    renderPage(detail({ surging: [], surge_diversions: 17, held: [], held_diversions: 4 }));
    await screen.findByText("v3");
    expect(screen.queryByText(/^Traffic shift:/)).toBeNull();
    expect(screen.queryByText(/^Answers on hold:/)).toBeNull();
  });
});
