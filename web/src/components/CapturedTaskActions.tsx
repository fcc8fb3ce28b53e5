// A captured task's edits on the Discovered page: rename it, describe it and its fields, merge
// another captured task into it, delete it (PATCH, POST …/merge and DELETE /v1/captured/:name).
// One edit is open at a time; while its request is in flight every button waits, and the gateway's
// refusal stays in place with the form as it was (the gateway changes nothing when it refuses).
import { useState } from "preact/hooks";
import type { DiscoveredTask } from "../api/types.js";
import { describedChanges, descriptionsOf, mergeCandidates, renameProblem, type DescriptionsForm } from "../lib/discovered.js";
import { num } from "../lib/format.js";
import { ConfirmDialog } from "./ConfirmDialog.js";
import { useSession } from "./session.js";
import { ErrorBox } from "./ui.js";

type Edit = "rename" | "describe" | "merge" | "delete";

const EDITS: { edit: Edit; label: string; failed: string }[] = [
  { edit: "rename", label: "Rename", failed: "The task was not renamed" },
  { edit: "describe", label: "Describe", failed: "The descriptions were not changed" },
  { edit: "merge", label: "Merge…", failed: "Nothing was merged" },
  { edit: "delete", label: "Delete…", failed: "The task was not deleted" },
];

/** `onEdited` gets what was done, in a sentence, once the gateway has done it. */
export function CapturedTaskActions({ task, all, onEdited }: { task: DiscoveredTask; all: readonly DiscoveredTask[]; onEdited: (done: string) => void }) {
  const { api } = useSession();
  const [open, setOpen] = useState<Edit | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ edit: Edit; error: unknown } | null>(null);

  const toggle = (edit: Edit) => {
    setError(null);
    setOpen(open === edit ? null : edit);
  };
  /** Sends one edit; on success the panel closes and the page hears what was done. */
  const run = async (edit: Edit, send: () => Promise<string>) => {
    setBusy(true);
    setError(null);
    try {
      const done = await send();
      setOpen(null);
      onEdited(done);
    } catch (err) {
      setError({ edit, error: err });
      // Deleting has no form to go back to: its refusal shows under the buttons.
      if (edit === "delete") setOpen(null);
    } finally {
      setBusy(false);
    }
  };

  const rename = (name: string) => run("rename", async () => (await api.changeCapture(task.name, { name }), `Renamed “${task.name}” to “${name}”.`));
  const describe = (form: DescriptionsForm) =>
    run("describe", async () => {
      const { description, descriptions } = describedChanges(task, form);
      // One request: the task's description and its fields' change together or not at all.
      await api.changeCapture(task.name, { ...(Object.keys(descriptions).length > 0 ? { descriptions } : {}), ...(description === undefined ? {} : { description }) });
      return `Descriptions of “${task.name}” saved.`;
    });
  const merge = (other: DiscoveredTask) =>
    run("merge", async () => {
      const merged = await api.mergeCaptured(other.name, task.name);
      const kept = merged.kept_existing > 0 ? ` (${num(merged.kept_existing)} texts it had already kept its labels)` : "";
      return `Merged “${other.name}” into “${task.name}”: ${num(merged.moved)} examples moved${kept}.`;
    });
  const remove = () => run("delete", async () => (await api.deleteCaptured(task.name), `Deleted “${task.name}”.`));

  const failed = error === null ? null : EDITS.find((e) => e.edit === error.edit)!.failed;
  return (
    <div class="captured-actions">
      <div class="button-row" role="group" aria-label={`Edit ${task.name}`}>
        {EDITS.map(({ edit, label }) => (
          <button key={edit} type="button" class={`button small${edit === "delete" ? " danger" : ""}`} aria-expanded={open === edit} disabled={busy} onClick={() => toggle(edit)}>
            {label}
          </button>
        ))}
      </div>
      {open === "rename" ? <RenameForm task={task} busy={busy} onRename={rename} onCancel={() => toggle("rename")} /> : null}
      {open === "describe" ? <DescribeForm task={task} busy={busy} onSave={describe} onCancel={() => toggle("describe")} /> : null}
      {open === "merge" ? <MergeForm task={task} candidates={mergeCandidates(task, all)} busy={busy} onMerge={merge} onCancel={() => toggle("merge")} /> : null}
      {open === "delete" ? <DeleteConfirm task={task} busy={busy} onDelete={remove} onCancel={() => toggle("delete")} /> : null}
      {error !== null ? <ErrorBox error={error.error} title={failed!} /> : null}
    </div>
  );
}

interface FormProps {
  task: DiscoveredTask;
  busy: boolean;
  onCancel: () => void;
}

/** Save and Cancel under an edit's form. */
function FormActions({ busy, label, onCancel }: { busy: boolean; label: string; onCancel: () => void }) {
  return (
    <div class="form-actions">
      <button type="submit" class="button primary" disabled={busy}>
        {busy ? "Working…" : label}
      </button>
      <button type="button" class="button" disabled={busy} onClick={onCancel}>
        Cancel
      </button>
    </div>
  );
}

function RenameForm({ task, busy, onRename, onCancel }: FormProps & { onRename: (name: string) => void }) {
  const [name, setName] = useState(task.name);
  const [checked, setChecked] = useState(false);
  const problem = renameProblem(name.trim(), task.name);
  const id = `rename-${task.name}`;
  const submit = (e: Event) => {
    e.preventDefault();
    setChecked(true);
    if (problem === null) onRename(name.trim());
  };
  return (
    <form class="captured-edit" onSubmit={submit} noValidate>
      <div class="field">
        <label for={id}>New name</label>
        <input id={id} type="text" value={name} maxLength={64} autoComplete="off" aria-invalid={checked && problem !== null} aria-describedby={`${id}-hint`} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        <p id={`${id}-hint`} class={checked && problem !== null ? "field-error" : "hint"}>
          {checked && problem !== null ? problem : "Its examples, model versions, request log and the app's later calls move with it."}
        </p>
      </div>
      <FormActions busy={busy} label="Rename task" onCancel={onCancel} />
    </form>
  );
}

function DescribeForm({ task, busy, onSave, onCancel }: FormProps & { onSave: (form: DescriptionsForm) => void }) {
  const [form, setForm] = useState<DescriptionsForm>(() => descriptionsOf(task));
  const [unchanged, setUnchanged] = useState(false);
  const id = (part: string) => `describe-${task.name}-${part}`;
  const submit = (e: Event) => {
    e.preventDefault();
    const changes = describedChanges(task, form);
    const nothing = changes.description === undefined && Object.keys(changes.descriptions).length === 0;
    setUnchanged(nothing);
    if (!nothing) onSave(form);
  };
  return (
    <form class="captured-edit" onSubmit={submit} noValidate>
      <p class="hint">The teacher reads these with every call it answers for the task; an empty field description removes it.</p>
      <div class="field">
        <label for={id("task")}>Task description</label>
        <textarea id={id("task")} rows={2} maxLength={2000} value={form.task} onInput={(e) => setForm({ ...form, task: (e.target as HTMLTextAreaElement).value })} />
      </div>
      {task.fields.map((f) => (
        <div class="field" key={f.name}>
          <label for={id(f.name)}>
            Field <code>{f.name}</code> <span class="tag">{f.kind}</span>
          </label>
          <textarea id={id(f.name)} rows={2} maxLength={2000} value={form.fields[f.name]} onInput={(e) => setForm({ ...form, fields: { ...form.fields, [f.name]: (e.target as HTMLTextAreaElement).value } })} />
        </div>
      ))}
      {unchanged ? <p class="hint">Nothing changed: there is nothing to save.</p> : null}
      <FormActions busy={busy} label="Save descriptions" onCancel={onCancel} />
    </form>
  );
}

function MergeForm({ task, candidates, busy, onMerge, onCancel }: FormProps & { candidates: DiscoveredTask[]; onMerge: (other: DiscoveredTask) => Promise<void> }) {
  const [pick, setPick] = useState(candidates[0]?.name ?? "");
  const [confirming, setConfirming] = useState(false);
  const other = candidates.find((t) => t.name === pick);
  const id = `merge-${task.name}`;
  if (candidates.length === 0) {
    return (
      <div class="captured-edit">
        <p class="hint">No other captured task answers with the same fields (names, order, kinds, choice values): none can be merged into “{task.name}”.</p>
        <button type="button" class="button" onClick={onCancel}>
          Close
        </button>
      </div>
    );
  }
  return (
    <form
      class="captured-edit"
      onSubmit={(e) => {
        e.preventDefault();
        setConfirming(true);
      }}
    >
      <div class="field">
        <label for={id}>Merge into “{task.name}”</label>
        <select id={id} value={pick} onChange={(e) => setPick((e.target as HTMLSelectElement).value)}>
          {candidates.map((t) => (
            <option key={t.name} value={t.name}>
              {t.name} ({t.capture.model}, {num(t.examples)} examples)
            </option>
          ))}
        </select>
        <p class="hint">Only captured tasks with the same fields are listed.</p>
      </div>
      <FormActions busy={busy} label="Merge the selected task…" onCancel={onCancel} />
      {confirming && other !== undefined ? (
        <ConfirmDialog title={`Merge “${other.name}” into “${task.name}”?`} confirmLabel="Merge" busy={busy} onConfirm={() => void onMerge(other).finally(() => setConfirming(false))} onCancel={() => setConfirming(false)}>
          <p>
            Its {num(other.examples)} examples move into “{task.name}” (a text “{task.name}” has already keeps “{task.name}”'s label), and the app's calls that went to “{other.name}” come to “{task.name}” from the next one on.
          </p>
          <p class="notice">“{other.name}” disappears, with its model versions; its request log stays under its name.</p>
        </ConfirmDialog>
      ) : null}
    </form>
  );
}

function DeleteConfirm({ task, busy, onDelete, onCancel }: FormProps & { onDelete: () => void }) {
  return (
    <ConfirmDialog title={`Delete “${task.name}”?`} confirmLabel="Delete task" danger busy={busy} onConfirm={onDelete} onCancel={onCancel}>
      <p>
        Its {num(task.examples)} examples and its model versions{task.model_version === null ? "" : ` (live: v${task.model_version})`} are deleted; the request log stays.
      </p>
      <p class="notice">The app's next call of this task founds it again, empty, in shadow mode: it learns from scratch.</p>
    </ConfirmDialog>
  );
}
