// The Keys page's creation form, and the new key's secret, shown once: the gateway keeps only its
// hash, so this component's state is the only place it ever exists after the reply.
import { useState } from "preact/hooks";
import { errorMessage } from "../api/client.js";
import type { ApiKeyCreated, KeyRole, NewApiKey, TeacherBudget } from "../api/types.js";
import { useSession } from "./session.js";
import { Section } from "./ui.js";

const BUDGET_FIELDS: { key: keyof TeacherBudget; label: string; step: string }[] = [
  { key: "calls_per_hour", label: "Teacher calls per hour", step: "1" },
  { key: "calls_per_day", label: "Teacher calls per day", step: "1" },
  { key: "cost_per_hour", label: "Teacher cost per hour", step: "any" },
  { key: "cost_per_day", label: "Teacher cost per day", step: "any" },
];

type BudgetForm = Record<keyof TeacherBudget, string>;
const NO_BUDGET: BudgetForm = { calls_per_hour: "", calls_per_day: "", cost_per_hour: "", cost_per_day: "" };

/** The filled-in budget fields as numbers (the gateway checks them and names a bad one); null when none is filled. */
function budgetOf(form: BudgetForm): TeacherBudget | null {
  const entries = Object.entries(form).filter(([, v]) => v.trim() !== "");
  return entries.length === 0 ? null : (Object.fromEntries(entries.map(([k, v]) => [k, Number(v)])) as TeacherBudget);
}

export function KeyCreateForm({ onCreated }: { onCreated: () => void }) {
  const { api } = useSession();
  const [name, setName] = useState("");
  const [role, setRole] = useState<KeyRole>("predict");
  // null: the role's default (admin keys may force the teacher, predict keys may not).
  const [forceTeacher, setForceTeacher] = useState<boolean | null>(null);
  const [budget, setBudget] = useState<BudgetForm>(NO_BUDGET);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    const key: NewApiKey = { name, role, force_teacher: forceTeacher ?? role === "admin", teacher_budget: budgetOf(budget) };
    setBusy(true);
    setError(null);
    try {
      setCreated(await api.createKey(key));
      setName("");
      setForceTeacher(null);
      setBudget(NO_BUDGET);
      onCreated();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Section title="Create a key" id="create-key-title">
      {created ? (
        <div class="notice success secret" role="status">
          <p>
            <strong>
              Key “{created.record.name}” created. Copy it now: it is shown this once, and the gateway keeps only its hash.
            </strong>
          </p>
          <p>
            <label for="new-key-secret">Secret</label>
            <input id="new-key-secret" class="secret-value" type="text" readOnly value={created.key} onFocus={(e) => (e.target as HTMLInputElement).select()} />
          </p>
          <button type="button" class="button small" onClick={() => setCreated(null)}>
            I have stored it
          </button>
        </div>
      ) : null}
      <form onSubmit={submit} noValidate>
        <div class="form-grid">
          <div class="field">
            <label for="key-name">Name</label>
            <input id="key-name" type="text" value={name} maxLength={100} required onInput={(e) => setName((e.target as HTMLInputElement).value)} />
            <p class="hint">Who or what uses it, e.g. “batch jobs”.</p>
          </div>
          <div class="field">
            <label for="key-role">Role</label>
            <select id="key-role" value={role} onChange={(e) => setRole((e.target as HTMLSelectElement).value as KeyRole)}>
              <option value="predict">predict: predictions, chat completions, model list</option>
              <option value="admin">admin: everything, this dashboard included</option>
            </select>
          </div>
          <div class="field checkbox-field">
            <input id="key-force-teacher" type="checkbox" checked={forceTeacher ?? role === "admin"} onChange={(e) => setForceTeacher((e.target as HTMLInputElement).checked)} />
            <label for="key-force-teacher">May force the teacher</label>
            <p class="hint">Lets the key send route “teacher”: every input a paid teacher call.</p>
          </div>
        </div>
        <fieldset class="budget-fields">
          <legend>Teacher budget across tasks (calendar UTC hours and days; empty: no limit)</legend>
          <div class="form-grid">
            {BUDGET_FIELDS.map((f) => (
              <div class="field" key={f.key}>
                <label for={`key-budget-${f.key}`}>{f.label}</label>
                <input id={`key-budget-${f.key}`} type="number" min="0" step={f.step} inputMode="decimal" value={budget[f.key]} onInput={(e) => setBudget({ ...budget, [f.key]: (e.target as HTMLInputElement).value })} />
              </div>
            ))}
          </div>
        </fieldset>
        <div class="form-actions">
          <button type="submit" class="button primary" disabled={busy}>
            {busy ? "Creating…" : "Create key"}
          </button>
        </div>
        {error ? (
          <div class="error-box" role="alert">
            <p>
              <strong>The gateway refused the key:</strong> {error}
            </p>
          </div>
        ) : null}
      </form>
    </Section>
  );
}
