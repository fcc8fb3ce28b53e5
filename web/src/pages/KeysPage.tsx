// The gateway's API keys: who may call it, with which role, permission and teacher budget;
// create one (its secret shown once) or revoke one, confirmed first.
import { useMemo, useState } from "preact/hooks";
import { errorMessage } from "../api/client.js";
import type { ApiKey, TeacherBudget } from "../api/types.js";
import { ConfirmDialog } from "../components/ConfirmDialog.js";
import { KeyCreateForm } from "../components/KeyCreateForm.js";
import { SortableTable, type Column } from "../components/SortableTable.js";
import { useApi, useSession } from "../components/session.js";
import { ErrorBox, Loading, Section } from "../components/ui.js";
import { dateTime, money, num } from "../lib/format.js";

function budgetText(b: TeacherBudget | null): string {
  if (b === null) return "none";
  const parts = [
    b.calls_per_hour === undefined ? null : `${num(b.calls_per_hour)} calls/h`,
    b.calls_per_day === undefined ? null : `${num(b.calls_per_day)} calls/day`,
    b.cost_per_hour === undefined ? null : `${money(b.cost_per_hour)}/h`,
    b.cost_per_day === undefined ? null : `${money(b.cost_per_day)}/day`,
  ];
  return parts.filter((p) => p !== null).join(", ");
}

export function KeysPage() {
  const { api, signOut } = useSession();
  const keys = useApi((a) => a.keys(), []);
  const [pending, setPending] = useState<ApiKey | null>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);

  const revoke = async (key: ApiKey) => {
    setBusy(true);
    try {
      await api.revokeKey(key.id);
      if (key.current) return signOut(`Signed out: you revoked the key this dashboard was using (“${key.name}”).`);
      setResult({ ok: true, text: `Revoked “${key.name}” (${key.prefix}…): it no longer works.` });
      keys.reload();
    } catch (err) {
      setResult({ ok: false, text: errorMessage(err) });
    } finally {
      setBusy(false);
      setPending(null);
    }
  };

  const columns = useMemo<Column<ApiKey>[]>(
    () => [
      { key: "name", label: "Name", value: (k) => k.name, render: (k) => <>{k.name}{k.current ? <span class="cell-note">this dashboard's key</span> : null}</> },
      { key: "prefix", label: "Key", value: (k) => k.prefix, render: (k) => <code>{k.prefix}…</code> },
      { key: "role", label: "Role", value: (k) => k.role },
      { key: "force", label: "Force teacher", value: (k) => (k.force_teacher ? "yes" : "no") },
      { key: "budget", label: "Teacher budget", value: (k) => budgetText(k.teacher_budget) },
      { key: "origin", label: "Origin", value: (k) => (k.from_config ? "configuration file" : "created here or by CLI") },
      { key: "created", label: "Created", value: (k) => k.created_at, render: (k) => dateTime(k.created_at), numeric: true, first: "desc" },
      {
        key: "status",
        label: "Status",
        value: (k) => (k.revoked_at === null ? "active" : "revoked"),
        render: (k) => (k.revoked_at === null ? "active" : <span class="muted">revoked {dateTime(k.revoked_at)}</span>),
      },
      {
        key: "actions",
        label: "",
        sortable: false,
        value: () => null,
        render: (k) =>
          k.revoked_at === null ? (
            <button type="button" class="button small danger" onClick={() => setPending(k)} aria-label={`Revoke key ${k.name}`}>
              Revoke
            </button>
          ) : null,
      },
    ],
    [],
  );

  return (
    <div class="page">
      <div class="page-head">
        <div>
          <h1>API keys</h1>
          <p class="muted">Keys are stored as hashes: a key's secret is shown once, when it is created. The last admin key cannot be revoked.</p>
        </div>
      </div>
      <KeyCreateForm onCreated={keys.reload} />
      <Section title="Keys" id="keys-title">
        {result ? (
          <p class={result.ok ? "notice success" : "error-box"} role={result.ok ? "status" : "alert"}>
            {result.text}
          </p>
        ) : null}
        {keys.loading && !keys.data ? <Loading what="Loading the keys" /> : null}
        {keys.error ? <ErrorBox error={keys.error} title="Could not load the keys" onRetry={keys.reload} /> : null}
        {keys.data ? <SortableTable caption="API keys, oldest first" columns={columns} rows={keys.data.data} rowKey={(k) => String(k.id)} /> : null}
        <p class="hint">Keys from the configuration file are installed again at every start: revoke one and the next start stops with an error until the file no longer declares it or its variable holds a new secret.</p>
      </Section>
      {pending ? (
        <ConfirmDialog title={`Revoke “${pending.name}”?`} confirmLabel="Revoke key" danger busy={busy} onConfirm={() => void revoke(pending)} onCancel={() => setPending(null)}>
          <p>
            Key <code>{pending.prefix}…</code> ({pending.role}) stops working at once on this gateway, and within 5 seconds on other gateways sharing its database. This cannot be undone.
          </p>
          {pending.current ? <p class="notice">This is the key this dashboard is signed in with: you will be signed out.</p> : null}
          {pending.note ? <p class="notice">This key was {pending.note}.</p> : null}
        </ConfirmDialog>
      ) : null}
    </div>
  );
}
