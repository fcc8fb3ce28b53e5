// One way to show an answer on every page: a label task's label as text, a structured task's
// object as a compact list of its fields (name: value, with each field's confidence when known);
// and an input with the values the specialist extracted highlighted, each marked with its field.
// Everything is rendered as text nodes: no markup from an answer or an input reaches the page.
import type { StructuredObject } from "../api/types.js";
import { pct } from "../lib/format.js";
import { answerSummary, highlightSegments, isNoneValue, NONE_LABEL, parseAnswer, valueText, type AnswerField, type FieldSpan } from "../lib/structured.js";
import { Breakable } from "./ui.js";

/**
 * An object as its fields. A choice answered "none of these" (the message fits none of its
 * values) is shown as such, marked apart from null (the message does not say).
 */
export function FieldList({ fields, object, confidence, compact = false }: { fields: readonly Pick<AnswerField, "name" | "offersNone">[]; object: StructuredObject; confidence?: Record<string, { confidence: number }>; compact?: boolean }) {
  return (
    <dl class={`field-list${compact ? " compact" : ""}`} title={compact ? answerSummary(fields, object) : undefined}>
      {fields.map((f) => {
        const c = confidence?.[f.name]?.confidence;
        const v = object[f.name];
        const empty = v === null || v === undefined || (Array.isArray(v) && v.length === 0);
        const none = isNoneValue(f, v);
        return (
          <div key={f.name} class={`field-item${none ? " field-none" : ""}`} data-field={f.name}>
            <dt>{f.name}</dt>
            <dd class={empty ? "muted" : undefined}>
              {none ? (
                <span class="tag tag-none" title={`The message fits none of the values of ${f.name} (${NONE_LABEL})`}>
                  none of these
                </span>
              ) : (
                valueText(v)
              )}
              {c !== undefined ? <span class="field-confidence"> {pct(c, 0)}</span> : null}
            </dd>
          </div>
        );
      })}
    </dl>
  );
}

/**
 * An answer as the task states it: `fields` null (a label task) shows the label; otherwise the
 * label is the object's canonical JSON, shown as its fields (the raw text only if it is not JSON).
 */
export function AnswerView({ fields, label, none = "none", compact = false }: { fields: readonly AnswerField[] | null; label: string | null; none?: string; compact?: boolean }) {
  if (label === null) return <span class="muted">{none}</span>;
  if (fields === null) return <Breakable text={label} />;
  const object = parseAnswer(label);
  return object === null ? <span>{label}</span> : <FieldList fields={fields} object={object} compact={compact} />;
}

/** `text` with each span highlighted and labelled with its field's name (a field's colour is stable by its position in `fields`). */
export function HighlightedText({ text, spans, fields }: { text: string; spans: readonly FieldSpan[]; fields: readonly AnswerField[] }) {
  const colour = (field: string) => `hl-${Math.max(0, fields.findIndex((f) => f.name === field)) % 6}`;
  return (
    <p class="highlighted-text">
      {highlightSegments(text, spans).map((s, i) =>
        s.field === undefined ? (
          s.text
        ) : (
          <mark key={i} class={`hl ${colour(s.field)}`} data-field={s.field} aria-label={`${s.field}: ${s.text}`}>
            {s.text}
            <span class="hl-field" aria-hidden="true">
              {s.field}
            </span>
          </mark>
        ),
      )}
    </p>
  );
}
