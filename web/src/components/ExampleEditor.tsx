// One example opened from the Examples tab: fix its label (saved as a person's label, which the
// teacher never overrides) or delete it (confirmed first); either takes effect in the running
// specialist's examples at once and in the next retrain.
import { useState } from "preact/hooks";
import { errorMessage } from "../api/client.js";
import type { Example, StructuredObject } from "../api/types.js";
import { dateTime } from "../lib/format.js";
import { parseAnswer, type AnswerField } from "../lib/structured.js";
import { AnswerView } from "./AnswerView.js";
import { OutputEditor } from "./OutputEditor.js";
import { ConfirmDialog } from "./ConfirmDialog.js";
import { useSession } from "./session.js";

export interface ExampleEditorProps {
  task: string;
  example: Example;
  labels: string[];
  /** A structured task's fields: the example's answer is edited field by field (null: a label task). */
  fields?: readonly AnswerField[] | null;
  /** After a save or a delete, with what happened. */
  onChanged(message: string): void;
  onClose(): void;
}

export function ExampleEditor({ task, example, labels, fields = null, onChanged, onClose }: ExampleEditorProps) {
  const { api } = useSession();
  const [label, setLabel] = useState(example.label);
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const run = async (action: () => Promise<string>) => {
    setBusy(true);
    setError(null);
    try {
      onChanged(await action());
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
      setConfirming(false);
    }
  };
  const save = () => run(async () => `Saved: example ${example.id} is now labelled “${(await api.editExample(task, example.id, label)).label}”.`);
  const saveOutput = (output: StructuredObject) => run(async () => (await api.editExample(task, example.id, output), `Saved: example ${example.id} has the corrected answer.`));
  const remove = () => run(async () => (await api.deleteExample(task, example.id), `Deleted example ${example.id}.`));

  return (
    <section class="card request-detail" aria-labelledby="example-editor-title">
      <header class="card-head">
        <h2 id="example-editor-title">Example {example.id}</h2>
        <div class="card-actions">
          <button type="button" class="button small ghost" onClick={onClose}>
            Close
          </button>
        </div>
      </header>
      <blockquote>{example.text}</blockquote>
      <dl class="kv">
        <dt>Label</dt>
        <dd class="col-label">
          <AnswerView fields={fields} label={example.label} />
        </dd>
        <dt>Source · origin</dt>
        <dd>
          {example.source} · {example.origin ?? "not recorded"}
        </dd>
        <dt>Split</dt>
        <dd>{example.holdout ? "held out (scores versions and sets the threshold)" : "training"}</dd>
        <dt>Key</dt>
        <dd>{example.key_name ?? "none"}</dd>
        <dt>Stored · changed</dt>
        <dd>
          {dateTime(example.created_at)} · {dateTime(example.updated_at)}
        </dd>
      </dl>
      {fields !== null ? (
        <>
          <h3 class="subhead">Right answer</h3>
          <OutputEditor fields={fields} initial={parseAnswer(example.label)} busy={busy && !confirming} submitLabel="Save answer" idPrefix="example-output" onSubmit={(o) => void saveOutput(o)} />
          <div class="inline-controls">
            <button type="button" class="button danger small" disabled={busy} onClick={() => setConfirming(true)}>
              Delete example
            </button>
          </div>
        </>
      ) : (
        <div class="inline-controls">
          <label for="example-label">Right label</label>
          <select id="example-label" value={label} onChange={(e) => setLabel((e.target as HTMLSelectElement).value)}>
            {labels.map((l) => (
              <option key={l} value={l}>
                {l}
              </option>
            ))}
          </select>
          <button type="button" class="button primary small" disabled={busy || label === example.label} onClick={() => void save()}>
            {busy && !confirming ? "Saving…" : "Save label"}
          </button>
          <button type="button" class="button danger small" disabled={busy} onClick={() => setConfirming(true)}>
            Delete example
          </button>
        </div>
      )}
      {error !== null ? (
        <p class="error-box" role="alert">
          {error}
        </p>
      ) : null}
      {confirming ? (
        <ConfirmDialog title={`Delete example ${example.id}?`} confirmLabel="Delete example" danger busy={busy} onConfirm={() => void remove()} onCancel={() => setConfirming(false)}>
          <p>The running specialist forgets it now and the next retrain neither trains nor evaluates on it. If the same text comes again, it becomes a new example.</p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
