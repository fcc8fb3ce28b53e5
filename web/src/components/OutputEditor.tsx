// A structured task's correction: one input per field, prefilled with an answer — a choice as a
// select (with "none of these" when the field offers it), a boolean as a checkbox (a select when
// it may be null), tags as a multi-select, an extracted value as text, a list one value per line —
// submitted as the object the gateway takes as `output`. The gateway checks it like a teacher's
// answer (an extracted value must be in the text).
import { useState } from "preact/hooks";
import type { StructuredObject } from "../api/types.js";
import { choiceAnswers, isCheckbox, isNoneValue, outputFormFrom, outputFromForm, type AnswerField, type FormValue, type OutputForm } from "../lib/structured.js";

export interface OutputEditorProps {
  fields: readonly AnswerField[];
  /** The answer the form starts from (null: empty). */
  initial: StructuredObject | null;
  busy?: boolean;
  submitLabel: string;
  /** Prefix of the inputs' ids: two editors may share a page. */
  idPrefix: string;
  onSubmit(output: StructuredObject): void;
  /** Told the object the form stands for after each change (the review queue's `n` starts from it). */
  onChange?(output: StructuredObject): void;
}

export function OutputEditor({ fields, initial, busy = false, submitLabel, idPrefix, onSubmit, onChange }: OutputEditorProps) {
  const [form, setForm] = useState<OutputForm>(() => outputFormFrom(fields, initial));
  const set = (name: string, v: FormValue) => {
    const next = { ...form, [name]: v };
    setForm(next);
    onChange?.(outputFromForm(fields, next));
  };
  const submit = (e: Event) => {
    e.preventDefault();
    onSubmit(outputFromForm(fields, form));
  };
  return (
    <form class="output-editor" onSubmit={submit} aria-label="Corrected answer">
      <div class="form-grid">
        {fields.map((f) => (
          <div class={`field${isCheckbox(f) ? " field-check" : ""}`} key={f.name}>
            <FieldInput field={f} id={`${idPrefix}-${f.name}`} value={form[f.name]} onChange={(v) => set(f.name, v)} />
            {f.description ? <p class="hint">{f.description}</p> : null}
          </div>
        ))}
      </div>
      <button type="submit" class="button primary small" disabled={busy}>
        {busy ? "Saving…" : submitLabel}
      </button>
    </form>
  );
}

function FieldInput({ field: f, id, value, onChange }: { field: AnswerField; id: string; value: FormValue; onChange(v: FormValue): void }) {
  const label = <label for={id}>{f.name}</label>;
  const text = (e: Event) => onChange((e.target as HTMLInputElement).value);
  if (typeof value === "boolean") {
    return (
      <label class="check" for={id}>
        <input id={id} type="checkbox" checked={value} onChange={(e) => onChange((e.target as HTMLInputElement).checked)} /> {f.name}
      </label>
    );
  }
  if (Array.isArray(value)) {
    return (
      <>
        {label}
        <select id={id} multiple size={Math.min(6, f.values?.length ?? 1)} onChange={(e) => onChange(Array.from((e.target as HTMLSelectElement).selectedOptions, (o) => o.value))}>
          {(f.values ?? []).map((v) => (
            <option key={v} value={v} selected={value.includes(v)}>
              {v}
            </option>
          ))}
        </select>
      </>
    );
  }
  if (f.kind === "choice" || f.kind === "boolean" || f.valueType?.type === "boolean") {
    // A choice field that offers "none of these" has it as an option of its own, after the values.
    const options = f.kind === "choice" ? choiceAnswers(f).map((v) => ({ value: v, label: isNoneValue(f, v) ? "none of these" : v })) : [{ value: "true", label: "yes" }, { value: "false", label: "no" }];
    return (
      <>
        {label}
        <select id={id} value={value} onChange={text}>
          {/* Null: the message does not say (not "none of these", which says it fits no value). */}
          {f.nullable || value === "" ? <option value="">— not said —</option> : null}
          {options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      </>
    );
  }
  if (f.kind === "extract_list" || f.valueType?.list) {
    return (
      <>
        {label}
        <textarea id={id} rows={3} value={value} placeholder="one value per line" onInput={text} />
      </>
    );
  }
  if (f.valueType?.type === "number" || f.valueType?.type === "integer") {
    return (
      <>
        {label}
        <input id={id} type="number" step={f.valueType.type === "integer" ? 1 : "any"} value={value} onInput={text} />
      </>
    );
  }
  return (
    <>
      {label}
      <input id={id} type="text" value={value} placeholder={f.kind === "extract" ? "as written in the text; empty for none" : undefined} onInput={text} />
    </>
  );
}
