// The review queue of a task: audited disagreements, low-confidence specialist answers and
// invalid teacher answers, worked through with ReviewQueue.
import { useCallback, useMemo, useState } from "preact/hooks";
import type { ReviewKind, StructuredObject, TaskDetail } from "../api/types.js";
import { ReviewQueue } from "../components/ReviewQueue.js";
import { useApi, useSession } from "../components/session.js";
import { Empty, ErrorBox, isMissingRoute, Loading, Segmented } from "../components/ui.js";
import { lowConfidenceDefinition } from "../lib/review-queue.js";
import { answerFields } from "../lib/structured.js";

type KindFilter = ReviewKind | "all";

export function ReviewTab({ name, task }: { name: string; task: TaskDetail }) {
  const { api } = useSession();
  const [kind, setKind] = useState<KindFilter>("all");
  const queue = useApi((a) => a.review(name, kind, 50), [name, kind]);
  const fields = useMemo(() => answerFields(task.definition.output, task.definition.capture), [task]);
  // A structured task has no labels: its items are corrected field by field, "none of these" given per choice field.
  const noneLabel = task.none_label ?? "";
  const names = (task.definition.labels ?? []).map((l) => l.name);
  // "None of these" is an answer a person may search for too.
  const labels = fields !== null || names.includes(noneLabel) ? names : [...names, noneLabel];
  const onFeedback = useCallback((id: string, answer: string | StructuredObject) => api.feedback(name, id, answer), [api, name]);
  const pending = queue.data?.pending;
  const count = (k: ReviewKind) => (pending ? ` (${pending[k]})` : "");
  const options = [
    { value: "all" as const, label: `All${pending ? ` (${pending.disagreement + pending.low_confidence + pending.teacher_invalid})` : ""}` },
    { value: "disagreement" as const, label: `Disagreements${count("disagreement")}` },
    { value: "low_confidence" as const, label: `Low confidence${count("low_confidence")}` },
    { value: "teacher_invalid" as const, label: `Invalid teacher${count("teacher_invalid")}` },
  ];
  return (
    <>
      <div class="toolbar">
        <Segmented name="review-kind" legend="Which items" options={options} value={kind} onChange={setKind} />
      </div>
      {kind === "low_confidence" || kind === "all" ? <p class="hint">{lowConfidenceDefinition(queue.data?.low_confidence_below, task.cascade?.threshold ?? null)}</p> : null}
      {task.definition.privacy === "hash_inputs" ? (
        <p class="notice">This task keeps only hashes of its inputs, so its requests cannot be reviewed here.</p>
      ) : null}
      {queue.loading && !queue.data ? <Loading what="Loading the review queue" /> : null}
      {queue.error ? (
        isMissingRoute(queue.error) ? (
          <Empty title="Review queue not available">
            <p>
              This gateway has no <code>/review</code> route yet.
            </p>
          </Empty>
        ) : (
          <ErrorBox error={queue.error} title="Could not load the review queue" onRetry={queue.reload} />
        )
      ) : null}
      {queue.data ? <ReviewQueue key={kind} items={queue.data.data} labels={labels} noneLabel={noneLabel} fields={fields} onFeedback={onFeedback} onReload={() => queue.reload()} /> : null}
    </>
  );
}

