// One logged request opened from the Requests tab: its answer, what the teacher said (answer or
// audit), the example its text is now, and a correction sent as feedback (a gold example, which
// also takes the request out of the review queue).
import { useState } from "preact/hooks";
import { errorMessage } from "../api/client.js";
import type { LoggedRequestDetail, StructuredObject } from "../api/types.js";
import { dateTime, money, num, prob } from "../lib/format.js";
import { parseAnswer, type AnswerField } from "../lib/structured.js";
import { AnswerView } from "./AnswerView.js";
import { OutputEditor } from "./OutputEditor.js";
import { useApi, useSession } from "./session.js";
import { ErrorBox, Loading } from "./ui.js";

function auditText(r: LoggedRequestDetail, structured: boolean): string {
  if (!r.audited) return r.teacher_asked ? "not an audit: the teacher was asked to answer" : "not audited";
  if (r.audit_agreed === null) return "audited, but the teacher gave no valid label";
  // A structured teacher answer is shown as fields under "Teacher's answer".
  return r.audit_agreed ? "audited: the teacher agreed" : `audited: the teacher disagreed${structured ? "" : ` (${r.teacher_label ?? ""})`}`;
}

/** `fields`: a structured task's answer fields (null for a label task, whose correction picks one of `labels`). */
export function RequestDetail({ task, id, labels, fields = null, hashed, onClose }: { task: string; id: string; labels: string[]; fields?: readonly AnswerField[] | null; hashed: boolean; onClose: () => void }) {
  const { api } = useSession();
  const detail = useApi((a) => a.loggedRequest(task, id), [task, id]);
  const [label, setLabel] = useState("");
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);

  const send = async (answer: string | StructuredObject = label) => {
    setBusy(true);
    try {
      const reply = await api.feedback(task, id, answer);
      setResult({ ok: true, text: typeof answer === "string" ? `Saved: “${reply.label}” is now this text's gold label (it was answered “${reply.previous_label ?? "nothing"}”).` : "Saved: the corrected answer is now this text's gold example." });
      detail.reload();
    } catch (err) {
      setResult({ ok: false, text: errorMessage(err) });
    } finally {
      setBusy(false);
    }
  };

  const r = detail.data;
  return (
    <section class="card request-detail" aria-labelledby="request-detail-title">
      <header class="card-head">
        <h2 id="request-detail-title">Request {id}</h2>
        <div class="card-actions">
          <button type="button" class="button small ghost" onClick={onClose}>
            Close
          </button>
        </div>
      </header>
      {detail.loading && !r ? <Loading what="Loading the request" /> : null}
      {detail.error ? <ErrorBox error={detail.error} title="Could not load the request" onRetry={detail.reload} /> : null}
      {r ? (
        <>
          {r.input === null ? <p class="notice">This task keeps only a hash of its inputs (privacy: hash_inputs): the text is not shown, and a correction needs it, so it cannot be made here.</p> : <blockquote>{r.input}</blockquote>}
          <dl class="kv">
            <dt>Time</dt>
            <dd>{dateTime(r.created_at)}</dd>
            <dt>Key</dt>
            <dd>{r.key_name ?? "not recorded"}</dd>
            <dt>Answer</dt>
            <dd>
              <AnswerView fields={fields} label={r.label} />
            </dd>
            <dt>Answered by</dt>
            <dd>
              {r.source}
              {r.status === "ok" ? "" : ` (${r.status})`}
            </dd>
            <dt>Confidence / threshold then</dt>
            <dd>
              {prob(r.confidence)} / {prob(r.threshold)}
            </dd>
            <dt>Teacher's answer</dt>
            <dd>{r.teacher_asked ? <AnswerView fields={fields} label={r.teacher_label} none="no valid answer" /> : "not asked"}</dd>
            <dt>Audit</dt>
            <dd>{auditText(r, fields !== null)}</dd>
            <dt>Latency · cost</dt>
            <dd>
              {num(r.latency_ms, 2)} ms · {money(r.cost)}
            </dd>
            <dt>Stored example</dt>
            <dd>
              {r.example ? (
                <>
                  <AnswerView fields={fields} label={r.example.label} /> <span class="muted">({r.example.source})</span>
                </>
              ) : (
                "none"
              )}
            </dd>
          </dl>
          {hashed ? null : fields !== null ? (
            <>
              <h3 class="subhead">Right answer</h3>
              <OutputEditor fields={fields} initial={parseAnswer(r.teacher_label) ?? parseAnswer(r.label)} busy={busy} submitLabel="Save as feedback" idPrefix="request-correct" onSubmit={(output) => void send(output)} />
            </>
          ) : (
            <div class="inline-controls">
              <label for="request-correct-label">Right label</label>
              <select id="request-correct-label" value={label} onChange={(e) => setLabel((e.target as HTMLSelectElement).value)}>
                <option value="">Choose…</option>
                {labels.map((l) => (
                  <option key={l} value={l}>
                    {l}
                  </option>
                ))}
              </select>
              <button type="button" class="button primary small" disabled={busy || label === ""} onClick={() => void send()}>
                {busy ? "Saving…" : "Save as feedback"}
              </button>
            </div>
          )}
          {result ? (
            <p class={result.ok ? "notice success" : "error-box"} role={result.ok ? "status" : "alert"}>
              {result.text}
            </p>
          ) : null}
        </>
      ) : null}
    </section>
  );
}
