// A task's examples: browsed a page at a time (the gateway's keyset pages) and filtered by source,
// origin, label, holdout side and text; one opens to fix its label (a person's label, like
// feedback) or be deleted; what a retrain would change; and an export as CSV or JSONL.
import { useMemo, useState } from "preact/hooks";
import type { Example, ExampleQuery, ExportFormat, TaskDetail } from "../api/types.js";
import { AnswerView } from "../components/AnswerView.js";
import { ExampleChangesPanel } from "../components/ExampleChangesPanel.js";
import { ExampleEditor } from "../components/ExampleEditor.js";
import { useApi, useSession } from "../components/session.js";
import { SortableTable, type Column } from "../components/SortableTable.js";
import { ErrorBox, Loading, SelectField } from "../components/ui.js";
import { errorMessage } from "../api/client.js";
import { dateTime, num } from "../lib/format.js";
import { saveFile } from "../lib/save-file.js";
import { answerFields } from "../lib/structured.js";

const PAGE_SIZE = 50;
const SOURCES = ["import", "human", "feedback", "teacher"] as const;
const ORIGINS = ["import", "feedback", "edit", "predict", "chat", "audit", "none"] as const;
const SPLITS = [
  { value: "false", label: "training" },
  { value: "true", label: "held out" },
];

/** Empty form fields are no filter. */
function queryOf(form: ExampleQuery): ExampleQuery {
  return Object.fromEntries(Object.entries(form).filter(([, v]) => typeof v === "string" && v.trim() !== "").map(([k, v]) => [k, (v as string).trim()])) as ExampleQuery;
}

function originText(e: Example): string {
  return e.origin === null ? e.source : `${e.source} · ${e.origin}`;
}

export function ExamplesTab({ name, task }: { name: string; task: TaskDetail }) {
  const { api } = useSession();
  const labels = (task.definition.labels ?? []).map((l) => l.name);
  const fields = useMemo(() => answerFields(task.definition.output, task.definition.capture), [task]);
  const [form, setForm] = useState<ExampleQuery>({});
  const [applied, setApplied] = useState<ExampleQuery>({});
  // The cursors of the pages before the current one: "Previous" pops one.
  const [cursors, setCursors] = useState<number[]>([]);
  const after = cursors[cursors.length - 1];
  const page = useApi((a) => a.examples(name, { ...applied, limit: PAGE_SIZE, ...(after === undefined ? {} : { after }) }), [name, applied, after]);
  const changes = useApi((a) => a.exampleChanges(name), [name]);
  const [open, setOpen] = useState<Example | null>(null);
  const [notice, setNotice] = useState<{ ok: boolean; text: string } | null>(null);

  const field = (k: keyof ExampleQuery) => (e: Event) => setForm({ ...form, [k]: (e.target as HTMLInputElement).value });
  const search = (e: Event) => {
    e.preventDefault();
    setCursors([]);
    setApplied(queryOf(form));
  };
  const changed = (text: string) => {
    setOpen(null);
    setNotice({ ok: true, text });
    page.reload();
    changes.reload();
  };
  const download = async (format: ExportFormat) => {
    try {
      saveFile(await api.exportExamples(name, format, applied), `${name}-examples.${format}`);
    } catch (err) {
      setNotice({ ok: false, text: `Export failed: ${errorMessage(err)}` });
    }
  };

  const columns = useMemo<Column<Example>[]>(
    () => [
      { key: "id", label: "Id", value: (e) => e.id, numeric: true },
      { key: "text", label: "Text", value: (e) => e.text, render: (e) => <span class="col-text">{e.text}</span> },
      { key: "label", label: "Label", value: (e) => e.label, render: (e) => <span class="col-label"><AnswerView fields={fields} label={e.label} compact /></span> },
      { key: "origin", label: "Source · origin", value: originText },
      { key: "holdout", label: "Held out", value: (e) => (e.holdout ? "yes" : "no") },
      { key: "key", label: "Key", value: (e) => e.key_name ?? "" },
      { key: "updated", label: "Changed", value: (e) => e.updated_at, render: (e) => dateTime(e.updated_at), numeric: true },
      {
        key: "open",
        label: "",
        sortable: false,
        value: () => null,
        render: (e) => (
          <button type="button" class="button small" onClick={() => setOpen(e)} aria-label={`Edit example ${e.id}`}>
            Edit
          </button>
        ),
      },
    ],
    [fields],
  );

  return (
    <>
      {changes.data ? <ExampleChangesPanel task={name} changes={changes.data} fields={fields} /> : null}
      {changes.error ? <ErrorBox error={changes.error} title="Could not tell what a retrain would change" onRetry={changes.reload} /> : null}
      <form class="toolbar request-filters" onSubmit={search} role="search" aria-label="Filter examples">
        <SelectField id="examples-source" label="Source" value={form.source ?? ""} anyLabel="any" options={SOURCES.map((v) => ({ value: v, label: v }))} onChange={field("source")} />
        <SelectField id="examples-origin" label="Origin" value={form.origin ?? ""} anyLabel="any" options={ORIGINS.map((v) => ({ value: v, label: v === "none" ? "not recorded" : v }))} onChange={field("origin")} />
        {fields === null ? <SelectField id="examples-label" label="Label" value={form.label ?? ""} anyLabel="any label" options={labels.map((v) => ({ value: v, label: v }))} onChange={field("label")} /> : null}
        <SelectField id="examples-holdout" label="Split" value={form.holdout ?? ""} anyLabel="both" options={SPLITS} onChange={field("holdout")} />
        <div class="field">
          <label for="examples-q">Text contains</label>
          <input id="examples-q" type="search" value={form.q ?? ""} onInput={field("q")} />
        </div>
        <button type="submit" class="button primary">
          Search
        </button>
      </form>
      <div class="button-row">
        <span class="muted small">Export what matches the search:</span>
        <button type="button" class="button small" onClick={() => void download("csv")}>
          Export CSV
        </button>
        <button type="button" class="button small" onClick={() => void download("jsonl")}>
          Export JSONL
        </button>
      </div>
      {notice ? (
        <p class={notice.ok ? "notice success" : "error-box"} role={notice.ok ? "status" : "alert"}>
          {notice.text}
        </p>
      ) : null}
      {open !== null ? <ExampleEditor key={open.id} task={name} example={open} labels={labels} fields={fields} onChanged={changed} onClose={() => setOpen(null)} /> : null}
      {page.loading && !page.data ? <Loading what="Loading examples" /> : null}
      {page.error ? <ErrorBox error={page.error} title="Could not load the examples" onRetry={page.reload} /> : null}
      {page.data ? (
        <>
          <p class="muted small">{num(page.data.total)} examples match.</p>
          <SortableTable caption="Examples, oldest first" columns={columns} rows={page.data.data} rowKey={(e) => String(e.id)} empty="No example matches." />
          <div class="button-row">
            <button type="button" class="button small" disabled={cursors.length === 0} onClick={() => setCursors(cursors.slice(0, -1))}>
              ← Previous
            </button>
            <button type="button" class="button small" disabled={page.data.next_after === null} onClick={() => setCursors([...cursors, page.data!.next_after!])}>
              Next →
            </button>
          </div>
        </>
      ) : null}
    </>
  );
}
