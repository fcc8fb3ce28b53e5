// Tasks the gateway found in the calls it forwards to the upstream LLM (captured tasks): what each
// is, what shadow mode measured and would save, its mode switch and its edits (what the last edit did
// stays at the top of the page: a renamed, merged or deleted task's card is gone). Without an upstream the
// gateway has no capture routes: the page says how to turn capture on instead of failing.
import { useState } from "preact/hooks";
import { useLiveRefresh } from "../components/live.js";
import { CapturedTaskCard } from "../components/CapturedTaskCard.js";
import { useApi } from "../components/session.js";
import { Empty, ErrorBox, isMissingRoute, Loading } from "../components/ui.js";

export function DiscoveredPage() {
  const state = useApi((api) => api.capturedTasks(), []);
  useLiveRefresh(state.reload);
  const [done, setDone] = useState<string | null>(null);
  const missing = isMissingRoute(state.error);
  const onEdited = (text: string) => {
    setDone(text);
    state.reload();
  };
  return (
    <div class="page">
      <div class="page-head">
        <div>
          <h1>Discovered</h1>
          <p class="muted">Tasks found in the chat completions your apps send through the gateway to their LLM. Each starts in shadow mode: the LLM answers every call while a specialist learns from it.</p>
        </div>
      </div>
      {done !== null ? (
        <p class="notice success" role="status">
          {done}
        </p>
      ) : null}
      {state.loading && state.data === undefined ? <Loading what="Loading the captured tasks" /> : null}
      {state.error && !missing ? <ErrorBox error={state.error} title="Could not load the captured tasks" onRetry={state.reload} /> : null}
      {missing || state.data?.data.length === 0 ? <HowCaptureWorks on={!missing} /> : null}
      <div class="captured-list" aria-busy={state.loading}>
        {state.data?.data.map((task, _i, all) => <CapturedTaskCard key={task.name} task={task} all={all} onChanged={state.reload} onEdited={onEdited} />)}
      </div>
    </div>
  );
}

function HowCaptureWorks({ on }: { on: boolean }) {
  return (
    <Empty title={on ? "No captured tasks yet" : "Capture is off on this gateway"}>
      {on ? null : (
        <p>
          Capture needs an upstream LLM to forward calls to (<code>APPRENTICE_UPSTREAM_BASE_URL</code> and <code>APPRENTICE_UPSTREAM_API_KEY</code>, or <code>upstream:</code> in the configuration file), and no <code>capture: false</code> in the configuration file; restart the gateway after changing them.
        </p>
      )}
      <p>
        Point your app's OpenAI client at the gateway (<code>baseURL: "{location.origin}/v1"</code>, with a gateway API key) and keep calling your model as before. A call that asks for a structured answer, a <code>response_format</code> of type <code>json_schema</code> or one forced tool, becomes a captured task here, one per model, system prompt and schema.
      </p>
      <p>The gateway relays each call to the LLM unchanged (shadow mode) and learns from its answers; once the specialist's disagreement with the LLM is proven within the task's max error, switch the task to serve.</p>
    </Empty>
  );
}
