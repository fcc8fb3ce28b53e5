// A task's request log: newest first, a page at a time (the gateway's keyset pages), filtered by
// who answered, label, time and text; a request opens with what the teacher said about it.
import { useMemo, useState } from "preact/hooks";
import { AnswerView } from "../components/AnswerView.js";
import type { LoggedRequest, RequestQuery, RequestSource, TaskDetail } from "../api/types.js";
import { RequestDetail } from "../components/RequestDetail.js";
import { SortableTable, type Column } from "../components/SortableTable.js";
import { useLiveRefresh } from "../components/live.js";
import { useApi } from "../components/session.js";
import { ErrorBox, Loading, SelectField } from "../components/ui.js";
import { dateTime, money, num, prob } from "../lib/format.js";
import { answerFields } from "../lib/structured.js";

const PAGE_SIZE = 50;

interface FilterForm {
  source: RequestSource | "";
  label: string;
  since: string;
  until: string;
  q: string;
}

const NO_FILTER: FilterForm = { source: "", label: "", since: "", until: "", q: "" };

/** The form as query parameters: empty fields left out, local date-times as epoch ms. */
function queryOf(f: FilterForm): RequestQuery {
  const time = (v: string) => (v === "" ? undefined : new Date(v).getTime());
  return {
    ...(f.source === "" ? {} : { source: f.source }),
    ...(f.label === "" ? {} : { label: f.label }),
    ...(f.q.trim() === "" ? {} : { q: f.q.trim() }),
    since: time(f.since),
    until: time(f.until),
  };
}

export function RequestsTab({ name, task }: { name: string; task: TaskDetail }) {
  const labels = (task.definition.labels ?? []).map((l) => l.name);
  const fields = useMemo(() => answerFields(task.definition.output, task.definition.capture), [task]);
  const hashed = task.definition.privacy === "hash_inputs";
  const [form, setForm] = useState<FilterForm>(NO_FILTER);
  const [applied, setApplied] = useState<RequestQuery>({});
  // The cursors of the pages before the current one: "Newer" pops one.
  const [cursors, setCursors] = useState<string[]>([]);
  const before = cursors[cursors.length - 1];
  const page = useApi((a) => a.requests(name, { ...applied, limit: PAGE_SIZE, ...(before === undefined ? {} : { before }) }), [name, applied, before]);
  useLiveRefresh(page.reload);
  const [open, setOpen] = useState<string | null>(null);

  const field = <K extends keyof FilterForm>(k: K) => (e: Event) => setForm({ ...form, [k]: (e.target as HTMLInputElement).value });
  const search = (e: Event) => {
    e.preventDefault();
    setCursors([]);
    setApplied(queryOf(form));
  };

  const columns = useMemo<Column<LoggedRequest>[]>(
    () => [
      { key: "time", label: "Time", value: (r) => r.created_at, render: (r) => dateTime(r.created_at), numeric: true },
      { key: "key", label: "Key", value: (r) => r.key_name ?? "" },
      { key: "input", label: "Input", value: (r) => r.input ?? "", render: (r) => (r.input === null ? <span class="muted">hashed</span> : <span class="col-text">{r.input}</span>) },
      { key: "answer", label: "Answer", value: (r) => r.label ?? "", render: (r) => <span class="col-label"><AnswerView fields={fields} label={r.label} compact /></span> },
      { key: "source", label: "Answered by", value: (r) => r.source, render: (r) => (r.status === "ok" ? r.source : `${r.source} (${r.status})`) },
      { key: "confidence", label: "Confidence / threshold", value: (r) => r.confidence, render: (r) => `${prob(r.confidence)} / ${prob(r.threshold)}`, numeric: true },
      { key: "latency", label: "Latency (ms)", value: (r) => r.latency_ms, render: (r) => num(r.latency_ms, 2), numeric: true },
      { key: "cost", label: "Cost", value: (r) => r.cost, render: (r) => money(r.cost), numeric: true },
      {
        key: "open",
        label: "",
        sortable: false,
        value: () => null,
        render: (r) => (
          <button type="button" class="button small" onClick={() => setOpen(r.id)} aria-label={`Open request ${r.id}`}>
            Open
          </button>
        ),
      },
    ],
    [fields],
  );

  return (
    <>
      <form class="toolbar request-filters" onSubmit={search} role="search" aria-label="Filter requests">
        <div class="field">
          <label for="requests-source">Answered by</label>
          <select id="requests-source" value={form.source} onChange={field("source")}>
            <option value="">anyone</option>
            <option value="specialist">specialist</option>
            <option value="teacher">teacher</option>
            <option value="none">nobody</option>
          </select>
        </div>
        {fields === null ? <SelectField id="requests-label" label="Answer" value={form.label} anyLabel="any label" options={labels.map((v) => ({ value: v, label: v }))} onChange={field("label")} /> : null}
        <div class="field">
          <label for="requests-since">From</label>
          <input id="requests-since" type="datetime-local" value={form.since} onInput={field("since")} />
        </div>
        <div class="field">
          <label for="requests-until">Until</label>
          <input id="requests-until" type="datetime-local" value={form.until} onInput={field("until")} />
        </div>
        <div class="field">
          <label for="requests-q">Input contains</label>
          <input id="requests-q" type="search" value={form.q} disabled={hashed} onInput={field("q")} />
        </div>
        <button type="submit" class="button primary">
          Search
        </button>
      </form>
      {hashed ? <p class="notice">This task keeps only hashes of its inputs: they are not shown and cannot be searched.</p> : null}
      {open !== null ? <RequestDetail key={open} task={name} id={open} labels={labels} fields={fields} hashed={hashed} onClose={() => setOpen(null)} /> : null}
      {page.loading && !page.data ? <Loading what="Loading requests" /> : null}
      {page.error ? <ErrorBox error={page.error} title="Could not load the requests" onRetry={page.reload} /> : null}
      {page.data ? (
        <>
          <SortableTable caption="Requests, newest first" columns={columns} rows={page.data.data} rowKey={(r) => r.id} empty="No request matches." />
          <div class="button-row">
            <button type="button" class="button small" disabled={cursors.length === 0} onClick={() => setCursors(cursors.slice(0, -1))}>
              ← Newer
            </button>
            <button type="button" class="button small" disabled={page.data.next_before === null} onClick={() => setCursors([...cursors, page.data!.next_before!])}>
              Older →
            </button>
          </div>
        </>
      ) : null}
    </>
  );
}
