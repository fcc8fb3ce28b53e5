// @vitest-environment happy-dom
// The Discovered page's edits of a captured task: rename (checked as the gateway checks names),
// describe it and its fields (current values prefilled, only what changed sent), merge another
// captured task into it (only those with the same fields offered, after a confirmation), delete it
// (after a confirmation naming what is lost). Each: the request sent, the page after success, and
// the gateway's refusal shown in place with nothing else changed.
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/preact";
import { afterEach, describe, expect, it } from "vitest";
import { ApiClient } from "../../web/src/api/client.js";
import type { DiscoveredTask } from "../../web/src/api/types.js";
import { SessionContext } from "../../web/src/components/session.js";
import { mergeCandidates, renameProblem } from "../../web/src/lib/discovered.js";
import { DiscoveredPage } from "../../web/src/pages/DiscoveredPage.js";
import { NAME, task } from "./discovered-fixtures.js";

type Call = { method: string; url: string; body: unknown };
type Reply = { status: number; body?: unknown };

const refusal = (status: number, message: string): Reply => ({ status, body: { error: { message, type: "invalid_request_error", code: status === 409 ? "conflict" : "bad_request" } } });

/**
 * The page with a fake gateway: GET /v1/captured lists `gateway.tasks` (as they are at that call,
 * so a reply can change them); every other call is answered by `reply`.
 */
function renderPage(tasks: DiscoveredTask[], reply: (call: Call, gateway: { tasks: DiscoveredTask[] }) => Reply) {
  const gateway = { tasks };
  const calls: Call[] = [];
  const fetchImpl = async (url: string, init?: RequestInit) => {
    const call = { method: init?.method ?? "GET", url, body: init?.body === undefined ? undefined : JSON.parse(String(init.body)) };
    if (call.method === "GET" && url === "/v1/captured") return new Response(JSON.stringify({ data: gateway.tasks }), { status: 200 });
    calls.push(call);
    const r = reply(call, gateway);
    return new Response(r.body === undefined ? null : JSON.stringify(r.body), { status: r.status });
  };
  render(
    <SessionContext.Provider value={{ api: new ApiClient("apx_admin", "", fetchImpl), signOut: () => undefined }}>
      <DiscoveredPage />
    </SessionContext.Provider>,
  );
  return calls;
}

const card = async (name = NAME) => (await screen.findByRole("heading", { name })).closest("article")!;
const edits = (c: HTMLElement) => within(within(c).getByRole("group", { name: /^Edit / }));

afterEach(cleanup);

describe("the edit rules", () => {
  it("checks a new name as the gateway does", () => {
    expect(renameProblem("transfers", NAME)).toBeNull();
    expect(renameProblem("Transfers", NAME)).toMatch(/a-z, 0-9/);
    expect(renameProblem("", NAME)).toMatch(/a-z, 0-9/);
    expect(renameProblem(NAME, NAME)).toBe("That is already its name.");
  });

  it("offers for a merge only the other tasks with the same fields, in any order", () => {
    const same = task({ name: "same", fields: [...task().fields].map((f) => ({ ...f, values: f.values === undefined ? undefined : [...f.values].reverse() })) });
    const reordered = task({ name: "reordered", fields: [...task().fields].reverse() });
    const otherValues = task({ name: "other-values", fields: [{ name: "intent", kind: "choice", values: ["send_money"] }, task().fields[1]] });
    expect(mergeCandidates(task(), [task(), same, reordered, otherValues]).map((t) => t.name)).toEqual(["same", "reordered"]);
  });
});

describe("renaming a captured task", () => {
  it("sends the new name, then shows the task under it", async () => {
    const calls = renderPage([task()], (call, gateway) => {
      gateway.tasks = [task({ name: "transfers" })];
      return { status: 200, body: gateway.tasks[0] };
    });
    const c = await card();
    fireEvent.click(edits(c).getByRole("button", { name: "Rename" }));
    const input = within(c).getByLabelText("New name") as HTMLInputElement;
    expect(input.value).toBe(NAME);
    fireEvent.input(input, { target: { value: "transfers" } });
    fireEvent.click(within(c).getByRole("button", { name: "Rename task" }));
    expect((await screen.findByRole("status")).textContent).toBe(`Renamed “${NAME}” to “transfers”.`);
    const renamed = await card("transfers");
    expect(within(renamed).getByRole("link", { name: "Requests" }).getAttribute("href")).toBe("#/tasks/transfers/requests");
    expect(screen.queryByRole("heading", { name: NAME })).toBeNull();
    expect(calls).toEqual([{ method: "PATCH", url: `/v1/captured/${NAME}`, body: { name: "transfers" } }]);
  });

  it("refuses an invalid name without asking the gateway", async () => {
    const calls = renderPage([task()], () => ({ status: 500 }));
    const c = await card();
    fireEvent.click(edits(c).getByRole("button", { name: "Rename" }));
    fireEvent.input(within(c).getByLabelText("New name"), { target: { value: "Big Name" } });
    fireEvent.click(within(c).getByRole("button", { name: "Rename task" }));
    expect(within(c).getByLabelText("New name").getAttribute("aria-invalid")).toBe("true");
    expect(c.textContent).toContain("Use 1-64 characters a-z, 0-9");
    expect(calls).toEqual([]);
  });

  it("shows the gateway's refusal in place, the form kept, the buttons back", async () => {
    renderPage([task()], () => refusal(409, 'cannot rename "a" to "transfers": task "transfers" exists'));
    const c = await card();
    fireEvent.click(edits(c).getByRole("button", { name: "Rename" }));
    fireEvent.input(within(c).getByLabelText("New name"), { target: { value: "transfers" } });
    fireEvent.click(within(c).getByRole("button", { name: "Rename task" }));
    const alert = await within(c).findByRole("alert");
    expect(alert.textContent).toContain('The task was not renamed: cannot rename "a" to "transfers": task "transfers" exists');
    expect(alert.textContent).toContain("HTTP 409");
    expect((within(c).getByLabelText("New name") as HTMLInputElement).value).toBe("transfers");
    expect(screen.queryByRole("status")).toBeNull();
    expect(edits(c).getByRole("button", { name: "Delete…" }).hasAttribute("disabled")).toBe(false);
  });

  it("disables every button while the request is in flight", async () => {
    let release: () => void = () => undefined;
    const pending = new Promise<void>((r) => (release = r));
    const fetchCalls: string[] = [];
    const fetchImpl = async (url: string, init?: RequestInit) => {
      if ((init?.method ?? "GET") === "GET") return new Response(JSON.stringify({ data: [task()] }), { status: 200 });
      fetchCalls.push(url);
      await pending;
      return new Response(JSON.stringify(task({ name: "transfers" })), { status: 200 });
    };
    render(
      <SessionContext.Provider value={{ api: new ApiClient("apx_admin", "", fetchImpl), signOut: () => undefined }}>
        <DiscoveredPage />
      </SessionContext.Provider>,
    );
    const c = await card();
    fireEvent.click(edits(c).getByRole("button", { name: "Rename" }));
    fireEvent.input(within(c).getByLabelText("New name"), { target: { value: "transfers" } });
    fireEvent.click(within(c).getByRole("button", { name: "Rename task" }));
    await waitFor(() => expect(within(c).getByRole("button", { name: "Working…" }).hasAttribute("disabled")).toBe(true));
    for (const b of edits(c).getAllByRole("button")) expect(b.hasAttribute("disabled")).toBe(true);
    expect(fetchCalls).toHaveLength(1);
    release();
    await screen.findByRole("status");
  });
});

describe("describing a captured task", () => {
  const described = () => task({ fields: [{ ...task().fields[0], description: "What the user wants." }, task().fields[1]] });

  it("prefills the current descriptions and sends only what changed, in one request", async () => {
    const calls = renderPage([described()], () => ({ status: 200, body: described() }));
    const c = await card();
    fireEvent.click(edits(c).getByRole("button", { name: "Describe" }));
    const taskText = within(c).getByLabelText("Task description") as HTMLTextAreaElement;
    const intent = within(c).getByLabelText(/Field intent/) as HTMLTextAreaElement;
    const recipient = within(c).getByLabelText(/Field recipient/) as HTMLTextAreaElement;
    expect([taskText.value, intent.value, recipient.value]).toEqual([task().description, "What the user wants.", ""]);
    fireEvent.input(taskText, { target: { value: "Money transfers from the banking app." } });
    fireEvent.input(intent, { target: { value: "" } });
    fireEvent.input(recipient, { target: { value: " Who gets the money. " } });
    fireEvent.click(within(c).getByRole("button", { name: "Save descriptions" }));
    expect((await screen.findByRole("status")).textContent).toBe(`Descriptions of “${NAME}” saved.`);
    expect(calls).toEqual([{ method: "PATCH", url: `/v1/captured/${NAME}`, body: { descriptions: { intent: "", recipient: "Who gets the money." }, description: "Money transfers from the banking app." } }]);
    expect(within(c).queryByLabelText("Task description")).toBeNull();
  });

  it("shows the field descriptions on the card", async () => {
    renderPage([described()], () => ({ status: 500 }));
    expect((await card()).querySelector(".captured-fields")!.textContent).toContain("What the user wants.");
  });

  it("sends nothing when nothing changed", async () => {
    const calls = renderPage([described()], () => ({ status: 500 }));
    const c = await card();
    fireEvent.click(edits(c).getByRole("button", { name: "Describe" }));
    fireEvent.click(within(c).getByRole("button", { name: "Save descriptions" }));
    expect(c.textContent).toContain("Nothing changed");
    expect(calls).toEqual([]);
  });

  it("shows the gateway's refusal, the form as it was", async () => {
    renderPage([described()], () => refusal(400, "descriptions.intent: Too big: expected string to have <=2000 characters"));
    const c = await card();
    fireEvent.click(edits(c).getByRole("button", { name: "Describe" }));
    fireEvent.input(within(c).getByLabelText(/Field intent/), { target: { value: "Changed." } });
    fireEvent.click(within(c).getByRole("button", { name: "Save descriptions" }));
    expect((await within(c).findByRole("alert")).textContent).toContain("The descriptions were not changed: descriptions.intent: Too big");
    expect((within(c).getByLabelText(/Field intent/) as HTMLTextAreaElement).value).toBe("Changed.");
  });
});

describe("merging a captured task into another", () => {
  const other = task({ name: "transfer-0a0a0a0a0a", examples: 120, capture: { ...task().capture, model: "gpt-4.1-mini" } });
  const unlike = task({ name: "unlike", fields: [task().fields[1]] });

  it("offers the tasks with the same fields, confirms what happens, merges, and the other task is gone", async () => {
    const calls = renderPage([task(), other, unlike], (_call, gateway) => {
      gateway.tasks = [task({ examples: 900 }), unlike];
      return { status: 200, body: { merged: other.name, into: NAME, moved: 118, kept_existing: 2, task: gateway.tasks[0] } };
    });
    const c = await card();
    fireEvent.click(edits(c).getByRole("button", { name: "Merge…" }));
    const select = within(c).getByLabelText(`Merge into “${NAME}”`) as HTMLSelectElement;
    expect(Array.from(select.options).map((o) => o.value)).toEqual([other.name]);
    fireEvent.click(within(c).getByRole("button", { name: "Merge the selected task…" }));
    const dialog = screen.getByRole("dialog");
    expect(within(dialog).getByRole("heading").textContent).toBe(`Merge “${other.name}” into “${NAME}”?`);
    expect(dialog.textContent).toContain("Its 120 examples move into");
    expect(dialog.textContent).toContain(`“${other.name}” disappears`);
    expect(calls).toEqual([]);
    fireEvent.click(within(dialog).getByRole("button", { name: "Merge" }));
    expect((await screen.findByRole("status")).textContent).toBe(`Merged “${other.name}” into “${NAME}”: 118 examples moved (2 texts it had already kept its labels).`);
    await waitFor(() => expect(screen.queryByRole("heading", { name: other.name })).toBeNull());
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(calls).toEqual([{ method: "POST", url: `/v1/captured/${other.name}/merge`, body: { into: NAME } }]);
  });

  it("says so when no task could be merged", async () => {
    renderPage([task(), unlike], () => ({ status: 500 }));
    const c = await card();
    fireEvent.click(edits(c).getByRole("button", { name: "Merge…" }));
    expect(c.textContent).toContain("No other captured task answers with the same fields");
  });

  it("shows the gateway's 409 as it is, and both tasks stay", async () => {
    const message = `cannot merge "${other.name}" into "${NAME}": together they have 40 fingerprints, over the limit of 32`;
    renderPage([task(), other], () => refusal(409, message));
    const c = await card();
    fireEvent.click(edits(c).getByRole("button", { name: "Merge…" }));
    fireEvent.click(within(c).getByRole("button", { name: "Merge the selected task…" }));
    fireEvent.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Merge" }));
    expect((await within(c).findByRole("alert")).textContent).toContain(`Nothing was merged: ${message}`);
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(screen.getByRole("heading", { name: other.name })).toBeTruthy();
  });
});

describe("deleting a captured task", () => {
  it("confirms naming the task and what is lost, deletes, and the card is gone", async () => {
    const calls = renderPage([task()], (_call, gateway) => {
      gateway.tasks = [];
      return { status: 204 };
    });
    const c = await card();
    fireEvent.click(edits(c).getByRole("button", { name: "Delete…" }));
    const dialog = screen.getByRole("dialog");
    expect(within(dialog).getByRole("heading").textContent).toBe(`Delete “${NAME}”?`);
    expect(dialog.textContent).toContain("Its 817 examples and its model versions (live: v3) are deleted");
    expect(calls).toEqual([]);
    fireEvent.click(within(dialog).getByRole("button", { name: "Delete task" }));
    expect((await screen.findByRole("status")).textContent).toBe(`Deleted “${NAME}”.`);
    await screen.findByText("No captured tasks yet");
    expect(calls).toEqual([{ method: "DELETE", url: `/v1/captured/${NAME}`, body: undefined }]);
  });

  it("sends nothing when cancelled, and shows the gateway's refusal on the card", async () => {
    const calls = renderPage([task()], () => ({ status: 404, body: { error: { message: `no captured task "${NAME}"`, type: "invalid_request_error", code: "not_found" } } }));
    const c = await card();
    fireEvent.click(edits(c).getByRole("button", { name: "Delete…" }));
    fireEvent.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Cancel" }));
    expect(calls).toEqual([]);
    fireEvent.click(edits(c).getByRole("button", { name: "Delete…" }));
    fireEvent.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Delete task" }));
    expect((await within(c).findByRole("alert")).textContent).toContain(`The task was not deleted: no captured task "${NAME}"`);
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(screen.getByRole("heading", { name: NAME })).toBeTruthy();
  });
});
