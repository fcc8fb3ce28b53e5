// A task's model versions with their holdout metrics; promote one or roll back, each confirmed.
// Each figure says which holdout and which moment it comes from: a version's accuracy is measured
// once, on the holdout of the day it was trained, while the live version's threshold is the one
// the router uses now (re-chosen at every retrain, tightened by audit alarms).
import { useMemo, useState } from "preact/hooks";
import { errorMessage } from "../api/client.js";
import type { ModelVersion, TaskDetail } from "../api/types.js";
import { ConfirmDialog } from "../components/ConfirmDialog.js";
import { useApi, useSession } from "../components/session.js";
import { SortableTable, type Column } from "../components/SortableTable.js";
import { Empty, ErrorBox, Loading, Section } from "../components/ui.js";
import { bytes, dateTime, num, pct, prob } from "../lib/format.js";

type Pending = { kind: "promote"; version: number } | { kind: "rollback" };

export function VersionsTab({ name, task, onChanged }: { name: string; task: TaskDetail; onChanged: () => void }) {
  const { api } = useSession();
  const models = useApi((a) => a.models(name), [name]);
  const [pending, setPending] = useState<Pending | null>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);

  async function confirm() {
    if (pending === null) return;
    setBusy(true);
    try {
      const reply = pending.kind === "promote" ? await api.promote(name, pending.version) : await api.rollback(name);
      setResult({ ok: true, text: `Version ${reply.promoted} is now live${reply.model_version !== null ? ` (serving v${reply.model_version})` : ""}.` });
      models.reload();
      onChanged();
    } catch (err) {
      setResult({ ok: false, text: errorMessage(err) });
    } finally {
      setBusy(false);
      setPending(null);
    }
  }

  const promoted = models.data?.promoted ?? null;
  // What the gateway rolls back to: the newest retired version older than the live one (any
  // retired one if none is live), so after promoting an old version there may be none.
  const rollbackTo = useMemo(() => {
    const retired = (models.data?.data ?? []).filter((m) => m.status === "retired" && (promoted === null || m.version < promoted)).map((m) => m.version);
    return retired.length === 0 ? null : Math.max(...retired);
  }, [models.data, promoted]);
  // The version this gateway serves, and the threshold its router applies now.
  const live = task.cascade !== null && task.cascade.version > 0 ? { version: task.cascade.version, threshold: task.cascade.threshold, reason: task.cascade.threshold_reason } : null;
  const columns = useMemo<Column<ModelVersion>[]>(
    () => [
      { key: "version", label: "Version", value: (m) => m.version, render: (m) => <strong>v{m.version}</strong>, numeric: true },
      { key: "status", label: "Status", value: (m) => m.status, render: (m) => <span class={`pill pill-${m.status}`}>{m.status}</span> },
      {
        key: "actions",
        label: "Action",
        sortable: false,
        value: (m) => (m.status === "promoted" ? 1 : 0),
        render: (m) =>
          m.status === "promoted" ? (
            <span class="muted">live</span>
          ) : (
            <button type="button" class="button small" onClick={() => setPending({ kind: "promote", version: m.version })} aria-label={`Promote version ${m.version}`}>
              Promote
            </button>
          ),
      },
      {
        key: "accuracy",
        label: "Holdout accuracy when trained",
        value: (m) => m.metrics.holdout_accuracy,
        render: (m) => (
          <>
            {pct(m.metrics.holdout_accuracy)}
            <span class="cell-note">
              on {num(m.metrics.holdout_examples)} · {m.metrics.previous_accuracy === null ? "no version before" : `live then ${pct(m.metrics.previous_accuracy)}`}
            </span>
          </>
        ),
        numeric: true,
      },
      {
        key: "threshold",
        label: "Threshold",
        value: (m) => (live?.version === m.version ? live.threshold : m.threshold),
        render: (m) =>
          live?.version === m.version ? (
            <>
              {live.threshold === null ? "none" : prob(live.threshold)}
              <span class="cell-note">
                router's now{m.threshold !== live.threshold ? ` · ${m.threshold === null ? "none" : prob(m.threshold)} at last look` : ""} · {looks(m.looks)}
              </span>
            </>
          ) : (
            <>
              {m.threshold === null ? "none" : prob(m.threshold)}
              <span class="cell-note">at last look · {looks(m.looks)}</span>
            </>
          ),
        numeric: true,
      },
      { key: "train", label: "Trained on", value: (m) => m.metrics.train_examples, render: (m) => num(m.metrics.train_examples), numeric: true },
      { key: "size", label: "Size", value: (m) => m.artifact_bytes, render: (m) => bytes(m.artifact_bytes), numeric: true },
      { key: "created", label: "Trained", value: (m) => m.created_at, render: (m) => dateTime(m.created_at), numeric: true },
    ],
    [live],
  );

  return (
    <>
      {result ? (
        <p class={result.ok ? "notice success" : "error-box"} role={result.ok ? "status" : "alert"}>
          {result.text}
        </p>
      ) : null}
      <Section
        title="Model versions"
        id="versions-title"
        actions={
          <button
            type="button"
            class="button"
            onClick={() => setPending({ kind: "rollback" })}
            disabled={rollbackTo === null}
            title={rollbackTo === null ? `No retired version older than ${promoted === null ? "the live one" : `v${promoted}`} to roll back to` : `Roll back to v${rollbackTo}`}
          >
            Roll back
          </button>
        }
      >
        {models.loading && !models.data ? <Loading what="Loading versions" /> : null}
        {models.error ? <ErrorBox error={models.error} title="Could not load the versions" onRetry={models.reload} /> : null}
        {models.data && models.data.data.length === 0 ? <Empty title="No model trained yet">Import examples and retrain on the Data page.</Empty> : null}
        {models.data && models.data.data.length > 0 ? (
          <>
            <SortableTable caption="Model versions, newest first" columns={columns} rows={models.data.data} rowKey={(m) => String(m.version)} initialSort={{ key: "version", direction: "desc" }} />
            <p class="hint">
              <strong>Holdout accuracy when trained</strong>: each version is scored once, when it is trained, on the task's held-out examples of that moment (their number is under it), next to the version that was live then on the same
              examples. The holdout grows as audited requests join it, so these figures differ from the Quality page, which scores the live version on today's holdout
              {task.cascade !== null ? ` (${num(task.cascade.holdout_examples)} examples)` : ""}. The live version's <strong>threshold</strong> is the one the router uses now: audit alarms raise it, so it can differ from the one
              stored with the version at its last look, which every worker, instance and restart serving the version starts from.
            </p>
            <details class="reasons">
              <summary>Why each threshold was chosen</summary>
              <ul>
                {live !== null ? (
                  <li>
                    <strong>v{live.version}, now:</strong> {live.reason}
                  </li>
                ) : null}
                {models.data.data.map((m) => (
                  <li key={m.version}>
                    <strong>v{m.version}, when trained:</strong> {m.metrics.threshold_reason ?? "—"}
                  </li>
                ))}
              </ul>
            </details>
          </>
        ) : null}
      </Section>
      {pending ? (
        <ConfirmDialog
          title={pending.kind === "promote" ? `Promote version ${pending.version}?` : `Roll back to version ${rollbackTo ?? "?"}?`}
          confirmLabel={pending.kind === "promote" ? `Promote v${pending.version}` : "Roll back"}
          danger={pending.kind === "rollback"}
          busy={busy}
          onCancel={() => setPending(null)}
          onConfirm={confirm}
        >
          {pending.kind === "promote" ? (
            <p>
              Version {pending.version} will answer this task's traffic from now on, with its own threshold{promoted !== null ? `, replacing v${promoted}` : ""}.
            </p>
          ) : (
            <p>
              Version {rollbackTo ?? "?"}, the newest retired version older than the live one, will answer this task's traffic again{promoted !== null ? `, replacing v${promoted}` : ""}.
            </p>
          )}
        </ConfirmDialog>
      ) : null}
    </>
  );
}

/** How many times a version's threshold was chosen on new evidence: each look spends part of its error budget. */
function looks(n: number): string {
  return n === 1 ? "1 look" : `${num(n)} looks`;
}
