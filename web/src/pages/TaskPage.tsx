// One task: a header with its model and tabs for traffic, the request log, the examples, quality, versions, settings, the
// review queue, the playground and data import.
import { useApi } from "../components/session.js";
import { ErrorBox, Loading } from "../components/ui.js";
import { TAB_TITLES, TASK_TABS, taskHref, type TaskTab } from "../lib/router.js";
import { answerFields, groupText } from "../lib/structured.js";
import { DataTab } from "./DataTab.js";
import { ExamplesTab } from "./ExamplesTab.js";
import { ExplainTab } from "./ExplainTab.js";
import { QualityTab } from "./QualityTab.js";
import { RequestsTab } from "./RequestsTab.js";
import { ReviewTab } from "./ReviewTab.js";
import { SettingsTab } from "./SettingsTab.js";
import { TrafficTab } from "./TrafficTab.js";
import { VersionsTab } from "./VersionsTab.js";

export function TaskPage({ name, tab }: { name: string; tab: TaskTab }) {
  const task = useApi((api) => api.task(name), [name]);
  const def = task.data?.definition;
  const cascade = task.data?.cascade ?? null;
  // The task's fields, compiled once for the notices below, and only when one shows.
  const groupFields = cascade !== null && (cascade.surging.length > 0 || cascade.held.length > 0) ? answerFields(def?.output, def?.capture) : null;
  return (
    <div class="page">
      <div class="page-head">
        <div>
          <p class="crumbs">
            <a href="#/">Tasks</a> <span aria-hidden="true">/</span>
          </p>
          <h1>{name}</h1>
          {def?.description ? <p class="muted">{def.description}</p> : null}
        </div>
        {task.data ? (
          <dl class="head-facts">
            <div>
              <dt>Model</dt>
              <dd>{task.data.model_version ? `v${task.data.model_version}` : "none yet"}</dd>
            </div>
            <div>
              <dt>{def?.output ? "Fields" : "Labels"}</dt>
              <dd title={def?.output ? Object.keys(def.output.properties).join(", ") : undefined}>{def?.output ? Object.keys(def.output.properties).length : def?.labels?.length}</dd>
            </div>
            <div>
              <dt>Teacher</dt>
              <dd>{def?.capture ? <a href="#/discovered">{def.capture.model} (captured)</a> : def ? (def.teacher.name ?? def.teacher.provider ?? "") : ""}</dd>
            </div>
          </dl>
        ) : null}
      </div>
      {cascade !== null && cascade.surging.length > 0 ? (
        <p class="notice" role="status">
          Traffic shift: requests read as {groupsText(cascade.surging, groupFields)} far outnumber their share of the earlier traffic, so the teacher answers every request until the
          traffic settles or a retrain learns it ({cascade.surge_diversions.toLocaleString("en")} diverted since the gateway started).
        </p>
      ) : null}
      {cascade !== null && cascade.held.length > 0 ? (
        <p class="notice" role="status">
          Answers on hold: the live audits proved {groupsText(cascade.held, groupFields)} wrong more often than the task's max error allows, so the teacher answers the requests the specialist
          reads as them until a new version is promoted ({cascade.held_diversions.toLocaleString("en")} diverted since the gateway started).
        </p>
      ) : null}
      <nav class="tabs" aria-label="Task sections">
        {TASK_TABS.map((t) => (
          <a key={t} href={taskHref(name, t)} aria-current={t === tab ? "page" : undefined}>
            {TAB_TITLES[t]}
          </a>
        ))}
      </nav>
      {task.loading && task.data === undefined ? <Loading what="Loading the task" /> : null}
      {task.error ? <ErrorBox error={task.error} title={`Could not load task "${name}"`} onRetry={task.reload} /> : null}
      {task.data ? (
        <div class="tab-body">
          {tab === "traffic" ? <TrafficTab name={name} /> : null}
          {tab === "requests" ? <RequestsTab name={name} task={task.data} /> : null}
          {tab === "examples" ? <ExamplesTab name={name} task={task.data} /> : null}
          {tab === "quality" ? <QualityTab name={name} task={task.data} /> : null}
          {tab === "versions" ? <VersionsTab name={name} task={task.data} onChanged={task.reload} /> : null}
          {tab === "settings" ? <SettingsTab name={name} task={task.data} onSaved={task.reload} /> : null}
          {tab === "review" ? <ReviewTab name={name} task={task.data} /> : null}
          {tab === "explain" ? <ExplainTab name={name} task={task.data} /> : null}
          {tab === "data" ? <DataTab name={name} task={task.data} onRetrained={task.reload} /> : null}
        </div>
      ) : null}
    </div>
  );
}

/** Answer groups (surging, on hold) as text, with the task's fields compiled once by the caller. */
function groupsText(groups: readonly string[], fields: ReturnType<typeof answerFields>): string {
  return groups.map((g) => groupText(fields, g)).join(", ");
}
