// How good the live model is on its holdout: the coverage–accuracy curve with the threshold in
// use, the top confusions (list and heatmap, filterable by label) and per-label metrics.
import { useMemo, useState } from "preact/hooks";
import { ApiError } from "../api/client.js";
import type { Confusion, CurvePoint, LabelMetrics, ModelReport, StructuredReport, TaskDetail } from "../api/types.js";
import { ConfusionHeatmap } from "../charts/ConfusionHeatmap.js";
import { CurveChart } from "../charts/CurveChart.js";
import { useApi, useMediaQuery } from "../components/session.js";
import { SortableTable, type Column } from "../components/SortableTable.js";
import { Breakable, Empty, ErrorBox, isMissingRoute, Loading, Section, Stat } from "../components/ui.js";
import { filterConfusions, heatmapFor, offDiagonal, sortConfusions } from "../lib/confusion.js";
import { num, pct, prob } from "../lib/format.js";
import { taskHref } from "../lib/router.js";

export function QualityTab({ name, task }: { name: string; task: TaskDetail }) {
  const report = useApi((api) => api.report(name), [name]);
  if (report.loading && !report.data) return <Loading what="Evaluating the live model on its holdout" />;
  if (report.error) {
    if (report.error instanceof ApiError && report.error.status === 409)
      return (
        <Empty title="No model yet">
          <p>{report.error.message}</p>
          <p>
            Import labelled examples and retrain on the <a href={taskHref(name, "data")}>Data</a> page, or let traffic through the teacher until there are enough.
          </p>
        </Empty>
      );
    if (isMissingRoute(report.error))
      return (
        <Empty title="Model report not available">
          <p>
            This gateway has no <code>/report</code> route yet. See the <a href={taskHref(name, "versions")}>Versions</a> tab for holdout accuracy.
          </p>
        </Empty>
      );
    return <ErrorBox error={report.error} title="Could not load the model report" onRetry={report.reload} />;
  }
  const maxError = task.definition.routing.max_error;
  if (!report.data) return null;
  return report.data.kind === "structured" ? <StructuredReportView report={report.data} maxError={maxError} /> : <Report report={report.data} maxError={maxError} noneLabel={task.none_label} />;
}

function HoldoutNote({ examples }: { examples: number }) {
  return (
    <p class="hint" id="holdout-definition">
      Every figure on this page scores the live version now on <strong>today's holdout</strong>: the task's {num(examples)} held-out examples (a fixed share of its examples, never trained on, plus every audited request). The
      Versions page gives each version's accuracy on the holdout of the day it was trained.
    </p>
  );
}

function CurveSection({ report, maxError, what }: { report: { curve: CurvePoint[]; chosen: CurvePoint | null; holdout_examples: number; threshold_reason: string | null }; maxError: number; what: string }) {
  return (
    <Section title={`Coverage vs ${what}`} id="curve-title">
      {report.curve.length === 0 ? <Empty title="No curve: the holdout is empty" /> : <CurveChart curve={report.curve} chosen={report.chosen} maxError={maxError} measure={what} />}
      <p class="hint">
        Across: the share of today's {num(report.holdout_examples)} held-out examples the specialist would answer (coverage) at each threshold; up: its {what} on them. The dot is the threshold in use.
      </p>
      {report.threshold_reason ? (
        <p class="hint reason">
          <strong>How the threshold was chosen</strong> when the live version was installed (by a retrain, a promotion or a roll-back), on the held-out examples of that moment it may answer (audited requests may have joined the holdout since): {report.threshold_reason}
        </p>
      ) : null}
    </Section>
  );
}

/** A structured task's report: whole-object exact match, its coverage curve, and per field how often the specialist agrees. */
export function StructuredReportView({ report, maxError }: { report: StructuredReport; maxError: number }) {
  const chosen = report.chosen;
  return (
    <>
      <HoldoutNote examples={report.holdout_examples} />
      <dl class="stats-row">
        <Stat label="Model" value={`v${report.model_version}`} detail={`scored on today's holdout of ${num(report.holdout_examples)}`} />
        <Stat label="Exact match" value={pct(report.exact_match)} detail={`answers right in every field, on ${num(report.holdout_examples)} held-out examples`} />
        <Stat label="Threshold" value={report.threshold === null ? "none" : prob(report.threshold)} detail={report.threshold === null ? "the specialist answers nothing" : "answers at or above this confidence"} />
        <Stat label="Coverage at threshold" value={pct(chosen?.coverage ?? null)} detail={chosen ? `${pct(chosen.accuracy)} exact there` : undefined} />
      </dl>
      <CurveSection report={report} maxError={maxError} what="exact match" />
      <PerField rows={report.per_field} holdout={report.holdout_examples} />
    </>
  );
}

type FieldRow = StructuredReport["per_field"][number];

export function PerField({ rows, holdout }: { rows: FieldRow[]; holdout: number }) {
  const columns = useMemo<Column<FieldRow>[]>(
    () => [
      { key: "field", label: "Field", value: (r) => r.field, render: (r) => <Breakable text={r.field} /> },
      { key: "agreement", label: "Agreement", value: (r) => r.agreement, render: (r) => <F1 value={r.agreement} text={pct(r.agreement)} />, numeric: true, first: "asc" },
      { key: "with_value", label: "With a value", value: (r) => r.with_value, render: (r) => `${num(r.with_value)} of ${num(holdout)}`, numeric: true },
    ],
    [holdout],
  );
  return (
    <Section title="Per field" id="per-field-title">
      <p class="hint">How often the specialist's value of each field equals the reference on the holdout, and how many references give the field a value (not null, not empty). Fields only the teacher answers are not listed.</p>
      <SortableTable caption="Agreement per field on the holdout; click a header to sort" columns={columns} rows={rows} rowKey={(r) => r.field} empty="No field the specialist learns." />
    </Section>
  );
}

function Report({ report, maxError, noneLabel }: { report: ModelReport; maxError: number; noneLabel: string | null }) {
  const chosen = report.chosen;
  // Held-out texts the teacher called "none of these": the specialist's recall there is how often it learned to pass them on.
  const none = report.per_label.find((l) => l.label === noneLabel);
  return (
    <>
      <HoldoutNote examples={report.holdout_examples} />
      <dl class="stats-row">
        <Stat label="Model" value={`v${report.model_version}`} detail={`scored on today's holdout of ${num(report.holdout_examples)}`} />
        <Stat label="Accuracy" value={pct(report.accuracy)} detail={`on ${num(report.holdout_examples)} held-out examples · macro F1 ${prob(report.macro_f1)}`} />
        <Stat label="Threshold" value={report.threshold === null ? "none" : prob(report.threshold)} detail={report.threshold === null ? "the specialist answers nothing" : "answers at or above this confidence"} />
        <Stat label="Coverage at threshold" value={pct(chosen?.coverage ?? null)} detail={chosen ? `${pct(chosen.accuracy)} accurate there` : undefined} />
        {none && none.support > 0 ? (
          <Stat label="None of these" value={pct(none.support / report.holdout_examples)} detail={`${num(none.support)} held-out texts the teacher called none · the specialist recognises ${pct(none.recall)}`} />
        ) : null}
      </dl>
      <CurveSection report={report} maxError={maxError} what="accuracy" />
      <Confusions report={report} />
      <PerLabel rows={report.per_label} />
    </>
  );
}

const TOP_SIZES = [10, 20, 50];

function Confusions({ report }: { report: ModelReport }) {
  const [query, setQuery] = useState("");
  const [size, setSize] = useState(20);
  const narrow = useMediaQuery("(max-width: 640px)");
  const all = useMemo(() => (report.confusion.length > 0 ? offDiagonal(report.labels, report.confusion) : sortConfusions(report.top_confusions)), [report]);
  const filtered = useMemo(() => filterConfusions(all, query), [all, query]);
  const shown = filtered.slice(0, size);
  const heat = useMemo(() => heatmapFor(report.labels, report.confusion, shown, narrow ? 8 : 16), [report, shown, narrow]);
  const columns = useMemo<Column<Confusion>[]>(
    () => [
      { key: "actual", label: "Actual", value: (c) => c.actual, render: (c) => <Breakable text={c.actual} /> },
      { key: "predicted", label: "Predicted as", value: (c) => c.predicted, render: (c) => <Breakable text={c.predicted} /> },
      { key: "count", label: "Count", value: (c) => c.count, numeric: true },
    ],
    [],
  );
  return (
    <Section
      title="Top confusions"
      id="confusions-title"
      actions={
        <div class="inline-controls">
          <label class="inline">
            <span>Label</span>
            <input type="search" value={query} placeholder="filter, e.g. card" onInput={(e) => setQuery((e.target as HTMLInputElement).value)} />
          </label>
          <label class="inline">
            <span>Show</span>
            <select value={String(size)} onChange={(e) => setSize(Number((e.target as HTMLSelectElement).value))}>
              {TOP_SIZES.map((n) => (
                <option key={n} value={n}>
                  top {n}
                </option>
              ))}
            </select>
          </label>
        </div>
      }
    >
      {all.length === 0 ? (
        <Empty title="No confusions">Every holdout example was predicted correctly.</Empty>
      ) : filtered.length === 0 ? (
        <Empty title={`No confusion involves "${query}"`} />
      ) : (
        <div class="split">
          <div class="split-main">
            {heat.labels.length > 1 && report.confusion.length > 0 ? <ConfusionHeatmap data={heat} /> : null}
            <p class="hint">
              Rows: actual label; columns: predicted. {heat.labels.length} of {report.labels.length} labels, taken from the {shown.length} largest confusions{query ? ` involving "${query}"` : ""}; correct predictions in green.
            </p>
          </div>
          <div class="split-side">
            <SortableTable caption="Top confusions" columns={columns} rows={shown} rowKey={(c) => `${c.actual}\u0000${c.predicted}`} initialSort={{ key: "count", direction: "desc" }} />
            {filtered.length > shown.length ? <p class="hint">{filtered.length - shown.length} smaller confusions not shown.</p> : null}
          </div>
        </div>
      )}
    </Section>
  );
}

function PerLabel({ rows }: { rows: LabelMetrics[] }) {
  const [query, setQuery] = useState("");
  const columns = useMemo<Column<LabelMetrics>[]>(
    () => [
      { key: "label", label: "Label", value: (r) => r.label, render: (r) => <Breakable text={r.label} /> },
      { key: "precision", label: "Precision", value: (r) => r.precision, render: (r) => prob(r.precision), numeric: true, first: "asc" },
      { key: "recall", label: "Recall", value: (r) => r.recall, render: (r) => prob(r.recall), numeric: true, first: "asc" },
      { key: "f1", label: "F1", value: (r) => r.f1, render: (r) => <F1 value={r.f1} />, numeric: true, first: "asc" },
      { key: "support", label: "Support", value: (r) => r.support, numeric: true },
    ],
    [],
  );
  const q = query.trim().toLowerCase();
  const shown = q === "" ? rows : rows.filter((r) => r.label.toLowerCase().includes(q));
  return (
    <Section
      title="Per label"
      id="per-label-title"
      actions={
        <label class="inline">
          <span>Label</span>
          <input type="search" value={query} placeholder="filter" onInput={(e) => setQuery((e.target as HTMLInputElement).value)} />
        </label>
      }
    >
      <SortableTable caption="Precision, recall and F1 per label on the holdout; click a header to sort" columns={columns} rows={shown} rowKey={(r) => r.label} initialSort={{ key: "f1", direction: "asc" }} empty="No label matches." limit={25} />
    </Section>
  );
}

function F1({ value, text }: { value: number | null; text?: string }) {
  const cls = value === null ? "" : value < 0.6 ? "bad" : value < 0.8 ? "meh" : "good";
  return <span class={`f1 ${cls}`}>{text ?? prob(value)}</span>;
}
