// Every task at a glance: traffic in the last 24 hours or 7 days, how much of it the specialist
// answered, what the teacher cost and what the specialist saved, the live audit and the model.
import { useState } from "preact/hooks";
import type { ApiClient } from "../api/client.js";
import type { TaskRecord, TaskStats } from "../api/types.js";
import { useLiveRefresh } from "../components/live.js";
import { useApi } from "../components/session.js";
import { AuditBadge, Empty, ErrorBox, Loading, Segmented, TaskLinks } from "../components/ui.js";
import { money, num, pct } from "../lib/format.js";
import { taskHref } from "../lib/router.js";

type Window = "24h" | "7d";
const WINDOWS: { value: Window; label: string }[] = [
  { value: "24h", label: "Last 24 hours" },
  { value: "7d", label: "Last 7 days" },
];
const WINDOW_MS: Record<Window, number> = { "24h": 86_400_000, "7d": 7 * 86_400_000 };

interface Row {
  task: TaskRecord;
  stats: TaskStats | null;
  error: unknown;
}

async function loadOverview(api: ApiClient, window: Window): Promise<Row[]> {
  const { data } = await api.tasks();
  const since = Date.now() - WINDOW_MS[window];
  return Promise.all(
    data.map(async (task) => {
      try {
        return { task, stats: await api.stats(task.name, since), error: undefined };
      } catch (error) {
        return { task, stats: null, error };
      }
    }),
  );
}

export function Overview() {
  const [window, setWindow] = useState<Window>("24h");
  const state = useApi((api) => loadOverview(api, window), [window]);
  useLiveRefresh(state.reload);
  return (
    <div class="page">
      <div class="page-head">
        <div>
          <h1>Tasks</h1>
          <p class="muted">Who answered your traffic, what it cost, and whether the specialist keeps its error target.</p>
        </div>
        <Segmented name="overview-window" legend="Time window" options={WINDOWS} value={window} onChange={setWindow} />
      </div>
      {state.loading && state.data === undefined ? <Loading what="Loading tasks" /> : null}
      {state.error ? <ErrorBox error={state.error} title="Could not load the tasks" onRetry={state.reload} /> : null}
      {state.data !== undefined && state.data.length === 0 ? (
        <Empty title="No tasks yet">
          <p>
            Create one with <code>POST /v1/tasks</code> or <code>apprentice serve --config</code>; <code>npm run demo</code> starts a gateway with a demo task.
          </p>
        </Empty>
      ) : null}
      <div class="task-grid" aria-busy={state.loading}>
        {state.data?.map((row) => <TaskCard key={row.task.name} row={row} window={window} />)}
      </div>
    </div>
  );
}

function TaskCard({ row, window }: { row: Row; window: Window }) {
  const { task, stats } = row;
  const audit = stats?.audit;
  const warn = audit !== undefined && (audit.status === "near" || audit.status === "exceeded");
  return (
    <article class={`card task-card${warn ? ` warn warn-${audit.status}` : ""}`} aria-labelledby={`task-${task.name}`}>
      <header class="task-card-head">
        <h2 id={`task-${task.name}`}>
          <a href={taskHref(task.name)}>{task.name}</a>
        </h2>
        {audit ? <AuditBadge status={audit.status} /> : null}
      </header>
      {task.definition.description ? <p class="muted task-desc">{task.definition.description}</p> : null}
      {row.error ? <ErrorBox error={row.error} title="Stats unavailable" /> : null}
      {stats ? (
        <>
          <dl class="kv">
            <div>
              <dt>Requests ({window})</dt>
              <dd>{num(stats.requests)}</dd>
            </div>
            <div>
              <dt>Specialist coverage</dt>
              <dd>
                {pct(stats.coverage)}
                <meter class="coverage-meter" min={0} max={1} value={stats.coverage} aria-hidden="true" />
              </dd>
            </div>
            <div>
              <dt>Teacher calls</dt>
              <dd>{num(stats.teacher_calls)}</dd>
            </div>
            <div>
              <dt>Teacher cost</dt>
              <dd>{money(stats.cost)}</dd>
            </div>
            <div>
              <dt>Cost saved</dt>
              <dd class={stats.cost_saved !== null && stats.cost_saved > 0 ? "good" : ""}>{money(stats.cost_saved)}</dd>
            </div>
            <div>
              <dt>Model version</dt>
              <dd>{stats.model_version ? `v${stats.model_version}` : "none yet"}</dd>
            </div>
          </dl>
          {stats.budget ? (
            <p class="budget-line">
              <strong>Teacher budget:</strong>{" "}
              {stats.budget.windows
                .map((w) => `${[w.calls_limit === null ? null : `${num(w.calls)}/${num(w.calls_limit)} calls`, w.cost_limit === null ? null : `${money(w.cost)}/${money(w.cost_limit)}`].filter((x) => x !== null).join(", ")} this ${w.period} (UTC)`)
                .join("; ")}
            </p>
          ) : null}
          <p class="audit-line">
            <strong>Live audit:</strong>{" "}
            {audit && audit.audited > 0 ? (
              <>
                {pct(audit.agreement)} agreement over {num(audit.audited)} audit{audit.audited === 1 ? "" : "s"}; error ≤ {pct(audit.disagreement_upper_bound)} at {pct(audit.confidence_level, 0)} confidence vs max {pct(audit.max_error)}
              </>
            ) : (
              <>no specialist answers audited in this window (max error {pct(audit?.max_error)})</>
            )}
          </p>
        </>
      ) : null}
      <TaskLinks name={task.name} tabs={["traffic", "quality", "review", "explain"]} />
    </article>
  );
}
