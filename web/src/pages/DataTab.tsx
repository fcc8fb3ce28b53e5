// Importing labelled examples: pick a CSV/JSONL/JSON file, preview its first rows, map its text
// and label columns, upload with progress, see each rejected line; then retrain. A structured
// task's rows carry an object (JSONL/JSON `{"text", "output"}`, or CSV with a column per field):
// there is no label column to map.
import { useState } from "preact/hooks";
import { ApiError, errorMessage } from "../api/client.js";
import type { BadRow, ImportReply, RetrainReply, TaskDetail } from "../api/types.js";
import { useSession } from "../components/session.js";
import { Section } from "../components/ui.js";
import { bytes, num, pct, prob } from "../lib/format.js";
import { badRowsAdvice, CONTENT_TYPES, guessColumn, importQuery, PARTIAL_LABEL, preview as previewOf, PREVIEW_BYTES, type Preview } from "../lib/import-preview.js";

interface Chosen {
  file: File;
  preview: Preview;
  truncated: boolean;
}

function isBadRows(x: unknown): x is BadRow[] {
  return Array.isArray(x) && x.every((r) => typeof r === "object" && r !== null && typeof (r as BadRow).line === "number");
}

export function DataTab({ name, task, onRetrained }: { name: string; task: TaskDetail; onRetrained: () => void }) {
  const { api } = useSession();
  const structured = task.definition.output !== undefined;
  const [chosen, setChosen] = useState<Chosen | null>(null);
  const [readError, setReadError] = useState<string | null>(null);
  const [textColumn, setTextColumn] = useState<string | null>(null);
  const [labelColumn, setLabelColumn] = useState<string | null>(null);
  const [partial, setPartial] = useState(false);
  const [upload, setUpload] = useState<{ loaded: number; total: number } | null>(null);
  const [reply, setReply] = useState<ImportReply | null>(null);
  const [failure, setFailure] = useState<{ message: string; rows: BadRow[] } | null>(null);

  async function onFile(e: Event) {
    const input = e.target as HTMLInputElement;
    const file = input.files?.[0];
    setReply(null);
    setFailure(null);
    setReadError(null);
    if (!file) {
      setChosen(null);
      return;
    }
    try {
      const truncated = file.size > PREVIEW_BYTES;
      const head = await file.slice(0, PREVIEW_BYTES).text();
      const preview = previewOf(file.name, head, truncated);
      setChosen({ file, preview, truncated });
      setTextColumn(guessColumn(preview.columns, "text"));
      setLabelColumn(guessColumn(preview.columns, "label"));
    } catch (err) {
      setChosen(null);
      setReadError(`Could not read the file: ${errorMessage(err)}`);
    }
  }

  async function send(e: Event) {
    e.preventDefault();
    if (!chosen) return;
    setReply(null);
    setFailure(null);
    setUpload({ loaded: 0, total: chosen.file.size });
    try {
      const result = await api.importExamples(name, chosen.file, {
        contentType: CONTENT_TYPES[chosen.preview.format],
        query: importQuery(chosen.preview.format, textColumn, structured ? null : labelColumn, partial),
        onProgress: (loaded, total) => setUpload({ loaded, total: total || chosen.file.size }),
      });
      setReply(result);
    } catch (err) {
      setFailure({ message: errorMessage(err), rows: err instanceof ApiError && isBadRows(err.details) ? err.details : [] });
    } finally {
      setUpload(null);
    }
  }

  const columns = chosen?.preview.columns ?? [];
  const mappable = chosen !== null && chosen.preview.format !== "json" && columns.length > 0;
  const sameColumn = mappable && !structured && textColumn !== null && textColumn === labelColumn;
  const rejected = reply?.rejected ?? failure?.rows ?? [];

  return (
    <>
      <Section title="Import labelled examples" id="import-title">
        <form onSubmit={send}>
          <div class="field">
            <label for="import-file">File (CSV with a header row, JSONL, or a JSON array)</label>
            <input id="import-file" type="file" accept=".csv,.jsonl,.ndjson,.json,text/csv,application/json,application/x-ndjson" onChange={onFile} aria-describedby="import-file-hint" />
            <p id="import-file-hint" class="hint">
              Up to 100,000 rows and 64 MiB.{" "}
              {structured
                ? 'Each row is an answer object: JSONL or JSON {"text": …, "output": {…}}, or CSV with a column per field (tags as a|b, true/false, empty for none). Extracted values must occur in the text.'
                : `Labels must be among the task's ${task.definition.labels?.length ?? 0} labels.`}
            </p>
          </div>
          {readError ? (
            <p class="error-box" role="alert">
              {readError}
            </p>
          ) : null}
          {chosen ? (
            <>
              <p class="muted small">
                {chosen.file.name} · {bytes(chosen.file.size)} · read as <strong>{chosen.preview.format.toUpperCase()}</strong>
                {chosen.truncated ? ` · preview of the first ${bytes(PREVIEW_BYTES)}` : ""}
              </p>
              <PreviewTable preview={chosen.preview} textColumn={textColumn} labelColumn={labelColumn} />
              {chosen.preview.problems.length > 0 ? (
                <p class="field-error">
                  The preview could not read {chosen.preview.problems.map((p) => `line ${p.line} (${p.reason})`).join(", ")}. The gateway will report every bad line.
                </p>
              ) : null}
              <div class="form-grid">
                {mappable ? (
                  <>
                    <ColumnSelect id="text-column" label="Text column" columns={columns} value={textColumn} onChange={setTextColumn} />
                    {structured ? null : <ColumnSelect id="label-column" label="Label column" columns={columns} value={labelColumn} onChange={setLabelColumn} />}
                  </>
                ) : null}
                <div class="field checkbox-field">
                  <input id="import-partial" type="checkbox" checked={partial} onChange={(e) => setPartial((e.target as HTMLInputElement).checked)} aria-describedby="import-partial-hint" />
                  <label for="import-partial">{PARTIAL_LABEL}</label>
                  <p id="import-partial-hint" class="hint">
                    Off: any bad row rejects the whole file (nothing is imported).
                  </p>
                </div>
              </div>
              {sameColumn ? <p class="field-error">The text and label columns must differ.</p> : null}
              <div class="form-actions">
                <button type="submit" class="button primary" disabled={upload !== null || sameColumn}>
                  {upload ? "Uploading…" : "Upload"}
                </button>
                {upload ? (
                  <div class="upload-progress">
                    <progress max={Math.max(1, upload.total)} value={upload.loaded} aria-label="Upload progress" />
                    <span class="small muted">
                      {upload.loaded >= upload.total ? "Processing on the gateway…" : `${bytes(upload.loaded)} of ${bytes(upload.total)} (${pct(upload.total ? upload.loaded / upload.total : 0, 0)})`}
                    </span>
                  </div>
                ) : null}
              </div>
            </>
          ) : null}
        </form>
        {reply ? (
          <div class="notice success" role="status">
            <p>
              <strong>Imported {num(reply.accepted)} of {num(reply.rows)} rows</strong> ({reply.format.toUpperCase()}): {num(reply.added)} new, {num(reply.unchanged_or_updated)} already known or relabelled
              {reply.rejected.length > 0 ? `, ${num(reply.rejected.length)} rejected` : ""}. The task now has {num(reply.examples)} examples.
            </p>
          </div>
        ) : null}
        {failure ? (
          <div class="error-box" role="alert">
            <p>
              <strong>Nothing imported:</strong> {failure.rows.length > 0 ? badRowsAdvice(failure.rows.length, partial) : failure.message}
            </p>
          </div>
        ) : null}
        {rejected.length > 0 ? <RejectedTable rows={rejected} format={reply?.format ?? chosen?.preview.format ?? "csv"} /> : null}
      </Section>
      <RetrainSection name={name} onRetrained={onRetrained} />
    </>
  );
}

function PreviewTable({ preview, textColumn, labelColumn }: { preview: Preview; textColumn: string | null; labelColumn: string | null }) {
  if (preview.columns.length === 0) return <p class="muted">No columns found in the preview.</p>;
  return (
    <div class="table-wrap preview">
      <table class="table compact">
        <caption>First {preview.rows.length} rows</caption>
        <thead>
          <tr>
            {preview.columns.map((c) => (
              <th key={c} scope="col" class={c === textColumn ? "col-text" : c === labelColumn ? "col-label" : ""}>
                {c}
                {c === textColumn ? <span class="tag">text</span> : c === labelColumn ? <span class="tag tag-teacher">label</span> : null}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {preview.rows.map((r, i) => (
            <tr key={i}>
              {preview.columns.map((c) => (
                <td key={c}>{r[c].length > 140 ? `${r[c].slice(0, 139)}…` : r[c]}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function RejectedTable({ rows, format }: { rows: BadRow[]; format: string }) {
  const [all, setAll] = useState(false);
  const shown = all ? rows : rows.slice(0, 100);
  return (
    <div class="rejected">
      <h3 class="subhead">
        {num(rows.length)} rejected {format === "json" ? "item" : "line"}
        {rows.length === 1 ? "" : "s"}
      </h3>
      <div class="table-wrap">
        <table class="table compact">
          <caption class="visually-hidden">Rejected rows with their reasons</caption>
          <thead>
            <tr>
              <th scope="col" class="num">
                {format === "json" ? "Item" : "Line"}
              </th>
              <th scope="col">Reason</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => (
              <tr key={`${r.line}:${r.reason}`}>
                <td class="num">{r.line}</td>
                <td>{r.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {rows.length > shown.length ? (
        <button type="button" class="button small" onClick={() => setAll(true)}>
          Show all {num(rows.length)}
        </button>
      ) : null}
    </div>
  );
}

function RetrainSection({ name, onRetrained }: { name: string; onRetrained: () => void }) {
  const { api } = useSession();
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<RetrainReply | null>(null);
  const [error, setError] = useState<unknown>(null);
  async function retrain() {
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      setResult(await api.retrain(name));
      onRetrained();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return (
    <Section title="Retrain" id="retrain-title">
      <p class="muted">Train a candidate on every example now. It is promoted only if it is not worse than the live model on the holdout.</p>
      <button type="button" class="button primary" onClick={retrain} disabled={busy}>
        {busy ? "Training…" : "Retrain now"}
      </button>
      {busy ? (
        <p class="muted" role="status">
          Training can take a while on large tasks.
        </p>
      ) : null}
      {error ? <p class="error-box" role="alert">{errorMessage(error)}</p> : null}
      {result ? (
        <div class={`notice ${result.promoted ? "success" : ""}`} role="status">
          <p>
            <strong>{result.promoted ? `Promoted: version ${result.version} is live.` : `Not promoted: version ${result.model_version || "none"} stays live.`}</strong> Candidate accuracy {pct(result.candidateAccuracy)}
            {result.currentAccuracy !== null ? ` vs ${pct(result.currentAccuracy)} for the previous model` : ""} on {num(result.holdoutExamples)} holdout examples; trained on {num(result.trainExamples)} in {num(result.seconds, 1)} s
            {result.threshold ? `; threshold ${result.threshold.threshold === null ? "none" : prob(result.threshold.threshold)}` : ""}.
          </p>
          <p class="small muted">{result.reason}</p>
        </div>
      ) : null}
    </Section>
  );
}

function ColumnSelect(props: { id: string; label: string; columns: string[]; value: string | null | undefined; onChange: (column: string) => void }) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <select id={props.id} value={props.value ?? ""} onChange={(e) => props.onChange((e.target as HTMLSelectElement).value)}>
        {props.columns.map((c) => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </select>
    </div>
  );
}
