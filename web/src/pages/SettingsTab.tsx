// The task's routing target and retraining settings, validated here and by the gateway.
import { useState } from "preact/hooks";
import { errorMessage } from "../api/client.js";
import type { TaskDetail } from "../api/types.js";
import { useSession } from "../components/session.js";
import { Section } from "../components/ui.js";
import { answerFields, type AnswerField } from "../lib/structured.js";
import { changedFields, FIELD_INFO, FIELDS, formFrom, settingsPatch, validateSettings, type SettingsField, type SettingsForm } from "../lib/settings.js";

export function SettingsTab({ name, task, onSaved }: { name: string; task: TaskDetail; onSaved: () => void }) {
  const { api } = useSession();
  const def = task.definition;
  const [form, setForm] = useState<SettingsForm>(() => formFrom(def));
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [apiError, setApiError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const errors = validateSettings(form);
  const changed = changedFields(def, form);
  const invalid = Object.keys(errors).length > 0;

  async function submit(e: Event) {
    e.preventDefault();
    setTouched(true);
    setSaved(false);
    if (invalid) return;
    setBusy(true);
    setApiError(null);
    try {
      await api.patchTask(name, settingsPatch(def, form));
      setSaved(true);
      onSaved();
    } catch (err) {
      setApiError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  const field = (f: SettingsField) => {
    const info = FIELD_INFO[f];
    const err = touched || form[f] !== formFrom(def)[f] ? errors[f] : undefined;
    return (
      <div class="field" key={f}>
        <label for={`setting-${f}`}>{info.label}</label>
        <input
          id={`setting-${f}`}
          type="number"
          inputMode="decimal"
          step={info.step}
          value={form[f]}
          onInput={(e) => {
            setSaved(false);
            setForm({ ...form, [f]: (e.target as HTMLInputElement).value });
          }}
          aria-invalid={err !== undefined}
          aria-describedby={`setting-${f}-hint${err ? ` setting-${f}-error` : ""}`}
        />
        <p id={`setting-${f}-hint`} class="hint">
          {info.hint}
        </p>
        {err ? (
          <p id={`setting-${f}-error`} class="field-error">
            {err}
          </p>
        ) : null}
      </div>
    );
  };

  const fields = answerFields(def.output, def.capture);
  return (
    <form onSubmit={submit} noValidate>
      {fields !== null ? <AnswerFields fields={fields} /> : null}
      <Section title="Routing target" id="routing-title">
        <p class="muted">The specialist answers only where it can keep its error below the max error with this confidence; the audit re-asks the teacher about a share of its answers.</p>
        <div class="form-grid">{FIELDS.filter((f) => FIELD_INFO[f].group === "routing").map(field)}</div>
      </Section>
      <Section title="Retraining" id="training-title">
        <div class="form-grid">{FIELDS.filter((f) => FIELD_INFO[f].group === "training").map(field)}</div>
      </Section>
      <div class="form-actions">
        <button type="submit" class="button primary" disabled={busy || changed.length === 0}>
          {busy ? "Saving…" : "Save settings"}
        </button>
        <button
          type="button"
          class="button"
          disabled={busy || changed.length === 0}
          onClick={() => {
            setForm(formFrom(def));
            setTouched(false);
            setApiError(null);
          }}
        >
          Reset
        </button>
        {changed.length > 0 ? <span class="muted small">{changed.length} unsaved change{changed.length === 1 ? "" : "s"}</span> : null}
        {saved ? (
          <span class="success-text" role="status">
            Saved. The task reloads with the new settings.
          </span>
        ) : null}
      </div>
      {touched && invalid ? (
        <p class="field-error" role="alert">
          Fix the fields marked above before saving.
        </p>
      ) : null}
      {apiError ? (
        <div class="error-box" role="alert">
          <p>
            <strong>The gateway refused the settings:</strong> {apiError}
          </p>
        </div>
      ) : null}
    </form>
  );
}

const KIND_TEXT: Record<AnswerField["kind"], string> = {
  choice: "one of",
  boolean: "yes or no",
  tags: "any of",
  extract: "copied from the text",
  extract_list: "every value copied from the text",
  teacher_only: "only the teacher answers it",
};

/** A structured task's answer fields (what a label task lists as labels); changed only in the task's definition. */
function AnswerFields({ fields }: { fields: readonly AnswerField[] }) {
  return (
    <Section title="Answer fields" id="fields-title">
      <p class="muted">This is a structured task: each answer is an object with these fields. They are set in the task's definition.</p>
      <dl class="kv field-kinds">
        {fields.map((f) => (
          <div key={f.name}>
            <dt>{f.name}</dt>
            <dd>
              {KIND_TEXT[f.kind]}
              {f.values ? `: ${f.values.join(", ")}` : ""}
              {f.nullable ? " (may be null: not said)" : ""}
              {f.offersNone ? <span class="muted"> · or none of these</span> : null}
              {f.description ? <span class="muted"> — {f.description}</span> : null}
            </dd>
          </div>
        ))}
      </dl>
    </Section>
  );
}
