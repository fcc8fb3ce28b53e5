// The online learner: routes each request to the specialist or the teacher, keeps the teacher's
// answers as examples, retrains the specialist as examples pile up, and keeps the live audit.
//
// Held-out evidence. Every example is assigned to the holdout by a hash of its text (probability
// holdout_fraction before the specialist answers, answeringHoldoutShare once it does), except
// audited examples, which are always held out: they are the only labels that still arrive from
// the region the specialist answers (everything it is confident about stops reaching the teacher
// once it answers), so they are exactly the evidence the threshold needs, and the model, already
// confident there, has little to learn from them. The holdout is never trained on. Its mix still
// over-represents the hard texts the specialist passes on (held out at twice the audit rate at the
// defaults), which tends to make the measured error of a high-confidence slice pessimistic rather
// than optimistic, and the measured coverage lower than the live one (simulation.ts measures the
// live error directly).
//
// Thresholds are chosen when a version is promoted (or restored), and for the same version again
// only after a live-audit alarm. Each choice on new evidence is a look that spends part of the
// version's error budget (lookLevel): choosing again every few dozen held-out examples during the
// cold start, as this once did, got the first threshold a little earlier by testing the same version
// over and over at the full level, which lets a version that misses the target through far more
// often than the stated 1 − confidence_level. Without those looks the stream's teacher share rose
// by about half a point on six validation orders (48.4% against 47.9%, 50.7% against 50.1%).
//
// Shift. The threshold is proven on a holdout drawn from the traffic so far; traffic that departs
// from it (an intent arriving in a burst) is met by the shift guard (a label the live version
// lacks) and the surge guard (surge-guard.ts: a mix of predicted answers unlike the earlier
// traffic's), both of which only send more requests to the teacher. The answer holds
// (answer-holds.ts) catch what neither sees: the audits of one answer proving it wrong, which sends
// that answer's requests to the teacher until a new version.
import type { TextClassifier } from "../engine/classifier.js";
import { TrainingError, type TrainOptions } from "../engine/train.js";
import type { Task } from "../task/definition.js";
import type { FewShotExample, Teacher, TeacherAnswer } from "../teacher/types.js";
import { isHoldoutText, MemoryExampleStore, type ExampleCause, type ExampleStore, type StoredExample } from "./example-store.js";
import { fitScopeCut, scopeUnderCut, scoreHoldout, worseBeyondChance, type HoldoutScores, type LabelledText } from "./holdout-scores.js";
import { AnswerHolds } from "./answer-holds.js";
import { LiveAudit } from "./live-audit.js";
import { answeringHoldoutShare, DEFAULT_RETRAIN_GROWTH, retrainInterval, SHIFT_GUARD_REQUESTS, SHIFT_RETRAIN_EXAMPLES, tightenedTarget, YOUNG_LABEL_EXAMPLES } from "./policy.js";
import { Router, type RouteDecision, type RouteMode } from "./router.js";
import { classifierKind, type Specialist, type SpecialistKind } from "./specialist-kind.js";
import { SurgeGuard } from "./surge-guard.js";
import { chooseThreshold, keptThreshold, lookLevel, type ThresholdChoice } from "./threshold.js";

/** What the cascade reads of a task: any kind of task has these. */
export type CascadeTask = Pick<Task, "name" | "routing" | "training" | "teacher">;

export interface CascadeOptions<S extends Specialist = TextClassifier, T extends CascadeTask = Task> {
  task: T;
  /** How specialists are trained and what answers exist; default: a label task's (classifierKind), which then needs a Task. */
  kind?: SpecialistKind<S>;
  teacher: Teacher;
  /** Default: a fresh in-memory store. */
  store?: ExampleStore;
  /** Passed to the kind's train (its classifiers); the seed defaults to the task's training.seed. */
  trainOptions?: Partial<Omit<TrainOptions, "onProgress">>;
  /** Retrain inside handle() as soon as one is due (default true). Off: call retrainDue()/retrain() yourself. */
  autoRetrain?: boolean;
  /** See retrainInterval (default 0.1). */
  retrainGrowth?: number;
  /** Ratio of the threshold's candidate grid (default 1.25). */
  gridRatio?: number;
  onRetrain?: (report: RetrainReport) => void;
}

export interface HandleOptions {
  gold?: string;
  route?: RouteMode;
  /**
   * Asked before each teacher call. A refusal (rejection) of the call that would answer the
   * request rejects handle() with the gate's error; a refused audit is skipped (the specialist's
   * answer stands, unaudited).
   */
  gate?: TeacherGate;
  /** Whether the teacher's answers to this request become examples (default true); audits are measured either way. */
  learn?: boolean;
  /** Recorded with the examples this request adds (ExampleStore implementations may keep it). */
  cause?: ExampleCause;
  /**
   * This request's own teacher, instead of the cascade's: a captured call's teacher is the
   * upstream LLM's answer to that very call. `purpose` as in TeacherGate.
   */
  ask?: AskTeacher;
  /**
   * Shadow mode: the router decides as it would (audit draw included), but the teacher answers
   * every request, and the specialist's would-be answer is compared with it (CascadeAnswer.shadow).
   * A would-be answer drawn for an audit is counted as the live audit would count it, so a shadow
   * run and a served run of the same traffic take the same decisions.
   */
  shadow?: boolean;
}

export type AskTeacher = (text: string, purpose: "answer" | "audit") => Promise<TeacherAnswer>;

/**
 * Admits a teacher call (resolving with what to call once its cost is known) or refuses it
 * (rejecting). `purpose`: `answer`, the teacher answers the request; `audit`, it checks the
 * specialist's answer.
 */
export type TeacherGate = (purpose: "answer" | "audit") => Promise<(cost: number) => void>;

export class NoSpecialistError extends Error {
  override name = "NoSpecialistError";
}

export interface CascadeAnswer {
  /** The answer; null when the teacher was asked and failed. */
  label: string | null;
  source: "specialist" | "teacher";
  route: RouteDecision;
  /** The model version that routed the request (0: none yet). */
  version: number;
  /** The specialist answered and the teacher was asked as well. */
  audited: boolean;
  /** Audits only: whether the teacher agreed (absent when the teacher failed). */
  agreed?: boolean;
  /** The teacher's answer, whenever it was asked. */
  teacher?: TeacherAnswer;
  /** Teacher-routed and the teacher failed: there is no answer. */
  failed: boolean;
  /**
   * Teacher-routed, the teacher failed, and the task's `teacher.on_failure: "specialist"` let the
   * specialist's prediction stand in (source "specialist"; not an example, not an audit).
   */
  degraded?: boolean;
  /** Teacher cost of this request (audits included). */
  cost: number;
  /**
   * Shadow mode, when the router would have let the specialist answer: its label, and whether
   * the teacher's answer agreed (absent when the teacher failed).
   */
  shadow?: { label: string; agreed?: boolean };
}

export interface RetrainReport {
  /** The candidate became the live version. */
  promoted: boolean;
  /** Live version after this retrain (0: still none). */
  version: number;
  trainExamples: number;
  holdoutExamples: number;
  /** Candidate's accuracy on the holdout vs its reference labels (null: training was impossible). */
  candidateAccuracy: number | null;
  /** The previous live version's accuracy on the same holdout (null: there was none). */
  currentAccuracy: number | null;
  /** Threshold of the live version after this retrain. */
  threshold: ThresholdChoice | null;
  seconds: number;
  reason: string;
}

export interface CascadeStats {
  requests: number;
  /** Every call to the teacher: routed requests and audits. */
  teacher_calls: number;
  /** Teacher calls that gave no valid label (never examples). */
  teacher_failures: number;
  specialist_answers: number;
  /** Teacher-routed requests the specialist answered because the teacher failed (on_failure: specialist). */
  degraded_answers: number;
  audits: number;
  /** Audits where the teacher's label differed from the specialist's. */
  disagreements: number;
  /** Shadow requests the router would have let the specialist answer, and how many of those the teacher answered differently. */
  shadow_answers: number;
  shadow_disagreements: number;
  /** Audit alarms that tightened the threshold. */
  tightenings: number;
  /** Requests the threshold let through that went to the teacher because an answer group was surging in the traffic (surge-guard.ts). */
  surge_diversions: number;
  /** The answer groups surging in the recent traffic now (while any is, the threshold lets nothing through). */
  surging: string[];
  /** Requests the threshold let through that went to the teacher because the live audits proved their answer group wrong (answer-holds.ts). */
  held_diversions: number;
  /** The answer groups the live version's audits proved wrong: the teacher answers their requests until a new version. */
  held: string[];
  examples: number;
  holdout_examples: number;
  human_labels: number;
  /** Live model version (0: none). */
  version: number;
  /** Versions promoted so far. */
  versions: number;
  /** Trained candidates not promoted because they were worse on the holdout. */
  rejected_versions: number;
  retrains: number;
  threshold: number | null;
  threshold_reason: string;
  /** specialist_answers / requests. */
  coverage: number;
  /** Teacher cost so far, in the task's currency. */
  cost: number;
  /** Requests handled with a gold label, and how many of their answers matched it. */
  gold_requests: number;
  gold_correct: number;
}

/** A retrain's training half, from prepareRetrain(): train `examples` with `trainOptions` anywhere. */
export interface PreparedRetrain {
  /** The training set: the non-holdout examples when it was prepared. */
  readonly examples: readonly LabelledText[];
  readonly trainOptions: Partial<Omit<TrainOptions, "onProgress">>;
  /** performance.now() when prepared (the report's seconds include training). */
  readonly started: number;
  /** Bookkeeping to put back if the retrain is abandoned. */
  readonly changes: number;
  readonly trainedOnce: boolean;
  readonly requested: boolean;
}

/** A label the live version learned from few examples: how many, how many new training examples since, and at how many the next retrain is due. */
interface YoungLabel {
  trained: number;
  since: number;
  due: number;
}

type Counters = Omit<CascadeStats, "examples" | "holdout_examples" | "version" | "threshold" | "threshold_reason" | "coverage" | "surging" | "held">;

/** What training a prepared retrain gave: a candidate model, or the error it threw. */
export type RetrainOutcome<S extends Specialist = TextClassifier> = { candidate: S } | { error: unknown };

export class Cascade<S extends Specialist = TextClassifier, T extends CascadeTask = Task> {
  readonly task: T;
  readonly kind: SpecialistKind<S>;
  readonly teacher: Teacher;
  readonly store: ExampleStore;
  readonly router: Router<S>;
  readonly audit = new LiveAudit();
  /** Whether an answer is "none of these" (SpecialistKind.isNone): never when the task's answers have none. */
  readonly #isNone: (answer: string) => boolean;
  readonly #trainOptions: Partial<Omit<TrainOptions, "onProgress">>;
  readonly #autoRetrain: boolean;
  readonly #growth: number;
  readonly #gridRatio: number | undefined;
  readonly #onRetrain?: (report: RetrainReport) => void;
  #specialist: S | null = null;
  #version = 0;
  /** The live version's scores on the holdout as of the last retrain (what thresholds are chosen from). */
  #scores: HoldoutScores | null = null;
  #choice: ThresholdChoice | null = null;
  /** Audit alarms since the live threshold was chosen (see tightenedTarget). */
  #tightenLevel = 0;
  /** Whether the live version was trained on every part of an answer (the shift guard watches the teacher's answers for others). */
  #knows: (answer: string) => boolean = () => false;
  /** Training examples per label the live version lacks, since it was promoted. */
  #unknownLabelExamples = new Map<string, number>();
  /** Labels the live version learned from few examples (see #growYoung): examples it was trained on, and new training examples since. */
  #youngLabels = new Map<string, YoungLabel>();
  /** Shift guard: while requests < this, the specialist does not answer (0: no guard). */
  #shiftGuardUntil = 0;
  readonly #surge = new SurgeGuard();
  readonly #holds: AnswerHolds;
  /** Looks at the live version's evidence so far: each spends its share of the error budget (see lookLevel). */
  #looks = 0;
  /** The scores of the live version's last look (null: none yet), and the level it was tested at. */
  #lookedOn: HoldoutScores | null = null;
  #lookLevel = 0;
  /**
   * Whether the live threshold was kept from a look made on other evidence (restore): the scores
   * in #lookedOn were then never tested, so no threshold may be chosen on them at the old look's level.
   */
  #keptFromEarlierLook = false;
  /** An audit alarm or a new label asked for a retrain before the usual interval. */
  #retrainRequested = false;
  #changesSinceTrain = 0;
  #trainedOnce = false;
  #holdoutCount = 0;
  #fewShot: FewShotExample[] = [];
  /** The prepared retrain not yet accepted or abandoned. */
  #outstanding: PreparedRetrain | null = null;
  #c: Counters = {
    requests: 0,
    teacher_calls: 0,
    teacher_failures: 0,
    specialist_answers: 0,
    degraded_answers: 0,
    audits: 0,
    disagreements: 0,
    shadow_answers: 0,
    shadow_disagreements: 0,
    tightenings: 0,
    surge_diversions: 0,
    held_diversions: 0,
    human_labels: 0,
    versions: 0,
    rejected_versions: 0,
    retrains: 0,
    cost: 0,
    gold_requests: 0,
    gold_correct: 0,
  };

  constructor(options: CascadeOptions<S, T>) {
    this.task = options.task;
    this.teacher = options.teacher;
    this.store = options.store ?? new MemoryExampleStore();
    // A label task's kind unless told otherwise (a Task is what a label task is).
    this.kind = options.kind ?? (classifierKind(this.task as unknown as Task) as unknown as SpecialistKind<S>);
    this.#isNone = this.kind.isNone ?? (() => false);
    this.#trainOptions = { seed: this.task.training.seed, ...options.trainOptions };
    this.#autoRetrain = options.autoRetrain ?? true;
    this.#growth = options.retrainGrowth ?? DEFAULT_RETRAIN_GROWTH;
    this.#gridRatio = options.gridRatio;
    this.#onRetrain = options.onRetrain;
    this.#holds = new AnswerHolds(this.kind.groups, this.task.routing.max_error, this.task.routing.confidence_level);
    this.router = new Router({ routing: this.task.routing, ...(this.kind.isNone === undefined ? {} : { isNone: this.kind.isNone }), seed: this.task.training.seed });
    for (const e of this.store.values()) if (e.holdout) this.#holdoutCount++;
  }

  get specialist(): S | null {
    return this.#specialist;
  }

  get version(): number {
    return this.#version;
  }

  /** Threshold choices the live version has had on new evidence, those before a restore included (see lookLevel). */
  get looks(): number {
    return this.#looks;
  }

  /** The live threshold and why (null before the first model). */
  get thresholdChoice(): ThresholdChoice | null {
    return this.#choice;
  }

  /**
   * Answers one request. `gold`, when known (simulations), only feeds the accuracy in stats().
   * `route` other than auto forces the choice (NoSpecialistError if the specialist is asked for
   * before one is trained).
   */
  async handle(text: string, options: HandleOptions = {}): Promise<CascadeAnswer> {
    const { gold, route: mode = "auto", gate, learn = true, cause, ask, shadow = false } = options;
    if (this.#shiftGuardUntil !== 0 && this.#c.requests >= this.#shiftGuardUntil) this.#endShiftGuard();
    const routed = mode === "auto" ? this.router.route(text) : this.router.force(text, mode);
    if (routed === null) throw new NoSpecialistError(`task "${this.task.name}" has no specialist yet: it trains once ${this.task.training.min_examples} examples are stored`);
    const route = mode === "auto" ? this.#guard(routed) : routed;
    const teacherAnswers = shadow || route.decision === "teacher";
    // Refused before anything is counted: the request is not handled.
    const settleAnswer = teacherAnswers && gate !== undefined ? await gate("answer") : undefined;
    this.#c.requests++;
    const version = this.#version;
    let answer: CascadeAnswer;
    if (shadow) {
      answer = await this.#shadow(text, route, version, ask, settleAnswer, learn, cause);
    } else if (route.decision === "teacher") {
      const t = await this.#ask(text, "answer", ask);
      settleAnswer?.(t.cost);
      const ok = t.status === "ok" && t.label !== null;
      if (ok && learn) this.#addTeacherExample(text, t.label!, false, cause);
      const fallback = ok || mode === "teacher" ? null : this.#fallback(text, route);
      if (fallback !== null) {
        // Never an example (the label is the specialist's own guess) nor an audit.
        this.#c.degraded_answers++;
        answer = { label: fallback.prediction!, source: "specialist", route: fallback, version, audited: false, teacher: t, failed: false, degraded: true, cost: t.cost };
      } else {
        answer = { label: ok ? t.label : null, source: "teacher", route, version, audited: false, teacher: t, failed: !ok, cost: t.cost };
      }
    } else {
      this.#c.specialist_answers++;
      const label = route.prediction!;
      // A refused audit (a spent budget, say) is skipped: the specialist's answer stands.
      const settleAudit = route.audit && gate !== undefined ? await gate("audit").catch(() => null) : undefined;
      const audited = route.audit && settleAudit !== null;
      answer = { label, source: "specialist", route, version, audited, failed: false, cost: 0 };
      if (audited) {
        this.#c.audits++;
        const t = await this.#ask(text, "audit", ask);
        settleAudit?.(t.cost);
        answer.teacher = t;
        answer.cost = t.cost;
        if (t.status === "ok" && t.label !== null) {
          answer.agreed = this.#audited(text, label, t.label, version, learn, cause);
        }
      }
    }
    if (gold !== undefined) {
      this.#c.gold_requests++;
      if (answer.label === gold) this.#c.gold_correct++;
    }
    this.#maybeRetrain();
    return answer;
  }

  /**
   * Counts an auto-routed request's predicted answer group in the surge guard's window (in scope,
   * whatever the threshold made of it), and sends it to the teacher when its answer is on hold or
   * while any group is surging.
   */
  #guard(route: RouteDecision): RouteDecision {
    if (!this.#countInSurgeGuard(route)) return route;
    const guarded = this.guarded(route);
    if (guarded.reason === "held") this.#c.held_diversions++;
    else if (guarded.reason === "surge") this.#c.surge_diversions++;
    return guarded;
  }

  /** Counts a decision's predicted group in the surge guard when it is one the guard watches (in scope, threshold or not). */
  #countInSurgeGuard(route: RouteDecision): boolean {
    if (route.prediction === undefined || (route.reason !== "confident" && route.reason !== "below_threshold")) return false;
    this.#surge.observe(this.kind.group(route.prediction));
    return true;
  }

  /**
   * Fills the surge guard with earlier traffic (oldest first), as the live version reads it: a
   * gateway that restarts, or a worker that starts, would otherwise compare new traffic with
   * nothing until SURGE_WINDOW requests had passed through it. Nothing else changes: no request is
   * counted, no audit drawn.
   */
  primeSurgeGuard(texts: Iterable<string>): void {
    for (const text of texts) this.#countInSurgeGuard(this.router.decide(text));
  }

  /**
   * Counts earlier audits of the live version (the request log's, after a restart or in a new
   * worker) in its answer holds, as live audits are counted: `label` the specialist's answer,
   * `teacher_label` the teacher's. The whole audit is not replayed: a restored version's starts
   * over (see restore).
   */
  primeAnswerHolds(pairs: Iterable<{ label: string; teacher_label: string; count: number }>): void {
    for (const p of pairs) if (this.kind.isAnswer(p.label)) this.#holds.record(this.kind.group(p.label), p.count, p.label === p.teacher_label ? 0 : p.count);
  }

  /**
   * A decision as the answer holds and the surge guard leave it now (also what `/explain` shows):
   * the teacher answers what the threshold lets through when its answer group is on hold, or while
   * any group surges.
   */
  guarded<R extends RouteDecision>(route: R): R {
    if (route.decision !== "specialist") return route;
    // The group only when something is held: a structured answer's is a parse away.
    if (this.#holds.held.size > 0 && this.#holds.isHeld(this.kind.group(route.prediction!))) return { ...route, decision: "teacher", reason: "held", audit: false };
    return this.#surge.active ? { ...route, decision: "teacher", reason: "surge", audit: false } : route;
  }

  /** A shadow request (HandleOptions.shadow): the teacher answers, the specialist's would-be answer is compared. */
  async #shadow(text: string, route: RouteDecision, version: number, ask: AskTeacher | undefined, settle: ((cost: number) => void) | undefined, learn: boolean, cause: ExampleCause | undefined): Promise<CascadeAnswer> {
    const t = await this.#ask(text, "answer", ask);
    settle?.(t.cost);
    const ok = t.status === "ok" && t.label !== null;
    const answer: CascadeAnswer = { label: ok ? t.label : null, source: "teacher", route, version, audited: false, teacher: t, failed: !ok, cost: t.cost };
    const wouldAnswer = route.decision === "specialist";
    if (wouldAnswer) {
      this.#c.shadow_answers++;
      answer.shadow = { label: route.prediction! };
    }
    if (!ok) return answer;
    if (!wouldAnswer) {
      if (learn) this.#addTeacherExample(text, t.label!, false, cause);
      return answer;
    }
    const agreed = t.label === route.prediction;
    answer.shadow!.agreed = agreed;
    if (!agreed) this.#c.shadow_disagreements++;
    if (route.audit) {
      // Drawn for an audit: counted as serving would count it.
      this.#c.audits++;
      answer.audited = true;
      answer.agreed = this.#audited(text, route.prediction!, t.label!, version, learn, cause);
    } else if (learn) {
      this.#addTeacherExample(text, t.label!, false, cause);
    }
    return answer;
  }

  /** The teacher's answer to an audit of `label`: counted, learned from, and fed to the live audit; returns whether they agree. */
  #audited(text: string, label: string, teacherLabel: string, version: number, learn: boolean, cause: ExampleCause | undefined): boolean {
    const agreed = teacherLabel === label;
    if (!agreed) this.#c.disagreements++;
    if (learn) this.#addTeacherExample(text, teacherLabel, true, cause);
    // A version promoted while the teacher was answering is not the one audited.
    if (version === this.#version) {
      this.#holds.record(this.kind.group(label), 1, agreed ? 0 : 1);
      this.#recordAudit(agreed);
    }
    return agreed;
  }

  /** A person's label: it replaces the teacher's for the same text and is never replaced by it. */
  addHumanLabel(text: string, label: string): void {
    // A person may answer "none of these" too.
    if (!this.kind.isAnswer(label)) throw new RangeError(`addHumanLabel: "${label}" is not one of the task's labels`);
    const existing = this.store.get(text);
    if (existing?.source === "human" && existing.label === label) return;
    this.#c.human_labels++;
    this.#put(text, label, "human", existing?.audited ?? false, existing?.holdout);
    // Few-shot examples for the teacher come from people only: showing the teacher its own
    // answers back would only reinforce its mistakes.
    const shown = this.#fewShot.find((e) => e.text === text);
    if (shown) shown.label = label;
    else if (this.#fewShot.length < this.task.teacher.few_shot) this.#fewShot.push({ text, label });
    this.#maybeRetrain();
  }

  /**
   * An example as someone else stored it (another gateway instance over the same database): kept
   * exactly as stored, side included, since the store already applied the rule of which label
   * wins. With `counts`, a new text or a changed label counts toward the next retrain, as the
   * instance that received it counts it: each instance sees every instance's examples, and the one
   * holding the task's retrain lease trains on them (see trainedElsewhere).
   */
  adoptExample(example: StoredExample, counts: boolean): void {
    const existing = this.store.get(example.text);
    if (example.holdout && existing === undefined) this.#holdoutCount++;
    if (counts && (existing === undefined || existing.label !== example.label || existing.source !== example.source)) this.#changesSinceTrain++;
    this.store.put(example);
  }

  /**
   * Forgets an example (an operator deleted it, here or on another instance): the next retrain
   * neither trains nor evaluates on it, and the teacher is no longer shown it as a few-shot
   * example. The live threshold, chosen on the holdout of the last retrain, stays until the next
   * one. With `counts`, the deletion counts toward that retrain like a new example. Returns
   * whether the text was stored.
   */
  removeExample(text: string, counts: boolean): boolean {
    const existing = this.store.get(text);
    // Even for a text not held here: a store backed by a database may hold it.
    this.store.delete(text);
    if (existing === undefined) return false;
    if (existing.holdout) this.#holdoutCount--;
    const shown = this.#fewShot.findIndex((e) => e.text === text);
    if (shown !== -1) this.#fewShot.splice(shown, 1);
    if (counts) this.#changesSinceTrain++;
    return true;
  }

  /**
   * Another instance finished a retrain on the examples counted so far: they no longer make one
   * due here. Not while a retrain of this cascade is outstanding (its own settlement counts).
   */
  trainedElsewhere(): void {
    if (this.#outstanding !== null) return;
    this.#trainedOnce = true;
    this.#changesSinceTrain = 0;
    this.#retrainRequested = false;
  }

  /** Whether enough new examples arrived for a retrain (min_examples reached, then the interval). */
  retrainDue(): boolean {
    const size = this.store.size;
    if (size < this.task.training.min_examples) return false;
    if (!this.#trainedOnce || this.#retrainRequested) return true;
    return this.#changesSinceTrain >= retrainInterval(size, this.task.training.retrain_every, this.#growth);
  }

  /**
   * Trains a candidate on the non-holdout examples, compares it with the live version on the
   * holdout and promotes it if it is not worse (the first model always is); then chooses the live
   * version's threshold on the holdout. Synchronous: seconds on ~10k examples. The same as
   * prepareRetrain(), the kind's train and acceptCandidate() (trainingFailed() if training is
   * impossible); throws if a prepared retrain is still outstanding.
   */
  retrain(): RetrainReport {
    const prepared = this.prepareRetrain();
    if (prepared === null) throw new Error("retrain: a prepared retrain is still outstanding (accept or abandon it first)");
    let outcome: RetrainOutcome<S>;
    try {
      outcome = { candidate: this.kind.train(prepared.examples, prepared.trainOptions) };
    } catch (error) {
      outcome = { error };
    }
    return this.settleRetrain(prepared, outcome);
  }

  /**
   * Ends a prepared retrain with what training gave: a candidate is compared and maybe promoted
   * (acceptCandidate); a TrainingError (too few examples, one label…) is reported and changes
   * nothing; any other error abandons the retrain (it is due again) and is rethrown.
   */
  settleRetrain(prepared: PreparedRetrain, outcome: RetrainOutcome<S>): RetrainReport {
    if ("candidate" in outcome) return this.acceptCandidate(outcome.candidate, prepared);
    if (outcome.error instanceof TrainingError) return this.#trainingFailed(prepared, outcome.error);
    this.abandonRetrain(prepared);
    throw outcome.error;
  }

  /**
   * The first half of a retrain, for training elsewhere (a worker thread): a snapshot of the
   * training set (the non-holdout examples) and the options to train it with. It counts as the
   * retrain for retrainDue(): examples arriving while the candidate trains count toward the next
   * one. Finish with settleRetrain() (or acceptCandidate() / abandonRetrain() directly). Null while another
   * prepared retrain is outstanding (two retrains never overlap).
   */
  prepareRetrain(): PreparedRetrain | null {
    if (this.#outstanding !== null) return null;
    const prepared: PreparedRetrain = {
      examples: this.#examples({ holdout: false }),
      trainOptions: { ...this.#trainOptions },
      started: performance.now(),
      changes: this.#changesSinceTrain,
      trainedOnce: this.#trainedOnce,
      requested: this.#retrainRequested,
    };
    this.#c.retrains++;
    this.#trainedOnce = true;
    this.#changesSinceTrain = 0;
    this.#retrainRequested = false;
    this.#outstanding = prepared;
    return prepared;
  }

  /**
   * The second half of a retrain: compares `candidate` (trained on `prepared.examples`) with the
   * live version on the current holdout (held-out examples that arrived while it trained are
   * never in its training set), promotes it if it is not worse and chooses the live threshold.
   */
  acceptCandidate(candidate: S, prepared: PreparedRetrain): RetrainReport {
    this.#finish(prepared);
    const holdout = this.#holdout();
    const base = { trainExamples: prepared.examples.length, holdoutExamples: holdout.length };
    const settings = this.router.settings;
    const candidateScores = scoreHoldout(candidate, holdout, settings);
    const currentScores = this.#specialist === null ? null : scoreHoldout(this.#specialist, holdout, settings);
    // A candidate that learned labels the live version lacks is judged on accuracy alone: keeping
    // the live one would keep answering those labels' texts wrong (cost 0.4 pt on a validation
    // stream with new labels halfway).
    const learnsNew = [...this.#unknownLabelExamples.keys()].some(this.kind.knows(candidate));
    // The live version's threshold is the one it holds: proving it again on the grown holdout would be another look.
    const losesThreshold = currentScores !== null && !learnsNew && (this.#choice?.threshold ?? null) !== null && this.#proven(candidateScores) === null;
    // A candidate that knows more than the live version (labels it lacks, or more examples of labels
    // it learned from a few) only has to be no worse beyond chance: on a holdout made mostly of older
    // labels it often trails by a hair, and keeping the live version kept answering the new labels'
    // texts as their neighbours (a label-sorted validation stream rejected 69 of 147 candidates and
    // ended 3.1 points under teacher-only; with this rule 4 and 2.5 points).
    const knowsMore = learnsNew || this.#youngLabels.size > 0;
    const notWorse =
      currentScores === null || candidateScores.accuracy >= currentScores.accuracy || (knowsMore && !worseBeyondChance(candidateScores, currentScores));
    const promoted = currentScores === null || (notWorse && !losesThreshold);
    const accuracies = { candidateAccuracy: candidateScores.accuracy, currentAccuracy: currentScores?.accuracy ?? null };
    const tightened = this.#tightenLevel !== 0;
    // A retrain ends any tightening: its threshold is chosen on a holdout that now includes the
    // audited examples that raised the alarm.
    this.#tightenLevel = 0;
    if (promoted) {
      this.#install(candidate, candidateScores);
      this.#version++;
      this.#c.versions++;
      this.audit.reset();
      this.#holds.reset();
      this.#learnedLabels(candidate);
      this.#applyThreshold();
    } else {
      this.#c.rejected_versions++;
      // The live version keeps the threshold it holds. After an alarm it looks again, on a holdout
      // that now holds the audited disagreements (a later look, at a smaller share of α).
      if (tightened) {
        this.#scores = currentScores;
        this.#applyThreshold();
      }
    }
    const reason = promoted
      ? currentScores === null
        ? "first model"
        : candidateScores.accuracy >= currentScores.accuracy
          ? `holdout accuracy ${pct(candidateScores.accuracy)} ≥ live version's ${pct(currentScores.accuracy)}`
          : `knows labels the live version lacks or learned from a few examples; holdout accuracy ${pct(candidateScores.accuracy)} against ${pct(currentScores.accuracy)}, not worse beyond chance`
      : losesThreshold
        ? `kept version ${this.#version}: the candidate proves no threshold on the holdout, the live version holds one`
        : `kept version ${this.#version}: candidate's holdout accuracy ${pct(candidateScores.accuracy)} < ${pct(currentScores!.accuracy)}${knowsMore ? ", worse beyond chance" : ""}`;
    return this.#report(prepared.started, { ...base, promoted, ...accuracies, reason });
  }

  /** Ends a prepared retrain whose training was impossible (a TrainingError): nothing changes but the report. */
  #trainingFailed(prepared: PreparedRetrain, err: TrainingError): RetrainReport {
    this.#finish(prepared);
    const base = { trainExamples: prepared.examples.length, holdoutExamples: this.#holdoutCount };
    return this.#report(prepared.started, { ...base, promoted: false, candidateAccuracy: null, currentAccuracy: null, reason: `not trained: ${err.message}` });
  }

  /** Forgets a prepared retrain that could not finish (the worker crashed): the retrain is due again as before it. */
  abandonRetrain(prepared: PreparedRetrain): void {
    this.#finish(prepared);
    this.#c.retrains--;
    this.#trainedOnce = prepared.trainedOnce;
    this.#retrainRequested ||= prepared.requested;
    this.#changesSinceTrain += prepared.changes;
  }

  /**
   * Installs a model saved earlier (e.g. the store's promoted version after a restart) as the live
   * version `version`, as if it had been promoted here: later promotions continue from `version`.
   * Its holdout scores are computed on the current holdout, the live audit starts over, and no
   * retrain is due until the usual interval of new examples has passed. `looks`: the threshold
   * choices the version has had (stored with it). With `threshold`, the one its latest look chose,
   * the version keeps it, as a live version keeps the threshold it holds: serving the same version
   * in another process or after a restart is not a new look. Without it, its threshold is chosen
   * again, as the next look, at its smaller share of the error budget (see lookLevel). With
   * `scopeCut` too (the unknown-share cut that look chose it under, 1 for none; the store keeps it
   * with the threshold), the kept threshold is served with that cut: its bound covers the texts
   * that cut lets through, not those of a cut fitted again on the holdout as it is now. Without it
   * (a version stored before cuts were kept), the cut is fitted on the current holdout.
   */
  restore(model: S, version: number, looks = 0, threshold?: number | null, scopeCut?: number): void {
    if (!Number.isInteger(version) || version < 1) throw new RangeError(`restore: version must be a positive integer, got ${version}`);
    if (!Number.isInteger(looks) || looks < 0) throw new RangeError(`restore: looks must be an integer ≥ 0, got ${looks}`);
    if (threshold !== undefined && looks < 1) throw new RangeError("restore: a kept threshold needs the look that chose it (looks ≥ 1)");
    if (scopeCut !== undefined && (threshold === undefined || !(scopeCut >= 0 && scopeCut <= 1))) throw new RangeError(`restore: a kept scope cut must be in [0, 1] and come with its threshold, got ${scopeCut}`);
    if (this.#outstanding !== null) throw new Error("restore: a prepared retrain is outstanding");
    this.#install(model, scoreHoldout(model, this.#holdout(), this.router.settings));
    this.#looks = looks;
    this.#version = version;
    this.audit.reset();
    this.#holds.reset();
    this.#learnedLabels(model);
    this.#tightenLevel = 0;
    this.#trainedOnce = true;
    this.#changesSinceTrain = 0;
    this.#applyThreshold(threshold === undefined ? undefined : { threshold, ...(scopeCut === undefined ? {} : { scopeCut }) });
  }

  stats(): CascadeStats {
    const c = this.#c;
    return {
      ...c,
      surging: [...this.#surge.surging],
      held: [...this.#holds.held],
      examples: this.store.size,
      holdout_examples: this.#holdoutCount,
      version: this.#version,
      threshold: this.router.threshold,
      threshold_reason: this.#choice?.reason ?? "no specialist yet",
      coverage: c.requests === 0 ? 0 : c.specialist_answers / c.requests,
    };
  }

  /**
   * The specialist's prediction standing in for a failed teacher (the route, with the prediction
   * filled in when the router had no reason to compute one), or null when the task's policy is
   * `fail` or there is no specialist.
   */
  #fallback(text: string, route: RouteDecision): RouteDecision | null {
    if (this.task.teacher.on_failure !== "specialist" || this.#specialist === null) return null;
    if (route.prediction !== undefined) return route;
    const forced = this.router.force(text, "specialist");
    return forced === null ? null : { ...forced, reason: route.reason };
  }

  async #ask(text: string, purpose: "answer" | "audit", ask: AskTeacher | undefined): Promise<TeacherAnswer> {
    this.#c.teacher_calls++;
    const t = ask !== undefined ? await ask(text, purpose) : await this.teacher.classify(text, this.#fewShot.length > 0 ? { fewShot: this.#fewShot } : {});
    this.#c.cost += t.cost;
    if (t.status !== "ok" || t.label === null) this.#c.teacher_failures++;
    return t;
  }

  /** A teacher label becomes an example only for a text not yet stored (human labels win; the teacher is deterministic). */
  #addTeacherExample(text: string, label: string, audited: boolean, cause: ExampleCause | undefined): void {
    if (this.store.get(text) !== undefined) return;
    const held = this.#put(text, label, "teacher", audited, undefined, cause);
    if (this.#specialist === null) return;
    if (this.#knows(label)) {
      if (!held) this.#growYoung(label);
      return;
    }
    if (this.#isNone(label)) this.#firstNones(label, held);
    else this.#unknownLabel(label, held);
  }

  /**
   * The teacher said "none of these" and the live version has no none class yet. Not the shift
   * guard: none answers are no new intent the specialist would answer wrongly as a group (the
   * threshold, fitted with held-out none items counted as errors, already keeps the foreign ones
   * away), and at 10% of the traffic the guard would never lift. A retrain is due once
   * SHIFT_RETRAIN_EXAMPLES of them can be trained on, so the specialist learns a none class and
   * the router sends what it predicts as none to the teacher.
   */
  #firstNones(answer: string, heldOut: boolean): void {
    if (heldOut) return;
    // Counted under the first none answer since the promotion: a structured task's differ in
    // their other fields, and any one of them tells whether a candidate learned none (learnsNew).
    const key = [...this.#unknownLabelExamples.keys()].find(this.#isNone) ?? answer;
    const count = (this.#unknownLabelExamples.get(key) ?? 0) + 1;
    this.#unknownLabelExamples.set(key, count);
    if (count >= SHIFT_RETRAIN_EXAMPLES) this.#retrainRequested = true;
  }

  /**
   * The shift guard. The teacher just named a label the live version was never trained on: the
   * traffic may be bringing a new intent, whose inputs the specialist can only get wrong, often
   * confidently (a stream sorted by label lost 5 points of accuracy that way). The specialist stops
   * answering for the next SHIFT_GUARD_REQUESTS requests (each further such answer extends it), and
   * once the label has SHIFT_RETRAIN_EXAMPLES training examples a retrain is due at once; the
   * promotion of a version that knows it ends the guard. The threshold's guarantee is untouched:
   * the guard only sends more requests to the teacher.
   */
  #unknownLabel(label: string, heldOut: boolean): void {
    if (this.#shiftGuardUntil === 0) this.router.setThreshold(null);
    this.#shiftGuardUntil = this.#c.requests + SHIFT_GUARD_REQUESTS;
    if (heldOut) return;
    const count = (this.#unknownLabelExamples.get(label) ?? 0) + 1;
    this.#unknownLabelExamples.set(label, count);
    if (count >= SHIFT_RETRAIN_EXAMPLES) this.#retrainRequested = true;
  }

  /** A new live model and its holdout scores, not looked at yet. */
  #install(model: S, scores: HoldoutScores): void {
    this.#specialist = model;
    this.#scores = scores;
    this.#looks = 0;
    this.#lookedOn = null;
  }

  /**
   * A label the live version learned from only a few examples (it arrived as a new label, see
   * #unknownLabel) gets a retrain each time its training examples double, until it has
   * YOUNG_LABEL_EXAMPLES. In a stationary stream labels are young only near the start, when
   * retrains are frequent anyway.
   */
  #growYoung(label: string): void {
    const young = this.#youngLabels.get(label);
    if (young === undefined) return;
    young.since++;
    if (young.since < young.due) return;
    this.#retrainRequested = true;
    // Due again only when the examples double once more (a rejected candidate must not make every new example a retrain).
    young.due = young.since + Math.max(SHIFT_RETRAIN_EXAMPLES, young.trained + young.since);
  }

  #endShiftGuard(): void {
    this.#shiftGuardUntil = 0;
    this.router.setThreshold(this.#choice?.threshold ?? null);
  }

  /** A new live version: its labels are the known ones, and the shift guard ends with the version that raised it. */
  #learnedLabels(model: S): void {
    const knows = this.kind.knows(model);
    const young = new Map<string, YoungLabel>();
    const add = (label: string, trained: number) => {
      if (knows(label) && trained < YOUNG_LABEL_EXAMPLES) young.set(label, { trained, since: 0, due: Math.max(SHIFT_RETRAIN_EXAMPLES, trained) });
    };
    for (const [label, y] of this.#youngLabels) add(label, y.trained + y.since);
    // Only labels that arrived while the specialist answered: in a cold start every label is new
    // and retrains come often anyway (extra ones there cost teacher share on validation orders).
    if ((this.#choice?.threshold ?? null) !== null) for (const [label, count] of this.#unknownLabelExamples) add(label, count);
    this.#youngLabels = young;
    this.#knows = knows;
    this.#unknownLabelExamples.clear();
    this.#shiftGuardUntil = 0;
  }

  /** Stores an example; returns whether it is held out. */
  #put(text: string, label: string, source: "teacher" | "human", audited: boolean, holdout: boolean | undefined, cause?: ExampleCause): boolean {
    // A text keeps its side once assigned, so a relabel never moves a held-out text into training.
    const side = holdout ?? (audited || isHoldoutText(text, this.task.training.seed, this.#holdoutShare()));
    const isNew = this.store.get(text) === undefined;
    this.store.put({ text, label, source, holdout: side, audited, ...(cause === undefined ? {} : { cause }) });
    this.#changesSinceTrain++;
    if (side && isNew) this.#holdoutCount++;
    return side;
  }

  /** The share of new teacher-answered texts held out: holdout_fraction, or answeringHoldoutShare while the specialist answers. */
  #holdoutShare(): number {
    const { holdout_fraction } = this.task.training;
    return this.router.threshold === null ? holdout_fraction : answeringHoldoutShare(holdout_fraction, this.task.routing.audit_rate);
  }

  #recordAudit(agreed: boolean): void {
    this.audit.record(agreed);
    const { max_error, confidence_level } = this.task.routing;
    if (this.audit.provablyExceeds(max_error, confidence_level)) {
      this.#c.tightenings++;
      this.#tightenLevel++;
      // The alarm's evidence is spent: the audit starts over with the tightened threshold.
      this.audit.reset();
      this.#applyThreshold();
      // The tightened target only bridges the time to a retrain, due at once: its threshold is
      // chosen again at the full target on a holdout that now holds the audited examples that
      // raised the alarm, so it tightens only as far as that evidence requires (a second alarm
      // before it pauses the specialist until it; see tightenedTarget).
      this.#retrainRequested = true;
    }
  }

  /** The threshold a version's holdout scores prove at `maxError` (the in-scope items under the fitted scope cut). */
  #choose(scores: HoldoutScores, maxError: number, level: number): ThresholdChoice {
    return chooseThreshold(fitScopeCut(scores).items, { max_error: maxError, confidence_level: level }, { gridRatio: this.#gridRatio });
  }

  /** The threshold a candidate's scores prove at the full target in its first look (null: none). */
  #proven(scores: HoldoutScores): number | null {
    return this.#choose(scores, this.task.routing.max_error, lookLevel(this.task.routing.confidence_level, 0)).threshold;
  }

  /**
   * Chooses the live threshold from the live version's holdout scores at the current target, or,
   * with `kept` (restore), serves the threshold the version's latest look chose (with its scope
   * cut when known): no new look.
   */
  #applyThreshold(kept?: { threshold: number | null; scopeCut?: number }): void {
    const scores = this.#scores;
    if (this.#specialist === null || scores === null) return;
    const { max_error, confidence_level } = this.task.routing;
    const target = tightenedTarget(max_error, this.#tightenLevel);
    // New evidence is a new look. The same evidence at a tightened target is not: every slice that
    // passes at a stricter target, at the same levels, passed in the look at the full one.
    if (scores !== this.#lookedOn) {
      this.#lookLevel = lookLevel(confidence_level, kept === undefined ? this.#looks++ : this.#looks - 1);
      this.#lookedOn = scores;
      this.#keptFromEarlierLook = kept !== undefined;
    }
    const scope = kept?.scopeCut === undefined ? fitScopeCut(scores) : scopeUnderCut(scores, kept.scopeCut);
    this.router.setScopeCut(scope.cut);
    // A kept threshold's look was made on the holdout of its time, elsewhere: a tightened one chosen
    // on today's holdout would be a new look taken at the old one's level (and under a cut fitted
    // again), so a restored version pauses instead, until the retrain the alarm made due.
    const keptLookOnly = kept === undefined && this.#keptFromEarlierLook;
    this.#choice =
      target === null || keptLookOnly
        ? {
            ...chooseThreshold([], { max_error, confidence_level }),
            reason: `specialist paused: ${
              target === null
                ? `the live audit raised ${this.#tightenLevel} alarms since the last retrain`
                : "the live audit raised an alarm, and this version's threshold was kept from an earlier look, so a tightened one waits for the retrain the alarm started"
            }`,
          }
        : kept !== undefined
          ? keptThreshold(kept.threshold, scope.items, this.#lookLevel, this.#version, this.#looks)
          : this.#choose(scores, target, this.#lookLevel);
    this.router.setSpecialist(this.#specialist, this.#shiftGuardUntil === 0 ? this.#choice.threshold : null);
  }

  #finish(prepared: PreparedRetrain): void {
    if (this.#outstanding !== prepared) throw new Error("not the outstanding prepared retrain of this cascade");
    this.#outstanding = null;
  }

  #holdout(): LabelledText[] {
    return this.#examples({ holdout: true });
  }

  /** The stored examples on one side of the holdout split. */
  #examples(side: { holdout: boolean }): LabelledText[] {
    const out: LabelledText[] = [];
    for (const e of this.store.values()) if (e.holdout === side.holdout) out.push({ text: e.text, label: e.label });
    return out;
  }

  #maybeRetrain(): void {
    if (this.#autoRetrain && this.#outstanding === null && this.retrainDue()) this.retrain();
  }

  #report(started: number, r: Omit<RetrainReport, "version" | "threshold" | "seconds">): RetrainReport {
    const report: RetrainReport = { ...r, version: this.#version, threshold: this.#choice, seconds: (performance.now() - started) / 1000 };
    this.#onRetrain?.(report);
    return report;
  }
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}
