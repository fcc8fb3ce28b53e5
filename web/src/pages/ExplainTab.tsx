// The playground: what the router would do with a text (label, confidence, top labels, route and
// why), without calling the teacher or logging anything. For a structured task, the specialist's
// object with each field's confidence, and the extracted values highlighted in the text.
import { useMemo, useState } from "preact/hooks";
import type { Explanation, TaskDetail } from "../api/types.js";
import { FieldList, HighlightedText } from "../components/AnswerView.js";
import { useSession } from "../components/session.js";
import { Breakable, Empty, ErrorBox, isMissingRoute, Section } from "../components/ui.js";
import { routeSummary } from "../lib/explain.js";
import { pct, prob } from "../lib/format.js";
import { answerFields, spansOf, type AnswerField } from "../lib/structured.js";

interface Tried {
  input: string;
  explanation: Explanation;
}

export function ExplainTab({ name, task }: { name: string; task?: TaskDetail }) {
  const { api } = useSession();
  const fields = useMemo(() => answerFields(task?.definition.output, task?.definition.capture), [task]);
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<Tried | null>(null);
  const [error, setError] = useState<unknown>(null);

  async function run(e?: Event) {
    e?.preventDefault();
    const input = text.trim();
    if (input === "" || busy) return;
    setBusy(true);
    setError(null);
    try {
      setResult({ input, explanation: await api.explain(name, input) });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="split">
      <div class="split-main">
        <Section title="Try a text" id="explain-title">
          <form onSubmit={run}>
            <label for="explain-input">Text to classify</label>
            <textarea
              id="explain-input"
              rows={5}
              value={text}
              placeholder="e.g. my card still hasn't arrived"
              onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
              onKeyDown={(e) => {
                if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) run(e);
              }}
              aria-describedby="explain-hint"
            />
            <p id="explain-hint" class="hint">
              Nothing is logged and the teacher is not called. <kbd>Ctrl</kbd>+<kbd>Enter</kbd> runs it.
            </p>
            <button type="submit" class="button primary" disabled={busy || text.trim() === ""}>
              {busy ? "Asking…" : "Explain"}
            </button>
          </form>
        </Section>
      </div>
      <div class="split-side" aria-live="polite">
        {error ? (
          isMissingRoute(error) ? (
            <Empty title="Playground not available">
              <p>
                This gateway has no <code>/explain</code> route yet.
              </p>
            </Empty>
          ) : (
            <ErrorBox error={error} title="Could not explain" />
          )
        ) : null}
        {result ? <Result input={result.input} e={result.explanation} fields={fields} /> : !error ? <Empty title="No text yet">Type a message and press Explain.</Empty> : null}
      </div>
    </div>
  );
}

function Result({ input, e, fields }: { input: string; e: Explanation; fields: readonly AnswerField[] | null }) {
  const { decision, why } = routeSummary(e, fields);
  return (
    <Section title="What the router would do" id="explain-result-title">
      {fields === null ? <p class="muted small quote">“{input.length > 160 ? `${input.slice(0, 159)}…` : input}”</p> : <HighlightedText text={input} spans={spansOf(e.fields)} fields={fields} />}
      <div class={`route route-${e.route.decision}`}>
        <p class="route-decision">{decision}</p>
        <p class="route-why">{why}</p>
      </div>
      <dl class="kv">
        {fields === null ? (
          <div>
            <dt>Specialist's label</dt>
            <dd>{e.label === null ? "—" : <Breakable text={e.label} />}</dd>
          </div>
        ) : null}
        <div>
          <dt>Confidence</dt>
          <dd>{prob(e.confidence)}</dd>
        </div>
        <div>
          <dt>Threshold</dt>
          <dd>{e.threshold === null ? "none" : prob(e.threshold)}</dd>
        </div>
        <div>
          <dt>Out-of-scope score</dt>
          <dd>
            {prob(e.unknown_share)} <span class="muted">(cut {prob(e.unknown_share_cut)}{e.unknown_share_cut < e.out_of_scope_max ? `, fitted on the holdout; setting ${prob(e.out_of_scope_max)}` : ""})</span>
          </dd>
        </div>
        <div>
          <dt>Scope score</dt>
          <dd>{prob(e.scope_score)}</dd>
        </div>
        <div>
          <dt>Model</dt>
          <dd>{e.model_version ? `v${e.model_version}` : "none"}</dd>
        </div>
      </dl>
      {fields !== null ? (
        <>
          <h3 class="subhead">Specialist's answer</h3>
          {e.output ? <FieldList fields={fields} object={e.output} confidence={e.fields} /> : <p class="muted">No specialist yet: the teacher answers every request until the first model is trained.</p>}
        </>
      ) : null}
      {e.top.length > 0 ? (
        <>
          <h3 class="subhead">Top labels</h3>
          <ol class="bars">
            {e.top.slice(0, 5).map((t) => (
              <li key={t.label}>
                <span class="bar-label">
                  <Breakable text={t.label} />
                </span>
                <progress max={1} value={t.probability} aria-label={`${t.label}: ${pct(t.probability)}`} />
                <span class="bar-value">{pct(t.probability)}</span>
              </li>
            ))}
          </ol>
        </>
      ) : null}
    </Section>
  );
}
