// @vitest-environment happy-dom
// The Discovered page: the plain-language sentence with shadow mode's figures (savings in money
// when prices are configured, else in calls), the mode switch and auto-serve sending the PATCH body
// only after a confirmation, the gateway's error shown on the card, and the empty states.
import { cleanup, fireEvent, render, screen, within } from "@testing-library/preact";
import { afterEach, describe, expect, it } from "vitest";
import { ApiClient } from "../../web/src/api/client.js";
import type { DiscoveredTask } from "../../web/src/api/types.js";
import { SessionContext } from "../../web/src/components/session.js";
import { changeText, dailySaving, proofText, shadowSentence } from "../../web/src/lib/discovered.js";
import { money } from "../../web/src/lib/format.js";
import { DiscoveredPage } from "../../web/src/pages/DiscoveredPage.js";
import { NAME, shadow, task } from "./discovered-fixtures.js";

describe("the shadow sentence", () => {
  it("states the share, the bound with its confidence and the saving in money when prices are configured", () => {
    expect(shadowSentence(task())).toBe(`The specialist would have answered 64% of these 1,000 calls, disagreeing with the LLM on ≤ 3.1% (95% confidence), saving ${money(0.32)} a day.`);
  });

  it("counts the saving in LLM calls when there are no prices", () => {
    const unpriced = task({ shadow: shadow({ cost: 0, would_answer_cost: 0 }), per_day: { calls: 1000, cost: 0, saving: 0, saved_calls: 640 } });
    expect(shadowSentence(unpriced)).toMatch(/, saving 640 LLM calls a day\.$/);
    expect(dailySaving({ ...unpriced, per_day: { ...unpriced.per_day, saved_calls: 1 } })).toBe("1 LLM call a day");
  });

  it("says why there is no figure yet: no calls, no specialist, or no call it was sure of", () => {
    expect(shadowSentence(task({ shadow: shadow({ requests: 0, would_answer: 0 }) }))).toMatch(/^No calls in shadow mode/);
    expect(shadowSentence(task({ model_version: null, shadow: shadow({ requests: 120, would_answer: 0 }) }))).toBe("No specialist yet: it learns from the LLM's answers to these 120 calls and trains once it has enough of them.");
    expect(shadowSentence(task({ shadow: shadow({ would_answer: 0 }) }))).toBe("The specialist would not have answered any of these 1,000 calls: it was not sure enough of any yet.");
    expect(shadowSentence(task({ threshold: null, shadow: shadow({ would_answer: 0 }) }))).toMatch(/any of these 1,000 calls: it has too few checked answers to prove a confidence threshold yet\.$/);
    expect(shadowSentence(task({ shadow: shadow({ would_answer_judged: 0, disagreement_bound: null }) }))).toMatch(/with none of its answers checked against the LLM's yet, saving/);
  });

  it("compares the bound with max error", () => {
    expect(proofText(shadow())).toBe("Proven: 11 disagreements in 600 checked answers, bound 3.1% at 95% confidence, within the max error of 5.0%.");
    expect(proofText(shadow({ proven: false, disagreement_bound: 0.081 }))).toMatch(/^Not proven yet: .*bound 8\.1% .*above the max error of 5\.0%\.$/);
    expect(proofText(shadow({ disagreement_bound: null, proven: false }))).toMatch(/^Not proven yet: none/);
  });

  it("warns before serving while the live model is not proven", () => {
    expect(changeText(task(), { mode: "serve" }).warning).toMatch(/not proven/);
    expect(changeText(task({ shadow_live_version: shadow() }), { mode: "serve" }).warning).toBeNull();
    expect(changeText(task(), { mode: "off" }).title).toBe(`Switch “${NAME}” to off?`);
  });
});

/** The page signed in with a fake gateway: GET /v1/captured lists `tasks` (null: a gateway without the route); PATCH answers with `patchReply`. */
function renderPage(tasks: DiscoveredTask[] | null, patchReply: (body: Record<string, unknown>) => { status: number; body: unknown }) {
  const calls: { method: string; url: string; body: unknown }[] = [];
  const fetchImpl = async (url: string, init?: RequestInit) => {
    const method = init?.method ?? "GET";
    const body = init?.body === undefined ? undefined : (JSON.parse(String(init.body)) as Record<string, unknown>);
    calls.push({ method, url, body });
    if (method === "PATCH") {
      const reply = patchReply(body!);
      return new Response(JSON.stringify(reply.body), { status: reply.status });
    }
    if (tasks === null) return new Response(JSON.stringify({ error: { message: `no route GET ${url}`, type: "invalid_request_error", code: "not_found" } }), { status: 404 });
    return new Response(JSON.stringify({ data: tasks }), { status: 200 });
  };
  const session = { api: new ApiClient("apx_admin", "", fetchImpl), signOut: () => undefined };
  render(
    <SessionContext.Provider value={session}>
      <DiscoveredPage />
    </SessionContext.Provider>,
  );
  return calls;
}

afterEach(cleanup);

describe("DiscoveredPage", () => {
  it("shows the task: sentence, call, fields, samples as text, and links to its task pages", async () => {
    renderPage([task()], () => ({ status: 500, body: {} }));
    const card = (await screen.findByRole("heading", { name: NAME })).closest("article")!;
    expect(within(card).getByText(/^The specialist would have answered 64%/)).toBeTruthy();
    expect(card.textContent).toContain("gpt-4o-mini");
    expect(card.textContent).toContain("transfer");
    expect(Array.from(card.querySelectorAll(".captured-fields code")).map((c) => c.textContent)).toEqual(["intent", "recipient"]);
    const sample = card.querySelector(".captured-samples li")!;
    expect(sample.querySelector("b")).toBeNull();
    expect(sample.querySelector(".sample-input")!.textContent).toBe("send 40 euros to <b>Anna</b>");
    expect(sample.querySelector("[data-field=recipient] dd")!.textContent).toBe("<b>Anna</b>");
    expect(within(card).getByRole("link", { name: "Requests" }).getAttribute("href")).toBe(`#/tasks/${NAME}/requests`);
    // The badge follows the live model's figures, which auto-serve reads.
    expect(within(card).getByText("not proven yet")).toBeTruthy();
    expect(card.textContent).not.toContain("Not learned");
  });

  it("says how many served calls the specialist answered", async () => {
    renderPage([task({ served: { requests: 200, by_specialist: 130, cost: 0.01 } })], () => ({ status: 500, body: {} }));
    const card = (await screen.findByRole("heading", { name: NAME })).closest("article")!;
    expect(card.textContent).toMatch(/Served\s*130 of 200 calls answered by the specialist \(65%\)/);
  });

  it("says how many calls the gateway was too busy to learn", async () => {
    renderPage([task({ shed_calls: 1234 })], () => ({ status: 500, body: {} }));
    const card = (await screen.findByRole("heading", { name: NAME })).closest("article")!;
    expect(card.textContent).toMatch(/Not learned\s*1,234 calls since the gateway started/);
  });

  it("switches the mode only after the confirmation, with the right body, and shows the new mode", async () => {
    let served = false;
    const calls = renderPage([task()], (body) => {
      served = body.mode === "serve";
      return { status: 200, body: task({ capture: { ...task().capture, mode: "serve" } }) };
    });
    fireEvent.click(await screen.findByLabelText("Serve"));
    const dialog = screen.getByRole("dialog");
    expect(dialog.textContent).toMatch(/not proven/);
    expect(calls.filter((c) => c.method === "PATCH")).toEqual([]);
    fireEvent.click(within(dialog).getByRole("button", { name: "Confirm" }));
    expect((await screen.findByRole("status")).textContent).toBe("Now in serve mode.");
    expect(calls.filter((c) => c.method === "PATCH")).toEqual([{ method: "PATCH", url: `/v1/captured/${NAME}`, body: { mode: "serve" } }]);
    expect(served).toBe(true);
    expect(screen.queryByRole("dialog")).toBeNull();
  });

  it("sends nothing when the confirmation is cancelled", async () => {
    const calls = renderPage([task()], () => ({ status: 200, body: task() }));
    fireEvent.click(await screen.findByLabelText("Off"));
    fireEvent.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Cancel" }));
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(calls.some((c) => c.method === "PATCH")).toBe(false);
  });

  it("turns auto-serve on, and shows the gateway's error when the change fails", async () => {
    const calls = renderPage([task()], () => ({ status: 400, body: { error: { message: "auto_serve: expected boolean", type: "invalid_request_error", code: "bad_request" } } }));
    fireEvent.click(await screen.findByRole("switch", { name: /Auto-serve/ }));
    fireEvent.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Confirm" }));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("The change was not made: auto_serve: expected boolean");
    expect(alert.textContent).toContain("HTTP 400");
    expect(calls.find((c) => c.method === "PATCH")?.body).toEqual({ auto_serve: true });
  });

  it("explains how capture works when there is no captured task", async () => {
    renderPage([], () => ({ status: 500, body: {} }));
    await screen.findByText("No captured tasks yet");
    expect(screen.getByText(/becomes a captured task here/).textContent).toMatch(/json_schema/);
  });

  it("says capture is off, not that loading failed, on a gateway without an upstream", async () => {
    renderPage(null, () => ({ status: 500, body: {} }));
    await screen.findByText("Capture is off on this gateway");
    expect(screen.queryByRole("alert")).toBeNull();
  });
});
