// One logged request opened from the Requests tab: its answer, what the teacher said (answer or
// audit), the example its text is now, and a correction sent as feedback (a gold example, which
// also takes the request out of the review queue).
import { useState } from "preact/hooks";
import { errorMessage } from "../api/client.js";
import type { LoggedRequestDetail } from "../api/types.js";
import { dateTime, money, num, prob } from "../lib/format.js";
import { useApi, useSession } from "./session.js";
import { ErrorBox, Loading } from "./ui.js";

function auditText(r: LoggedRequestDetail): string {
  if (!r.audited) return r.teacher_asked ? "not an audit: the teacher was asked to answer" : "not audited";
  if (r.audit_agreed === null) return "audited, but the teacher gave no valid label";
  return r.audit_agreed ? "audited: the teacher agreed" : `audited: the teacher disagreed (${r.teacher_label ?? ""})`;
}

export function RequestDetail({ task, id, labels, hashed, onClose }: { task: string; id: string; labels: string[]; hashed: boolean; onClose: () => void }) {
  const { api } = useSession();
  const detail = useApi((a) => a.loggedRequest(task, id), [task, id]);
  const [label, setLabel] = useState("");
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);

  const send = async () => {
    setBusy(true);
    try {
      const reply = await api.feedback(task, id, label);
      setResult({ ok: true, text: `Saved: “${reply.label}” is now this text's gold label (it was answered “${reply.previous_label ?? "nothing"}”).` });
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
            <dd>{r.label ?? "none"}</dd>
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
            <dd>{r.teacher_asked ? (r.teacher_label ?? "no valid label") : "not asked"}</dd>
            <dt>Audit</dt>
            <dd>{auditText(r)}</dd>
            <dt>Latency · cost</dt>
            <dd>
              {num(r.latency_ms, 2)} ms · {money(r.cost)}
            </dd>
            <dt>Stored example</dt>
            <dd>{r.example ? `${r.example.label} (${r.example.source})` : "none"}</dd>
          </dl>
          {hashed ? null : (
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
