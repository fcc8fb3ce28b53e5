// What a retrain would change: the examples added, relabelled and deleted since the live version
// was trained, and, on demand, the changed examples whose label the live version would not predict.
import { useMemo, useState } from "preact/hooks";
import type { ExampleChanges, ExampleDisagreements } from "../api/types.js";
import { dateTime, num, prob } from "../lib/format.js";
import { useSession } from "./session.js";
import { SortableTable, type Column } from "./SortableTable.js";
import type { AnswerField } from "../lib/structured.js";
import { AnswerView } from "./AnswerView.js";
import { ErrorBox, Section, Stat } from "./ui.js";

type Disagreement = ExampleDisagreements["data"][number];

export function ExampleChangesPanel({ task, changes, fields = null }: { task: string; changes: ExampleChanges; fields?: readonly AnswerField[] | null }) {
  const { api } = useSession();
  const [disagreements, setDisagreements] = useState<ExampleDisagreements | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const load = async () => {
    setBusy(true);
    setError(null);
    try {
      setDisagreements(await api.exampleDisagreements(task));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const columns = useMemo<Column<Disagreement>[]>(
    () => [
      { key: "text", label: "Text", value: (d) => d.text, render: (d) => <span class="col-text">{d.text}</span> },
      { key: "label", label: "Label now", value: (d) => d.label, render: (d) => <span class="col-label"><AnswerView fields={fields} label={d.label} compact /></span> },
      { key: "predicted", label: "Live model predicts", value: (d) => d.predicted, render: (d) => <span class="col-label"><AnswerView fields={fields} label={d.predicted} compact /></span> },
      { key: "confidence", label: "Confidence", value: (d) => d.confidence, render: (d) => prob(d.confidence), numeric: true },
      { key: "origin", label: "Origin", value: (d) => d.origin ?? "" },
    ],
    [fields],
  );

  const since = changes.live_version === null ? "No live version yet: every example is new to the next training." : `Since v${changes.live_version} was trained (${dateTime(changes.trained_at)}).`;
  return (
    <Section
      title="What a retrain would change"
      id="example-changes-title"
      actions={
        changes.live_version === null ? null : (
          <button type="button" class="button small" disabled={busy} onClick={() => void load()}>
            {busy ? "Asking the live model…" : "Show where the live model disagrees"}
          </button>
        )
      }
    >
      <p class="muted">
        {since} {changes.retrain_due ? "A retrain is due: the gateway starts one at the next request." : "Not enough has changed for the gateway to retrain on its own yet."}
      </p>
      <dl class="stats-row">
        <Stat label="Added" value={num(changes.added)} />
        <Stat label="Relabelled" value={num(changes.relabelled)} />
        <Stat label="Deleted" value={num(changes.deleted)} />
      </dl>
      {error !== null ? <ErrorBox error={error} title="Could not ask the live model" /> : null}
      {disagreements ? (
        <>
          <p class="muted small">
            The live model disagrees with {num(disagreements.data.length)} of the {num(disagreements.scanned)} most recently added or relabelled examples.
          </p>
          <SortableTable caption="Changed examples the live model would label differently" columns={columns} rows={disagreements.data} rowKey={(d) => String(d.id)} empty="It agrees with every one." limit={20} />
        </>
      ) : null}
    </Section>
  );
}
