// @vitest-environment happy-dom
// A structured task's answers on the pages: the field list instead of the JSON, the input with its
// extracted values highlighted (as text, whatever the input holds), the correction form and the
// review queue sending `{output}`, and the per-field quality table.
import { cleanup, fireEvent, render, screen, within } from "@testing-library/preact";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ReviewItem, StructuredReport } from "../../web/src/api/types.js";
import { AnswerView, FieldList, HighlightedText } from "../../web/src/components/AnswerView.js";
import { OutputEditor } from "../../web/src/components/OutputEditor.js";
import { ReviewQueue } from "../../web/src/components/ReviewQueue.js";
import { StructuredReportView } from "../../web/src/pages/QualityTab.js";
import { answerFields, NONE_LABEL } from "../../web/src/lib/structured.js";

const FIELDS = answerFields({
  properties: {
    intent: { enum: ["send_money", "request_money", "check_balance"] },
    amount: { extract: true },
    currency: { type: ["string", "null"], enum: ["EUR", "USD", "GBP"] },
    recipient: { extract: true },
    urgent: { type: "boolean" },
    topics: { tags: ["rent", "gift", "loan"] },
  },
})!;
const ANSWER = { intent: "send_money", amount: "40", currency: "EUR", recipient: "Anna", urgent: false, topics: ["gift"] };
const LABEL = JSON.stringify(ANSWER);

afterEach(cleanup);

/** The field list's name → value pairs as shown. */
function shownFields(root: Element): Record<string, string> {
  return Object.fromEntries(Array.from(root.querySelectorAll(".field-item")).map((el) => [el.querySelector("dt")!.textContent, el.querySelector("dd")!.textContent]));
}

describe("AnswerView", () => {
  it("shows a structured answer as its fields, not as JSON", () => {
    const { container } = render(<AnswerView fields={FIELDS} label={LABEL} />);
    expect(shownFields(container)).toEqual({ intent: "send_money", amount: "40", currency: "EUR", recipient: "Anna", urgent: "no", topics: "gift" });
    expect(container.textContent).not.toContain("{");
  });

  it("shows a label task's label, and no answer as none", () => {
    const { container } = render(
      <>
        <AnswerView fields={null} label="card_arrival" />
        <AnswerView fields={FIELDS} label={null} none="no valid answer" />
      </>,
    );
    expect(container.textContent).toBe("card_arrivalno valid answer");
  });

  it("adds each field's confidence when given", () => {
    const { container } = render(<FieldList fields={FIELDS} object={ANSWER} confidence={{ intent: { confidence: 0.91 }, recipient: { confidence: 0.5 } }} />);
    expect(shownFields(container).intent).toBe("send_money 91%");
    expect(shownFields(container).amount).toBe("40");
  });
});

describe("HighlightedText", () => {
  it("marks each extracted value with its field's name", () => {
    const text = "send 40 euros to Anna";
    const { container } = render(<HighlightedText text={text} fields={FIELDS} spans={[{ field: "recipient", start: 17, end: 21 }, { field: "amount", start: 5, end: 7 }]} />);
    const marks = Array.from(container.querySelectorAll("mark"));
    expect(marks.map((m) => [m.dataset.field, m.firstChild!.textContent])).toEqual([["amount", "40"], ["recipient", "Anna"]]);
    expect(marks.map((m) => m.querySelector(".hl-field")!.textContent)).toEqual(["amount", "recipient"]);
    expect(marks[0].className).not.toBe(marks[1].className);
  });

  it("renders a hostile text as text: no element or handler is injected", () => {
    const text = `pay <img src=x onerror="alert(1)"> to <b>Eve</b>&amp; now`;
    const start = text.indexOf("<b>Eve</b>");
    const { container } = render(<HighlightedText text={text} fields={FIELDS} spans={[{ field: "recipient", start, end: start + "<b>Eve</b>".length }]} />);
    const p = container.querySelector(".highlighted-text")!;
    expect(p.querySelector("img")).toBeNull();
    expect(p.querySelector("b")).toBeNull();
    expect(p.querySelector("mark")!.firstChild!.textContent).toBe("<b>Eve</b>");
    expect(p.textContent).toBe(`${text.slice(0, start)}<b>Eve</b>recipient${text.slice(start + 10)}`);
  });
});

describe("OutputEditor", () => {
  it("edits each kind with its own input and sends the object", () => {
    const onSubmit = vi.fn();
    render(<OutputEditor fields={FIELDS} initial={ANSWER} submitLabel="Save correction" idPrefix="t" onSubmit={onSubmit} />);
    const intent = screen.getByLabelText("intent") as HTMLSelectElement;
    expect(intent.tagName).toBe("SELECT");
    expect(intent.value).toBe("send_money");
    expect((screen.getByLabelText("amount") as HTMLInputElement).value).toBe("40");
    expect((screen.getByLabelText("urgent") as HTMLInputElement).type).toBe("checkbox");
    expect((screen.getByLabelText("topics") as HTMLSelectElement).multiple).toBe(true);

    fireEvent.change(intent, { target: { value: "request_money" } });
    fireEvent.input(screen.getByLabelText("amount"), { target: { value: "" } });
    fireEvent.change(screen.getByLabelText("currency"), { target: { value: "" } });
    fireEvent.click(screen.getByLabelText("urgent"));
    const topics = screen.getByLabelText("topics") as HTMLSelectElement;
    for (const o of Array.from(topics.options)) o.selected = o.value !== "gift";
    fireEvent.change(topics);
    fireEvent.click(screen.getByRole("button", { name: "Save correction" }));
    expect(onSubmit).toHaveBeenCalledWith({ intent: "request_money", amount: null, currency: null, recipient: "Anna", urgent: true, topics: ["rent", "loan"] });
  });
});

describe("ReviewQueue for a structured task", () => {
  const item = (id: string, teacher: object | null): ReviewItem => ({
    request_id: id,
    kind: teacher === null ? "low_confidence" : "disagreement",
    input: `send 40 euros to Anna (${id})`,
    created_at: Date.now() - 60_000,
    answer: { label: LABEL, source: "specialist", confidence: 0.6 },
    teacher_label: teacher === null ? null : JSON.stringify(teacher),
    top: [],
  });

  it("shows both answers as fields, starts from the teacher's, and sends the correction as an object", async () => {
    const onFeedback = vi.fn().mockResolvedValue({ ok: true });
    const teacher = { ...ANSWER, urgent: true };
    render(<ReviewQueue items={[item("r1", teacher), item("r2", null)]} labels={[]} noneLabel="" fields={FIELDS} onFeedback={onFeedback} />);
    const answers = screen.getByText("Returned answer").closest("dl")!;
    expect(within(answers).getAllByText("send_money")).toHaveLength(2);
    expect(answers.textContent).not.toContain("{");
    expect((screen.getByLabelText("urgent") as HTMLInputElement).checked).toBe(true);

    // The label keys do nothing here (no digit picks a JSON string); the form is the way.
    fireEvent.keyDown(document.body, { key: "1" });
    fireEvent.keyDown(document.body, { key: "/" });
    expect(onFeedback).not.toHaveBeenCalled();

    fireEvent.input(screen.getByLabelText("recipient"), { target: { value: "Anna" } });
    fireEvent.click(screen.getByRole("button", { name: "Save correction" }));
    expect(onFeedback).toHaveBeenCalledWith("r1", teacher);
    await screen.findByText(/\(r2\)/);
    // Without a teacher's answer the form starts from the returned one; s still skips.
    expect((screen.getByLabelText("urgent") as HTMLInputElement).checked).toBe(false);
    fireEvent.keyDown(document.body, { key: "s" });
    await screen.findByText("You are through this batch");
    expect(screen.getByText(/done ·/).textContent).toBe("1 done · 1 skipped · 0 remaining");
  });
});

describe('"none of these" in a choice field', () => {
  const NONE = { ...ANSWER, intent: NONE_LABEL, amount: null, recipient: null };
  const CAPTURED = answerFields({ properties: { intent: { enum: ["send_money", "request_money"] }, topics: { tags: ["rent", "gift"] } } }, { mode: "shadow" })!;
  const item = (id: string, teacher: object): ReviewItem => ({
    request_id: id,
    kind: "disagreement",
    input: `what is the weather in Lisbon (${id})`,
    created_at: Date.now() - 60_000,
    answer: { label: LABEL, source: "specialist", confidence: 0.6 },
    teacher_label: JSON.stringify(teacher),
    top: [],
  });

  it("is shown as none of these, apart from a value and from null", () => {
    const { container } = render(<FieldList fields={FIELDS} object={{ ...NONE, currency: null }} confidence={{ intent: { confidence: 0.8 } }} />);
    expect(shownFields(container)).toMatchObject({ intent: "none of these 80%", currency: "—" });
    const intent = container.querySelector('[data-field="intent"]')!;
    expect(intent.classList.contains("field-none")).toBe(true);
    expect(intent.querySelector(".tag-none")!.textContent).toBe("none of these");
    expect(container.querySelector('[data-field="currency"] .tag-none')).toBeNull();
    // A review item's answers show it the same way.
    const answers = render(<AnswerView fields={FIELDS} label={JSON.stringify(NONE)} />);
    expect(answers.container.querySelector('[data-field="intent"] .tag-none')).not.toBeNull();
  });

  it("is an option of each choice field's select, and only there", () => {
    const onSubmit = vi.fn();
    render(<OutputEditor fields={FIELDS} initial={ANSWER} submitLabel="Save" idPrefix="t" onSubmit={onSubmit} />);
    const options = (label: string) => Array.from((screen.getByLabelText(label) as HTMLSelectElement).options).map((o) => [o.value, o.textContent]);
    expect(options("intent")).toEqual([["send_money", "send_money"], ["request_money", "request_money"], ["check_balance", "check_balance"], [NONE_LABEL, "none of these"]]);
    expect(options("currency")).toEqual([["", "— not said —"], ["EUR", "EUR"], ["USD", "USD"], ["GBP", "GBP"], [NONE_LABEL, "none of these"]]);
    expect(options("topics").map(([v]) => v)).toEqual(["rent", "gift", "loan"]);
    fireEvent.change(screen.getByLabelText("currency"), { target: { value: NONE_LABEL } });
    fireEvent.click(screen.getByRole("button", { name: "Save" }));
    expect(onSubmit).toHaveBeenCalledWith({ ...ANSWER, currency: NONE_LABEL });
  });

  it("is what the review queue's n gives for the first choice field, on the form as edited", async () => {
    const onFeedback = vi.fn().mockResolvedValue({ ok: true });
    const teacher = { ...ANSWER, amount: null, recipient: null };
    render(<ReviewQueue items={[item("r1", teacher), item("r2", teacher)]} labels={[]} noneLabel={NONE_LABEL} fields={FIELDS} onFeedback={onFeedback} />);
    expect(screen.getByText(/none of these for/).textContent).toContain("intent");
    fireEvent.keyDown(document.body, { key: "n" });
    expect(onFeedback).toHaveBeenCalledWith("r1", { ...teacher, intent: NONE_LABEL });
    await screen.findByText(/\(r2\)/);
    // A field changed in the form first is kept; the button does what n does.
    fireEvent.click(screen.getByLabelText("urgent"));
    fireEvent.click(screen.getByRole("button", { name: /None of these \(intent\)/ }));
    expect(onFeedback).toHaveBeenLastCalledWith("r2", { ...teacher, urgent: true, intent: NONE_LABEL });
    await screen.findByText("You are through this batch");
  });

  it("is not offered for a captured task, whose schema is the app's", () => {
    const onFeedback = vi.fn().mockResolvedValue({ ok: true });
    render(<ReviewQueue items={[item("r1", { intent: "send_money", topics: [] })]} labels={[]} noneLabel="" fields={CAPTURED} onFeedback={onFeedback} />);
    fireEvent.keyDown(document.body, { key: "n" });
    expect(onFeedback).not.toHaveBeenCalled();
    expect(screen.queryByRole("button", { name: /None of these/ })).toBeNull();
    expect(Array.from((screen.getByLabelText("intent") as HTMLSelectElement).options).map((o) => o.value)).toEqual(["send_money", "request_money"]);
  });
});

describe("StructuredReportView", () => {
  it("shows exact match and a per-field table instead of the confusion matrix", () => {
    const report: StructuredReport = {
      kind: "structured",
      model_version: 3,
      threshold: 0.8,
      threshold_reason: "highest coverage within max error",
      holdout_examples: 120,
      exact_match: 0.75,
      curve: [],
      chosen: null,
      per_field: [
        { field: "intent", agreement: 0.98, with_value: 120 },
        { field: "recipient", agreement: 0.8, with_value: 96 },
      ],
    };
    render(<StructuredReportView report={report} maxError={0.1} />);
    expect(screen.getByText("Exact match").nextElementSibling!.textContent).toContain("75.0%");
    const table = screen.getByRole("table", { name: /Agreement per field/ });
    const rows = within(table).getAllByRole("row").slice(1).map((r) => within(r).getAllByRole("cell").map((c) => c.textContent));
    // In the task's field order.
    expect(rows).toEqual([
      ["intent", "98.0%", "120 of 120"],
      ["recipient", "80.0%", "96 of 120"],
    ]);
    expect(screen.queryByText("Top confusions")).toBeNull();
  });
});
