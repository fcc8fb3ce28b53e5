// A captured task's mode (shadow, serve, off) and its auto-serve switch: each change is confirmed
// in a dialog saying what it does, then sent as PATCH /v1/captured/:name; the gateway's error, if
// any, stays on the card until the next change.
import { useState } from "preact/hooks";
import type { CaptureChange, CaptureMode, DiscoveredTask } from "../api/types.js";
import { changeText, MODE_TEXT } from "../lib/discovered.js";
import { ConfirmDialog } from "./ConfirmDialog.js";
import { useSession } from "./session.js";
import { ErrorBox, Segmented } from "./ui.js";

const MODES = (Object.keys(MODE_TEXT) as CaptureMode[]).map((value) => ({ value, label: MODE_TEXT[value].title }));

export function CaptureControls({ task, onChanged }: { task: DiscoveredTask; onChanged: (task: DiscoveredTask) => void }) {
  const { api } = useSession();
  const [pending, setPending] = useState<CaptureChange | null>(null);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ done: string } | { error: unknown } | null>(null);
  const autoServe = task.capture.auto_serve;

  const apply = async (change: CaptureChange) => {
    setBusy(true);
    try {
      const updated = await api.changeCapture(task.name, change);
      setOutcome({ done: change.mode !== undefined ? `Now in ${MODE_TEXT[updated.capture.mode].title.toLowerCase()} mode.` : `Auto-serve is ${updated.capture.auto_serve === true ? "on" : "off"}.` });
      onChanged(updated);
    } catch (error) {
      setOutcome({ error });
    } finally {
      setBusy(false);
      setPending(null);
    }
  };

  const text = pending === null ? null : changeText(task, pending);
  return (
    <div class="capture-controls">
      <Segmented name={`mode-${task.name}`} legend={`Mode of ${task.name}`} options={MODES} value={task.capture.mode} onChange={(mode) => mode !== task.capture.mode && setPending({ mode })} />
      <button type="button" role="switch" class="button small switch" aria-checked={autoServe === true} onClick={() => setPending({ auto_serve: autoServe !== true })}>
        Auto-serve: {autoServe === undefined ? "gateway's setting" : autoServe ? "on" : "off"}
      </button>
      <p class="hint">
        {MODE_TEXT[task.capture.mode].title}: {MODE_TEXT[task.capture.mode].effect}.{autoServe === undefined ? " Auto-serve is not set for this task: the gateway's capture.auto_serve applies." : ""}
      </p>
      {outcome !== null && "done" in outcome ? (
        <p class="notice success" role="status">
          {outcome.done}
        </p>
      ) : null}
      {outcome !== null && "error" in outcome ? <ErrorBox error={outcome.error} title="The change was not made" /> : null}
      {pending !== null && text !== null ? (
        <ConfirmDialog title={text.title} confirmLabel="Confirm" busy={busy} onConfirm={() => void apply(pending)} onCancel={() => setPending(null)}>
          <p>{text.body}</p>
          {text.warning !== null ? <p class="notice">{text.warning}</p> : null}
        </ConfirmDialog>
      ) : null}
    </div>
  );
}
