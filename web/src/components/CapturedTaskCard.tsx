// One captured task on the Discovered page: the call it was found in (model, schema, volume), its
// fields and a few of the LLM's answers, what shadow mode measured in a sentence and in figures,
// its mode switch, its edits (rename, describe, merge, delete), and links to its ordinary task pages.
import type { ComponentChildren } from "preact";
import type { DiscoveredTask, ShadowSummary } from "../api/types.js";
import { dailySaving, MODE_TEXT, proofText, shadowSentence } from "../lib/discovered.js";
import { dateTime, num, pct } from "../lib/format.js";
import { taskHref } from "../lib/router.js";
import { FieldList } from "./AnswerView.js";
import { CaptureControls } from "./CaptureControls.js";
import { CapturedTaskActions } from "./CapturedTaskActions.js";
import { TaskLinks } from "./ui.js";

/** `all`: every captured task (those `task` could take in by a merge are among them); `onEdited`: what an edit did, in a sentence. */
export function CapturedTaskCard({ task, all, onChanged, onEdited }: { task: DiscoveredTask; all: readonly DiscoveredTask[]; onChanged: (task: DiscoveredTask) => void; onEdited: (done: string) => void }) {
  const { capture } = task;
  // What auto-serve reads: the live model's figures (the window's before there is one).
  const proof = task.shadow_live_version ?? task.shadow;
  const id = `captured-${task.name}`;
  return (
    <article class="card captured-card" aria-labelledby={id} data-task={task.name}>
      <header class="task-card-head">
        <h2 id={id}>
          <a href={taskHref(task.name)}>{task.name}</a>
        </h2>
        <span class={`badge badge-mode-${capture.mode}`}>{MODE_TEXT[capture.mode].title}</span>
        <span class={`badge ${proof.proven ? "badge-ok" : "badge-unproven"}`}>{proof.proven ? "proven" : "not proven yet"}</span>
      </header>
      {task.description ? <p class="muted task-desc">{task.description}</p> : null}
      <p class="shadow-sentence">{shadowSentence(task)}</p>
      <dl class="kv">
        <Fact label="Calls a day" value={num(task.per_day.calls, task.per_day.calls < 10 ? 1 : 0)} />
        <Fact label="Model called" value={capture.model} />
        <Fact label="Asked via" value={capture.via === "tool" ? "forced tool" : "json_schema"} />
        <Fact label={capture.via === "tool" ? "Tool" : "Schema name"} value={capture.schema_name ?? "—"} />
        <Fact label="Would save" value={dailySaving(task)} />
        <Fact label="Specialist" value={task.model_version === null ? "none yet" : `v${task.model_version}, ${num(task.examples)} examples`} />
        <Fact label="First seen" value={dateTime(task.created_at)} />
        {task.served.requests > 0 ? <Fact label="Served" value={`${num(task.served.by_specialist)} of ${num(task.served.requests)} calls answered by the specialist (${pct(task.served.by_specialist / task.served.requests, 0)})`} /> : null}
        {task.shed_calls > 0 ? <Fact label="Not learned" value={`${num(task.shed_calls)} calls since the gateway started: it was too busy to learn them (not in the figures)`} /> : null}
        {capture.follows !== undefined ? <Fact label="Follows" value={<a href={taskHref(capture.follows)}>{capture.follows}</a>} /> : null}
      </dl>
      <ShadowTable task={task} />
      <p class="hint">{proofText(proof)}</p>
      <CaptureControls task={task} onChanged={onChanged} />
      <CapturedTaskActions task={task} all={all} onEdited={onEdited} />
      <h3>Fields</h3>
      <ul class="captured-fields">
        {task.fields.map((f) => (
          <li key={f.name}>
            <code>{f.name}</code> <span class="tag">{f.kind}</span>
            {f.values !== undefined ? <span class="muted"> {f.values.join(", ")}</span> : null}
            {f.description !== undefined ? <p class="hint">{f.description}</p> : null}
          </li>
        ))}
      </ul>
      <h3>The LLM's answers</h3>
      {task.samples.length === 0 ? (
        <p class="muted">{task.privacy === "hash_inputs" ? "Inputs are kept only as hashes (privacy: hash_inputs): no samples." : "None stored yet."}</p>
      ) : (
        <ul class="captured-samples">
          {task.samples.map((s, i) => (
            <li key={i}>
              <p class="sample-input">{s.text}</p>
              <span class="sample-arrow" aria-label="answered with">
                →
              </span>
              <FieldList fields={task.fields} object={s.output} compact />
            </li>
          ))}
        </ul>
      )}
      <TaskLinks name={task.name} tabs={["traffic", "requests", "examples", "quality", "settings"]} />
    </article>
  );
}

function Fact({ label, value }: { label: string; value: ComponentChildren }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}

/** Shadow mode's figures: over the window (every version), and for the live model alone (what auto-serve reads). */
function ShadowTable({ task }: { task: DiscoveredTask }) {
  const rows: [string, ShadowSummary][] = [["Last 7 days", task.shadow]];
  if (task.shadow_live_version !== null) rows.push([`Live model v${task.model_version}`, task.shadow_live_version]);
  return (
    <div class="table-wrap">
      <table class="table compact shadow-table">
        <caption>Shadow agreement with the LLM (bound at {pct(task.shadow.confidence_level, 0)} confidence, max error {pct(task.shadow.max_error)})</caption>
        <thead>
          <tr>
            <th scope="col">Measured over</th>
            <th scope="col" class="num">Shadow calls</th>
            <th scope="col" class="num">Would answer</th>
            <th scope="col" class="num">Disagreements</th>
            <th scope="col" class="num">Bound</th>
            <th scope="col">Proven</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([label, s]) => (
            <tr key={label}>
              <th scope="row">{label}</th>
              <td class="num">{num(s.requests)}</td>
              <td class="num">{s.requests === 0 ? "—" : `${num(s.would_answer)} (${pct(s.would_answer_share, 0)})`}</td>
              <td class="num">{s.would_answer_judged === 0 ? "—" : `${num(s.disagreements)} of ${num(s.would_answer_judged)}`}</td>
              <td class="num">{s.disagreement_bound === null ? "—" : `≤ ${pct(s.disagreement_bound)}`}</td>
              <td>{s.proven ? "yes" : "no"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
