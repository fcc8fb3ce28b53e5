// Small shared pieces: loading and empty states, error boxes, badges, stat cards, segmented
// controls and progress bars.
import { Fragment, type ComponentChildren } from "preact";
import { ApiError, errorMessage } from "../api/client.js";
import type { AuditStatus } from "../api/types.js";
import { TAB_TITLES, taskHref, type TaskTab } from "../lib/router.js";

export function Loading({ what = "Loading" }: { what?: string }) {
  return (
    <p class="loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" />
      {what}…
    </p>
  );
}

export function ErrorBox({ error, title, onRetry }: { error: unknown; title?: string; onRetry?: () => void }) {
  const status = error instanceof ApiError ? error.status : null;
  return (
    <div class="error-box" role="alert">
      <p>
        {title ? <strong>{title}: </strong> : null}
        {errorMessage(error)}
        {status !== null ? <span class="muted"> (HTTP {status})</span> : null}
      </p>
      {onRetry ? (
        <button type="button" class="button small" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

/** A route the gateway does not have yet (404 "no route …"): say so instead of failing. */
export function isMissingRoute(error: unknown): boolean {
  return error instanceof ApiError && error.status === 404 && /^no route /.test(error.message);
}

export function Empty({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="empty">
      <p class="empty-title">{title}</p>
      {children ? <div class="empty-body">{children}</div> : null}
    </div>
  );
}

const AUDIT_TEXT: Record<AuditStatus, string> = {
  ok: "within target",
  near: "near max error",
  exceeded: "max error exceeded",
  unproven: "not proven yet",
  no_audits: "no audits yet",
};

export function AuditBadge({ status }: { status: AuditStatus }) {
  const warn = status === "near" || status === "exceeded";
  return (
    <span class={`badge badge-${status}`} title={`Live audit: ${AUDIT_TEXT[status]}`}>
      {warn ? <span aria-hidden="true">⚠ </span> : null}
      {AUDIT_TEXT[status]}
    </span>
  );
}

export function Stat({ label, value, detail }: { label: string; value: ComponentChildren; detail?: ComponentChildren }) {
  return (
    <div class="stat">
      <dt>{label}</dt>
      <dd>
        <span class="stat-value">{value}</span>
        {detail !== undefined ? <span class="stat-detail">{detail}</span> : null}
      </dd>
    </div>
  );
}

export interface SegmentOption<T extends string> {
  value: T;
  label: string;
}

/** A radio group drawn as a segmented control (arrow keys move between options natively). */
export function Segmented<T extends string>({ name, legend, options, value, onChange }: { name: string; legend: string; options: SegmentOption<T>[]; value: T; onChange: (v: T) => void }) {
  return (
    <fieldset class="segmented">
      <legend class="visually-hidden">{legend}</legend>
      {options.map((o) => (
        <label key={o.value} class={o.value === value ? "active" : ""}>
          <input type="radio" name={name} value={o.value} checked={o.value === value} onChange={() => onChange(o.value)} />
          <span>{o.label}</span>
        </label>
      ))}
    </fieldset>
  );
}

export function Section({ title, actions, children, id }: { title: string; actions?: ComponentChildren; children: ComponentChildren; id?: string }) {
  return (
    <section class="card" aria-labelledby={id}>
      <header class="card-head">
        <h2 id={id}>{title}</h2>
        {actions ? <div class="card-actions">{actions}</div> : null}
      </header>
      {children}
    </section>
  );
}

/** A label that may wrap after its underscores, hyphens and dots (label names rarely have spaces). */
export function Breakable({ text }: { text: string }) {
  const parts = text.split(/(?<=[_\-./])/);
  return (
    <>
      {parts.map((p, i) => (
        <Fragment key={i}>
          {i > 0 ? <wbr /> : null}
          {p}
        </Fragment>
      ))}
    </>
  );
}

/** A labelled select of a filter form; the empty value (`anyLabel`) means no filter. */
export function SelectField({ id, label, value, anyLabel, options, onChange }: { id: string; label: string; value: string; anyLabel: string; options: readonly SegmentOption<string>[]; onChange: (e: Event) => void }) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} value={value} onChange={onChange}>
        <option value="">{anyLabel}</option>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );
}

/** Links to some of a task's pages, by their tab titles. */
export function TaskLinks({ name, tabs }: { name: string; tabs: readonly TaskTab[] }) {
  return (
    <nav class="card-links" aria-label={`${name} pages`}>
      {tabs.map((t) => (
        <a key={t} href={taskHref(name, t)}>
          {TAB_TITLES[t]}
        </a>
      ))}
    </nav>
  );
}
