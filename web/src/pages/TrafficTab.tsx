// Traffic over time by source, and what the specialist saved, for a chosen window.
import { useMemo, useState } from "preact/hooks";
import type { ApiClient } from "../api/client.js";
import type { AnswerAudit, TaskStats, Traffic } from "../api/types.js";
import { SavedChart } from "../charts/SavedChart.js";
import { TrafficChart } from "../charts/TrafficChart.js";
import { useLiveRefresh } from "../components/live.js";
import { useApi } from "../components/session.js";
import { SortableTable, type Column } from "../components/SortableTable.js";
import { AuditBadge, Empty, ErrorBox, isMissingRoute, Loading, Section, Segmented, Stat } from "../components/ui.js";
import { money, num, pct } from "../lib/format.js";
import { costSavedSeries, dailyAsTraffic, fitWindow, RANGES, stackTraffic, windowFor, type Range } from "../lib/series.js";

interface TrafficData {
  stats: TaskStats;
  traffic: Traffic;
  /** The gateway has no /traffic route: daily rows from /stats stand in. */
  fallback: boolean;
}

async function loadTraffic(api: ApiClient, name: string, range: Range): Promise<TrafficData> {
  const w = windowFor(range, Date.now());
  const [stats, traffic] = await Promise.all([api.stats(name, w.since), api.traffic(name, w).catch((err: unknown) => err)]);
  if (traffic instanceof Error) {
    if (!isMissingRoute(traffic)) throw traffic;
    return { stats, traffic: { bucket: "day", bucket_ms: 86_400_000, since: w.since, until: w.until, series: dailyAsTraffic(stats.daily) }, fallback: true };
  }
  // The stats keep the whole range; the chart zooms in on where the requests are, again on the
  // finer buckets it gets (an hour's bucket does not tell which minute the first request came in).
  // At most one step per bucket size.
  let series = traffic as Traffic;
  for (let step = 0; step < 3; step++) {
    const fitted = fitWindow(series.series, series);
    if (fitted === null) break;
    series = await api.traffic(name, fitted);
  }
  return { stats, traffic: series, fallback: false };
}

export function TrafficTab({ name }: { name: string }) {
  const [range, setRange] = useState<Range>("24h");
  const state = useApi((api) => loadTraffic(api, name, range), [name, range]);
  useLiveRefresh(state.reload);
  const d = state.data;
  const stacked = useMemo(() => (d ? stackTraffic(d.traffic.series, d.traffic.bucket) : null), [d]);
  const saved = useMemo(() => (d ? costSavedSeries(d.traffic.series) : null), [d]);
  const s = d?.stats;
  return (
    <>
      <div class="toolbar">
        <Segmented name="traffic-range" legend="Time window" options={RANGES} value={range} onChange={setRange} />
        {state.loading && d ? <span class="muted small">Updating…</span> : null}
        <button type="button" class="button small" onClick={state.reload}>
          Refresh
        </button>
      </div>
      {state.loading && !d ? <Loading what="Loading traffic" /> : null}
      {state.error ? <ErrorBox error={state.error} title="Could not load the traffic" onRetry={state.reload} /> : null}
      {s ? (
        <dl class="stats-row">
          <Stat label="Requests" value={num(s.requests)} detail={`p50 ${num(s.latency_p50_ms, 1)} ms · p95 ${num(s.latency_p95_ms, 1)} ms`} />
          <Stat label="Specialist coverage" value={pct(s.coverage)} detail={`${num(s.by_source.specialist)} answered by the specialist`} />
          <Stat label="Teacher calls" value={num(s.teacher_calls)} detail={`${num(s.audited)} of them audits`} />
          <Stat label="Teacher cost" value={money(s.cost)} detail={s.teacher_only_cost !== null ? `${money(s.teacher_only_cost)} with the teacher alone` : "no paid call yet"} />
          <Stat label="Cost saved" value={money(s.cost_saved)} />
          <Stat label="None of these" value={pct(s.none_share)} detail={`${num(s.none_answers)} answered none${s.audit.none_share !== null ? ` · ${pct(s.audit.none_share)} of audits` : ""}`} />
          <Stat label="Live audit" value={<AuditBadge status={s.audit.status} />} detail={s.audit.audited > 0 ? `${pct(s.audit.agreement)} agreement · error ≤ ${pct(s.audit.disagreement_upper_bound)} vs ${pct(s.audit.max_error)}` : `max error ${pct(s.audit.max_error)}`} />
        </dl>
      ) : null}
      {d && stacked ? (
        <>
          {d.fallback ? (
            <p class="notice" role="status">
              This gateway has no <code>/traffic</code> route yet; showing daily totals from <code>/stats</code>.
            </p>
          ) : null}
          <Section title="Requests by source" id="traffic-title">
            {stacked.total === 0 ? <Empty title="No requests in this window">Send predictions or chat completions to this task and they appear here.</Empty> : <TrafficChart data={stacked} />}
          </Section>
          <Section title="Cost saved" id="saved-title">
            {saved && saved.total !== null ? (
              <SavedChart categories={stacked.categories} saved={saved} />
            ) : (
              <Empty title="Nothing to price yet">The savings are priced from the teacher's mean cost per call; they appear once the teacher has answered paid calls in this window.</Empty>
            )}
          </Section>
          {s && s.audit.by_answer !== undefined && s.audit.by_answer.length > 0 ? (
            <Section title="Live audits by answer" id="audits-by-answer-title">
              <p class="muted small">
                The audited answers of this window by what the specialist answered, worst first: one answer can go wrong while the whole audit stays within {pct(s.audit.max_error)}. "Exceeded" is claimed only when the evidence
                holds for that answer among all those audited.
              </p>
              <SortableTable caption="Live audits by the specialist's answer" columns={ANSWER_AUDIT_COLUMNS} rows={s.audit.by_answer} rowKey={(r) => r.answer} limit={10} />
            </Section>
          ) : null}
        </>
      ) : null}
    </>
  );
}

const ANSWER_AUDIT_COLUMNS: Column<AnswerAudit>[] = [
  { key: "answer", label: "Specialist's answer", value: (r) => r.answer },
  { key: "audited", label: "Audits", value: (r) => r.audited, numeric: true, render: (r) => num(r.audited) },
  { key: "disagreement", label: "Disagreement", value: (r) => r.disagreements / r.audited, numeric: true, render: (r) => `${pct(r.disagreements / r.audited)} (${num(r.disagreements)})` },
  { key: "bound", label: "Error ≤", value: (r) => r.disagreement_upper_bound, numeric: true, render: (r) => pct(r.disagreement_upper_bound) },
  { key: "instead", label: "Teacher said instead", value: (r) => r.teacher_instead, render: (r) => (r.teacher_instead === null ? "—" : `${r.teacher_instead} (${num(r.teacher_instead_count)})`) },
  {
    key: "status",
    label: "Status",
    value: (r) => r.status,
    render: (r) => (
      <>
        <AuditBadge status={r.status} />
        {r.on_hold ? (
          <>
            {" "}
            <span class="badge badge-exceeded" title="The live version's own audits proved this answer wrong: the teacher gives it until a new version is promoted.">
              on hold
            </span>
          </>
        ) : null}
      </>
    ),
  },
];
