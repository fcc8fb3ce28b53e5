// The review queue as a pure state machine: which item is shown, what was decided, what is being
// saved, and what a key press means. The page only dispatches actions and POSTs the feedback.
import type { ReviewItem } from "../api/types.js";
import { prob } from "./format.js";

export const MAX_CHOICES = 5;

export type Decision = { kind: "done"; label: string } | { kind: "skipped" };

export interface QueueState {
  items: ReviewItem[];
  /** The item shown; items.length once the queue is worked through. */
  index: number;
  decisions: Record<string, Decision>;
  /** A label being sent for the current item (further picks and skips wait). */
  saving: { requestId: string; label: string } | null;
  error: string | null;
}

export type QueueAction =
  | { type: "load"; items: ReviewItem[]; retrySkipped?: boolean }
  | { type: "pick"; label: string }
  | { type: "saved" }
  | { type: "failed"; message: string }
  | { type: "skip" };

export const emptyQueue = (): QueueState => ({ items: [], index: 0, decisions: {}, saving: null, error: null });

export function current(state: QueueState): ReviewItem | null {
  return state.items[state.index] ?? null;
}

function advance(state: QueueState, decisions: Record<string, Decision>): QueueState {
  let index = state.index + 1;
  while (index < state.items.length && decisions[state.items[index].request_id] !== undefined) index++;
  return { ...state, decisions, index, saving: null, error: null };
}

export function reduceQueue(state: QueueState, action: QueueAction): QueueState {
  switch (action.type) {
    case "load": {
      // Items decided in this session stay out (the server may list one again until its example
      // lands); skipped ones come back only when asked.
      const items = action.items.filter((it) => {
        const d = state.decisions[it.request_id];
        return d === undefined || (d.kind === "skipped" && action.retrySkipped === true);
      });
      const decisions = { ...state.decisions };
      if (action.retrySkipped) for (const it of items) delete decisions[it.request_id];
      return { items, index: 0, decisions, saving: null, error: null };
    }
    case "pick": {
      const item = current(state);
      if (item === null || state.saving !== null) return state;
      return { ...state, saving: { requestId: item.request_id, label: action.label }, error: null };
    }
    case "saved": {
      if (state.saving === null) return state;
      return advance(state, { ...state.decisions, [state.saving.requestId]: { kind: "done", label: state.saving.label } });
    }
    case "failed":
      return { ...state, saving: null, error: action.message };
    case "skip": {
      const item = current(state);
      if (item === null || state.saving !== null) return state;
      return advance(state, { ...state.decisions, [item.request_id]: { kind: "skipped" } });
    }
  }
}

export interface Progress {
  done: number;
  skipped: number;
  remaining: number;
}

export function progress(state: QueueState): Progress {
  let done = 0;
  let skipped = 0;
  for (const d of Object.values(state.decisions)) {
    if (d.kind === "done") done++;
    else skipped++;
  }
  const remaining = state.items.filter((it) => state.decisions[it.request_id] === undefined).length;
  return { done, skipped, remaining };
}

export interface Choice {
  label: string;
  probability: number | null;
  /** Which answers named it: the gateway's returned answer, the teacher's. */
  answered: boolean;
  teacher: boolean;
}

/**
 * The labels the digit keys pick (at most five): the specialist's top labels, making room for the
 * returned answer and the teacher's label when they are not among them.
 */
export function choices(item: ReviewItem): Choice[] {
  const list: { label: string; probability: number | null }[] = [];
  for (const t of item.top) if (list.length < MAX_CHOICES && !list.some((c) => c.label === t.label)) list.push({ label: t.label, probability: t.probability });
  const required = [item.teacher_label, item.answer.label].filter((l): l is string => l !== null);
  for (const label of required) {
    if (list.some((c) => c.label === label)) continue;
    const entry = { label, probability: null };
    if (list.length < MAX_CHOICES) list.push(entry);
    else {
      // Replace the least likely label that is not itself required.
      for (let k = list.length - 1; k >= 0; k--) {
        if (!required.includes(list[k].label)) {
          list[k] = entry;
          break;
        }
      }
    }
  }
  return list.slice(0, MAX_CHOICES).map((c) => ({ ...c, answered: c.label === item.answer.label, teacher: c.label === item.teacher_label }));
}

/** `none`: the input fits none of the labels (the task's none label). */
export type Command = { type: "pick"; label: string } | { type: "skip" } | { type: "search" } | { type: "none" };

export interface KeyLike {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
}

/**
 * What a key press means on the review page: 1–5 pick a top label, `/` opens the label search,
 * `s` skips. Nothing while the reviewer types in a field or holds a modifier (browser shortcuts).
 */
export function commandForKey(event: KeyLike, item: ReviewItem | null, context: { typing: boolean }): Command | null {
  if (context.typing || event.ctrlKey || event.metaKey || event.altKey || item === null) return null;
  if (event.key === "/") return { type: "search" };
  if (event.key === "s" || event.key === "S") return { type: "skip" };
  if (event.key === "n" || event.key === "N") return { type: "none" };
  if (/^[1-9]$/.test(event.key)) {
    const choice = choices(item)[Number(event.key) - 1];
    return choice ? { type: "pick", label: choice.label } : null;
  }
  return null;
}

/** Labels matching a search, those starting with it first. */
export function searchLabels(labels: readonly string[], query: string, limit = 50): string[] {
  const q = query.trim().toLowerCase().replace(/\s+/g, "_");
  const loose = query.trim().toLowerCase();
  if (q === "") return labels.slice(0, limit);
  const starts: string[] = [];
  const contains: string[] = [];
  for (const l of labels) {
    const low = l.toLowerCase();
    if (low.startsWith(q) || low.startsWith(loose)) starts.push(l);
    else if (low.includes(q) || low.includes(loose) || low.replace(/[_-]/g, " ").includes(loose)) contains.push(l);
  }
  return [...starts, ...contains].slice(0, limit);
}

/**
 * What "Low confidence" means, as the page says it: the gateway's line (`below`; null when the
 * router has no threshold; undefined from a gateway that does not send it) and the threshold.
 */
export function lowConfidenceDefinition(below: number | null | undefined, threshold: number | null): string {
  if (below === undefined) return "Low confidence: the specialist's answers, least confident first.";
  if (below === null) return "Low confidence: every specialist answer, least confident first (the router has no threshold now, so it trusts none of them).";
  const near = threshold === null ? "the router's current threshold" : `the router's current threshold (${prob(threshold)})`;
  return `Low confidence: specialist answers below ${prob(below)} confidence, least confident first: closer to ${near} than to 1, or under it (forced answers, or a threshold raised since).`;
}
