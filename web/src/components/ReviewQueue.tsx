// Working through review items one at a time: read the text and both answers, pick the right
// label (1–5 for the top labels, / to search all labels, n for none of these, s to skip). Each pick
// is sent as feedback and becomes a gold example. A structured task's item is corrected field by
// field instead (OutputEditor) and sent as an object; there `n` answers "none of these" in its
// first choice field that offers it (the others' selects offer it too) and `s` skips.
import { useEffect, useReducer, useRef, useState } from "preact/hooks";
import { errorMessage } from "../api/client.js";
import type { ReviewItem, ReviewKind, StructuredObject } from "../api/types.js";
import { ago, pct } from "../lib/format.js";
import { choices, commandForKey, current, emptyQueue, progress, reduceQueue, type Command } from "../lib/review-queue.js";
import { NONE_LABEL, noneField, outputFormFrom, outputFromForm, parseAnswer, type AnswerField } from "../lib/structured.js";
import { AnswerView } from "./AnswerView.js";
import { LabelSearch } from "./LabelSearch.js";
import { OutputEditor } from "./OutputEditor.js";

export const KIND_TEXT: Record<ReviewKind, string> = {
  disagreement: "Audit disagreement",
  low_confidence: "Low confidence",
  teacher_invalid: "Invalid teacher answer",
};

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || typeof el.tagName !== "string") return false;
  return el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName);
}

export interface ReviewQueueProps {
  items: ReviewItem[];
  labels: string[];
  /** The task's "none of these" answer, for inputs that fit no label. */
  noneLabel: string;
  /** A structured task's fields: items are corrected field by field and sent as objects. */
  fields?: readonly AnswerField[] | null;
  onFeedback: (requestId: string, answer: string | StructuredObject) => Promise<unknown>;
  /** Fetch the queue again (more items, or the skipped ones once more). */
  onReload?: (retrySkipped: boolean) => void;
}

export function ReviewQueue({ items, labels, noneLabel, fields = null, onFeedback, onReload }: ReviewQueueProps) {
  // Loaded from the first render, so the queue never flashes "Nothing to review here".
  const [state, dispatch] = useReducer(reduceQueue, items, (first) => reduceQueue(emptyQueue(), { type: "load", items: first }));
  const [searching, setSearching] = useState(false);
  const retry = useRef(false);
  const item = current(state);
  const counts = progress(state);
  const total = counts.done + counts.skipped + counts.remaining;

  useEffect(() => {
    dispatch({ type: "load", items, retrySkipped: retry.current });
    retry.current = false;
  }, [items]);

  // A structured task: the field `n` answers none, and the object the form holds now (null: untouched, the item's initial answer).
  const structuredNone = fields === null ? null : noneField(fields);
  const edited = useRef<{ id: string; output: StructuredObject } | null>(null);
  const initialOutput = item === null ? null : (parseAnswer(item.teacher_label) ?? parseAnswer(item.answer.label));

  const run = (cmd: Command) => {
    if (cmd.type === "search") setSearching(true);
    else if (cmd.type === "skip") {
      setSearching(false);
      dispatch({ type: "skip" });
    } else if (cmd.type === "none" && fields !== null) pickStructuredNone();
    else pick(cmd.type === "none" ? noneLabel : cmd.label);
  };

  /** The form's object with the first none-offering choice field answered "none of these". */
  function pickStructuredNone() {
    if (item === null || fields === null || structuredNone === null) return;
    const current = edited.current?.id === item.request_id ? edited.current.output : outputFromForm(fields, outputFormFrom(fields, initialOutput));
    pick(`"none of these" for ${structuredNone.name}`, { ...current, [structuredNone.name]: NONE_LABEL });
  }

  /** `label`: what is being saved, as the page says it; `answer`: what is sent (the label itself by default). */
  function pick(label: string, answer: string | StructuredObject = label) {
    if (item === null || state.saving !== null) return;
    setSearching(false);
    dispatch({ type: "pick", label });
    onFeedback(item.request_id, answer).then(
      () => dispatch({ type: "saved" }),
      (err: unknown) => dispatch({ type: "failed", message: errorMessage(err) }),
    );
  }

  // The latest state for the document-wide key handler.
  const handlerState = { item, searching, run, structured: fields !== null, none: structuredNone !== null };
  const latest = useRef(handlerState);
  latest.current = handlerState;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const { item: it, searching: open, run: go, structured, none } = latest.current;
      if (open) return;
      const cmd = commandForKey(e, it, { typing: isTyping(e.target) });
      // A structured answer has no labels to pick by key: the form corrects it (n answers none where a field offers it).
      if (cmd === null || (structured && cmd.type !== "skip" && !(cmd.type === "none" && none))) return;
      e.preventDefault();
      go(cmd);
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);

  const progressBar = (
    <div class="review-progress" aria-label="Review progress">
      <p>
        <strong>{counts.done}</strong> done · <strong>{counts.skipped}</strong> skipped · <strong>{counts.remaining}</strong> remaining
      </p>
      <progress max={Math.max(1, total)} value={counts.done + counts.skipped} aria-label={`${counts.done + counts.skipped} of ${total} reviewed`} />
    </div>
  );

  if (item === null) {
    return (
      <div class="review">
        {progressBar}
        <div class="empty">
          <p class="empty-title">{total === 0 ? "Nothing to review here" : "You are through this batch"}</p>
          <div class="empty-body">
            <p>{counts.done > 0 ? `${counts.done} answer${counts.done === 1 ? "" : "s"} corrected; each became a gold example for the next retrain.` : "New items appear as traffic is audited or answered with low confidence."}</p>
            {onReload ? (
              <p class="button-row">
                <button type="button" class="button primary" onClick={() => onReload(false)}>
                  Load more
                </button>
                {counts.skipped > 0 ? (
                  <button
                    type="button"
                    class="button"
                    onClick={() => {
                      retry.current = true;
                      onReload(true);
                    }}
                  >
                    Review the {counts.skipped} skipped again
                  </button>
                ) : null}
              </p>
            ) : null}
          </div>
        </div>
      </div>
    );
  }

  const options = choices(item);
  const saving = state.saving;
  return (
    <div class="review">
      {progressBar}
      <article class="card review-item" aria-labelledby="review-item-title" aria-busy={saving !== null}>
        <header class="review-item-head">
          <h2 id="review-item-title" class="visually-hidden">
            Review item
          </h2>
          <span class={`pill pill-${item.kind}`}>{KIND_TEXT[item.kind]}</span>
          <span class="muted small">{ago(item.created_at)}</span>
        </header>
        <blockquote class="review-text">{item.input}</blockquote>
        <dl class="answers">
          <div>
            <dt>Returned answer</dt>
            <dd>
              {fields !== null ? <AnswerView fields={fields} label={item.answer.label} /> : (item.answer.label ?? <em>none</em>)} <span class="muted">({item.answer.source}{item.answer.confidence !== null ? `, confidence ${pct(item.answer.confidence)}` : ""})</span>
            </dd>
          </div>
          <div>
            <dt>Teacher's label</dt>
            <dd>{item.teacher_label === null ? <em>{item.kind === "teacher_invalid" ? "invalid answer" : "not asked"}</em> : fields !== null ? <AnswerView fields={fields} label={item.teacher_label} /> : item.teacher_label}</dd>
          </div>
        </dl>
        {fields !== null ? (
          <div class="choices">
            <h3 class="subhead">The right answer</h3>
            <OutputEditor
              key={item.request_id}
              fields={fields}
              initial={initialOutput}
              busy={saving !== null}
              submitLabel="Save correction"
              idPrefix="review-output"
              onSubmit={(output) => pick("the corrected answer", output)}
              onChange={(output) => (edited.current = { id: item.request_id, output })}
            />
            <div class="button-row">
              {structuredNone !== null ? (
                <button type="button" class="button" disabled={saving !== null} onClick={pickStructuredNone} aria-keyshortcuts="n" title={`Save the form's answer with ${structuredNone.name} "none of these": the message fits none of its values`}>
                  <kbd>n</kbd> None of these ({structuredNone.name})
                </button>
              ) : null}
              <button type="button" class="button ghost" onClick={() => run({ type: "skip" })} aria-keyshortcuts="s">
                <kbd>s</kbd> Skip
              </button>
            </div>
          </div>
        ) : (
          <fieldset class="choices" disabled={saving !== null}>
            <legend>Pick the right label</legend>
            <ol>
              {options.map((c, i) => (
                <li key={c.label}>
                  <button type="button" class={`choice${saving?.label === c.label ? " saving" : ""}`} onClick={() => pick(c.label)} aria-keyshortcuts={String(i + 1)}>
                    <kbd>{i + 1}</kbd>
                    <span class="choice-label">{c.label}</span>
                    <span class="choice-meta">
                      {c.probability !== null ? pct(c.probability, 0) : ""}
                      {c.answered ? <span class="tag">returned</span> : null}
                      {c.teacher ? <span class="tag tag-teacher">teacher</span> : null}
                    </span>
                  </button>
                </li>
              ))}
            </ol>
            <div class="button-row">
              <button type="button" class="button" onClick={() => setSearching(true)} aria-keyshortcuts="/">
                <kbd>/</kbd> Other label…
              </button>
              <button type="button" class={`button${saving?.label === noneLabel ? " saving" : ""}`} onClick={() => pick(noneLabel)} aria-keyshortcuts="n">
                <kbd>n</kbd> None of these
              </button>
              <button type="button" class="button ghost" onClick={() => run({ type: "skip" })} aria-keyshortcuts="s">
                <kbd>s</kbd> Skip
              </button>
            </div>
          </fieldset>
        )}
        {searching ? <LabelSearch labels={labels} onPick={pick} onClose={() => setSearching(false)} /> : null}
        {saving ? (
          <p class="muted" role="status">
            Saving {fields !== null ? saving.label : `"${saving.label}"`}…
          </p>
        ) : null}
        {state.error ? (
          <p class="error-box" role="alert">
            Could not save the label: {state.error}
          </p>
        ) : null}
      </article>
      {fields !== null ? (
        <p class="hint keys-hint">
          Keys (outside the form): {structuredNone !== null ? <><kbd>n</kbd> none of these for {structuredNone.name} · </> : null}<kbd>s</kbd> skip. The form starts from the teacher's answer when there is one, else the returned answer.
        </p>
      ) : (
        <p class="hint keys-hint">
          Keys: <kbd>1</kbd>–<kbd>{options.length}</kbd> pick a label · <kbd>/</kbd> search all labels · <kbd>n</kbd> none of these · <kbd>s</kbd> skip
        </p>
      )}
    </div>
  );
}
