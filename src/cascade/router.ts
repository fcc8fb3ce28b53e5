// The per-request decision: does the specialist answer, or the teacher? Runs on every request, so
// it does one prediction, one out-of-scope share and a hash — no sorting, no arrays per call (but
// for a text the specialist predicts as none, whose scope score needs the runner-up label).
import { fmix32 } from "../engine/hash.js";
import { scopeScore } from "../engine/scope.js";
import type { RoutingTarget } from "../task/definition.js";
import type { Specialist } from "./specialist-kind.js";
import { isCovered } from "./threshold.js";

/** `surge`: confident, but some answer group is surging in the traffic, so the specialist answers nothing (the cascade's surge guard, surge-guard.ts). `held`: confident, but the live audits proved this answer group wrong (answer-holds.ts). */
export type RouteReason = "no_specialist" | "no_threshold" | "below_threshold" | "out_of_scope" | "out_of_scope_label" | "confident" | "surge" | "held" | "forced";

/** `auto` lets the threshold decide; `specialist` and `teacher` are a caller's explicit choice. */
export type RouteMode = "auto" | "specialist" | "teacher";

export interface RouteDecision {
  decision: "specialist" | "teacher";
  reason: RouteReason;
  /** The specialist's label (absent when there is no specialist or no threshold). */
  prediction?: string;
  confidence?: number;
  /** Share of the text's n-grams the specialist never learned (1: unlike anything it has seen). */
  unknownShare?: number;
  /** The scope score (see Assessment.score). */
  scopeScore?: number;
  /** Also ask the teacher, to audit the specialist's answer (only ever true for specialist answers). */
  audit: boolean;
}

export interface RouterSettings {
  routing: Pick<RoutingTarget, "audit_rate" | "out_of_scope_max">;
  /** Whether an answer is "none of these" (SpecialistKind.isNone): the specialist never answers one. */
  isNone?: (answer: string) => boolean;
  /** Seeds the audit draws. */
  seed: number;
}

/** What the specialist makes of a text, before any threshold: shared by routing and holdout scoring. */
export interface Assessment {
  label: string;
  index: number;
  confidence: number;
  unknownShare: number;
  /**
   * The scope score (src/engine/scope.ts): the confidence in the best real label discounted by
   * how foreign the text is. Reported (and measured as an AUROC); the router's scope rule uses its
   * foreign-text factor, the unknown share, against a cut fitted on the holdout (setScopeCut).
   */
  score: number;
  /** Why the specialist may not answer whatever its confidence, or "in_scope". */
  scope: "in_scope" | "out_of_scope" | "out_of_scope_label";
}

export function assess(specialist: Specialist, text: string, settings: RouterSettings): Assessment {
  const p = specialist.predict(text);
  const unknownShare = p.unknownShare;
  const none = settings.isNone?.(p.label) === true;
  // Unfamiliar text first: the label of a text the model cannot read says nothing.
  const scope = unknownShare > settings.routing.out_of_scope_max ? "out_of_scope" : none ? "out_of_scope_label" : "in_scope";
  // A specialist that learned the none class and predicts it says the text is out of scope: its
  // scope score is that of the best real label (at most 1 − P(none)), not its confidence in none
  // (0 for a specialist that cannot say: a structured one).
  const inScopeConfidence = none ? (specialist.lastTop?.(2)[1]?.probability ?? 0) : p.confidence;
  return { label: p.label, index: p.index, confidence: p.confidence, unknownShare, score: scopeScore(inScopeConfidence, unknownShare), scope };
}

const SALT_AUDIT = 0x3c6ef372;

/**
 * A uniform draw in [0, 1) for request `id`: a hash, not a PRNG stream, so the decision for a
 * request does not depend on how many requests came before it or in which order they were routed
 * (concurrent gateways, replays and restarts agree).
 */
export function auditDraw(seed: number, id: number): number {
  const low = id >>> 0;
  const high = Math.floor(id / 4294967296) >>> 0;
  return fmix32(fmix32(low ^ fmix32((seed ^ SALT_AUDIT) >>> 0)) ^ high) / 4294967296;
}

export class Router<S extends Specialist = Specialist> {
  #specialist: S | null = null;
  #threshold: number | null = null;
  /** Fitted scope cut: above this unknown share the text is out of scope (null: only out_of_scope_max). */
  #scopeCut: number | null = null;
  #next = 0;

  constructor(readonly settings: RouterSettings) {}

  get specialist(): S | null {
    return this.#specialist;
  }

  get threshold(): number | null {
    return this.#threshold;
  }

  /** Installs a model version with its threshold (null: the specialist must not answer yet). */
  setSpecialist(specialist: S | null, threshold: number | null): void {
    this.#specialist = specialist;
    this.#threshold = specialist === null ? null : threshold;
  }

  setThreshold(threshold: number | null): void {
    this.#threshold = this.#specialist === null ? null : threshold;
  }

  /** The unknown share above which a text is out of scope: out_of_scope_max, or the cut fitted on the holdout when lower. */
  get unknownShareCut(): number {
    return Math.min(this.settings.routing.out_of_scope_max, this.#scopeCut ?? Infinity);
  }

  /** The unknown-share cut fitted on the holdout (see fitScopeCut in holdout-scores.ts); null: none. */
  get scopeCut(): number | null {
    return this.#scopeCut;
  }

  setScopeCut(cut: number | null): void {
    this.#scopeCut = cut;
  }

  /**
   * Routes one request. `id` identifies it for the audit draw; by default requests are numbered
   * 0, 1, 2… in the order they are routed.
   */
  route(text: string, id: number = this.#next++): RouteDecision {
    const d = this.decide(text);
    d.audit = d.decision === "specialist" && auditDraw(this.settings.seed, id) < this.settings.routing.audit_rate;
    return d;
  }

  /**
   * What route() would decide for this text, without numbering a request or drawing an audit
   * (`audit` is false): explaining a decision must not shift which later requests get audited.
   */
  decide(text: string): RouteDecision & { reason: Exclude<RouteReason, "forced"> } {
    const specialist = this.#specialist;
    if (specialist === null) return { decision: "teacher", reason: "no_specialist", audit: false };
    if (this.#threshold === null) return { decision: "teacher", reason: "no_threshold", audit: false };
    return this.decideFrom(assess(specialist, text, this.settings));
  }

  /** decide() for a text already assessed by the live specialist (null: there is none). */
  decideFrom(a: Assessment | null): RouteDecision & { reason: Exclude<RouteReason, "forced"> } {
    if (a === null || this.#specialist === null) return { decision: "teacher", reason: "no_specialist", audit: false };
    if (this.#threshold === null) return { decision: "teacher", reason: "no_threshold", audit: false };
    // assess() applied out_of_scope_max; an in-scope text past the fitted cut is out of scope too.
    const scope = a.scope === "in_scope" && a.unknownShare > this.unknownShareCut ? "out_of_scope" : a.scope;
    const reason = scope !== "in_scope" ? scope : isCovered(a.confidence, this.#threshold) ? "confident" : "below_threshold";
    const decision = reason === "confident" ? "specialist" : "teacher";
    return { decision, reason, prediction: a.label, confidence: a.confidence, unknownShare: a.unknownShare, scopeScore: a.score, audit: false };
  }

  /**
   * A route the caller chose. A forced specialist answer is never audited: the live audit
   * measures the error of answers the threshold let through, and forced ones bypass it.
   * Returns null when the specialist is asked for but none is trained yet.
   */
  force(text: string, decision: "specialist" | "teacher"): RouteDecision | null {
    const specialist = this.#specialist;
    if (specialist === null) return decision === "teacher" ? { decision, reason: "forced", audit: false } : null;
    const a = assess(specialist, text, this.settings);
    return { decision, reason: "forced", prediction: a.label, confidence: a.confidence, unknownShare: a.unknownShare, scopeScore: a.score, audit: false };
  }
}
