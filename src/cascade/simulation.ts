// Replays a labelled stream through a cascade from a cold start, as if the texts were live
// requests, and measures what a user would see: how often the teacher is still called, and how
// accurate the answers are compared with calling the teacher every time. No I/O: the caller
// builds the cascade (with whatever teacher) and prints or plots the result.
import type { Cascade, CascadeStats, CascadeTask } from "./cascade.js";
import { auroc } from "../engine/scope.js";
import type { LabelledText } from "./holdout-scores.js";
import type { Specialist } from "./specialist-kind.js";

/** A cascade of any task kind: a simulation only reads answers as strings. */
type AnyCascade = Cascade<Specialist, CascadeTask>;

export interface SimulationOptions {
  /** Texts in arrival order, with their gold labels. */
  stream: readonly LabelledText[];
  /** Evaluated after the stream with the final cascade, frozen (no learning, no audits). */
  holdout?: readonly LabelledText[];
  /**
   * Also measure calling the teacher on every request (default true). The cascade's own teacher
   * answers are reused; only the requests the specialist answered without an audit cost an extra
   * call — with a paid teacher that is real money, hence the switch.
   */
  teacherOnly?: boolean;
  /** Number of checkpoints over the stream (default 10). */
  checkpoints?: number;
  onCheckpoint?: (checkpoint: Checkpoint) => void;
}

export interface Checkpoint {
  requests: number;
  /** Teacher calls by the cascade so far (audits included). */
  teacher_calls: number;
  /** Requests since the previous checkpoint. */
  window_requests: number;
  /** Share answered by the specialist, since the previous checkpoint and overall. */
  window_coverage: number;
  coverage: number;
  /** Accuracy vs gold, since the previous checkpoint and overall. */
  window_accuracy: number;
  accuracy: number;
  /** Teacher-only accuracy over the same requests so far (null when not measured). */
  teacher_only_accuracy: number | null;
  cost: number;
  /** What calling the teacher on every request so far would have cost (null when not measured). */
  teacher_only_cost: number | null;
  version: number;
  threshold: number | null;
  examples: number;
}

export interface HoldoutEvaluation {
  holdout_requests: number;
  /** Accuracy vs gold of the cascade's answers (the teacher's answer where it routes to the teacher). */
  holdout_accuracy: number;
  /** Share the specialist answers. */
  holdout_coverage: number;
  holdout_teacher_share: number;
  holdout_teacher_only_accuracy: number | null;
  /** Teacher calls that failed (their answers count as wrong). */
  holdout_teacher_failures: number;
  /**
   * Out-of-scope items: gold labels outside the task's labels (or its none label) mean "none of
   * these". The figures below separate them from the in-scope ones.
   */
  holdout_out_of_scope: number;
  /** Share of in-scope items the specialist answered, and the cascade's accuracy on them. */
  holdout_in_scope_coverage: number;
  holdout_in_scope_accuracy: number;
  /** Share of out-of-scope items the specialist answered with a label (each one an error); null without any. */
  holdout_out_of_scope_answered: number | null;
  /** Error of every specialist answer against gold (out-of-scope ones always wrong); null if it never answered. */
  holdout_specialist_error: number | null;
  /** …and against the teacher's answer to the same text (null when not measured). */
  holdout_specialist_error_vs_teacher: number | null;
  /** The teacher's own error against gold on the texts the specialist answered (null when not measured). */
  holdout_teacher_error_on_answered: number | null;
  /** AUROC of the scope score, in-scope against out-of-scope items (null without both, or without a specialist). */
  holdout_scope_auroc: number | null;
}

/** One byte per request, for plots: everything else in the result is a summary. */
export interface SimulationTrace {
  /** 1 when the cascade called the teacher for the request (routed or audited). */
  teacherCalled: Uint8Array;
  /** 1 when the cascade's answer matched the gold label. */
  correct: Uint8Array;
  /** 1 when the teacher's answer matched it (null when not measured). */
  teacherOnlyCorrect: Uint8Array | null;
}

export interface SimulationResult
  extends Pick<CascadeStats, "requests" | "teacher_calls" | "teacher_failures" | "specialist_answers" | "audits" | "disagreements" | "coverage"> {
  accuracy: number;
  teacher_only_accuracy: number | null;
  /**
   * Among the specialist's answers, the share that differ from the teacher's answer to the same
   * request: the live error the routing target bounds (the teacher is the reference). Null when
   * the teacher-only baseline is not measured or the specialist never answered.
   */
  specialist_error_vs_teacher: number | null;
  /** Accuracy vs gold of the specialist's answers alone (null if it never answered). */
  specialist_accuracy: number | null;
  cost: number;
  teacher_only_cost: number | null;
  versions: number;
  rejected_versions: number;
  retrains: number;
  tightenings: number;
  /**
   * The longest run of consecutive requests the specialist did not answer, counted from its first
   * answer on (the cold start before it is not a pause): how long an audit alarm, a shift guard or
   * a refused threshold kept everything on the teacher. 0 when it never answered.
   */
  longest_pause: number;
  examples: number;
  final_version: number;
  final_threshold: number | null;
  final_threshold_reason: string;
  checkpoints: Checkpoint[];
  holdout?: HoldoutEvaluation;
  trace: SimulationTrace;
}

export async function simulate(cascade: AnyCascade, options: SimulationOptions): Promise<SimulationResult> {
  const { stream } = options;
  const n = stream.length;
  const measureTeacher = options.teacherOnly ?? true;
  const every = Math.max(1, Math.ceil(n / Math.max(1, options.checkpoints ?? 10)));
  const trace: SimulationTrace = {
    teacherCalled: new Uint8Array(n),
    correct: new Uint8Array(n),
    teacherOnlyCorrect: measureTeacher ? new Uint8Array(n) : null,
  };
  const checkpoints: Checkpoint[] = [];
  let correct = 0;
  let teacherCorrect = 0;
  let teacherOnlyCost = 0;
  let specialistCorrect = 0;
  let specialistCompared = 0;
  let specialistDisagreed = 0;
  let window = { start: 0, specialist: 0, correct: 0 };
  let answeredOnce = false;
  let pause = 0;
  let longestPause = 0;

  for (let i = 0; i < n; i++) {
    const { text, label: gold } = stream[i];
    const answer = await cascade.handle(text, { gold });
    if (answer.teacher) trace.teacherCalled[i] = 1;
    if (answer.label === gold) {
      trace.correct[i] = 1;
      correct++;
      window.correct++;
    }
    if (answer.source === "specialist") {
      answeredOnce = true;
      pause = 0;
    } else if (answeredOnce) {
      longestPause = Math.max(longestPause, ++pause);
    }
    if (answer.source === "specialist") {
      window.specialist++;
      if (answer.label === gold) specialistCorrect++;
    }
    if (measureTeacher) {
      const t = answer.teacher ?? (await cascade.teacher.classify(text));
      teacherOnlyCost += t.cost;
      if (t.status === "ok" && t.label === gold) {
        trace.teacherOnlyCorrect![i] = 1;
        teacherCorrect++;
      }
      if (answer.source === "specialist" && t.status === "ok") {
        specialistCompared++;
        if (t.label !== answer.label) specialistDisagreed++;
      }
    }
    const done = i + 1;
    if (done % every === 0 || done === n) {
      const s = cascade.stats();
      const w = done - window.start;
      const checkpoint: Checkpoint = {
        requests: done,
        teacher_calls: s.teacher_calls,
        window_requests: w,
        window_coverage: window.specialist / w,
        coverage: s.specialist_answers / done,
        window_accuracy: window.correct / w,
        accuracy: correct / done,
        teacher_only_accuracy: measureTeacher ? teacherCorrect / done : null,
        cost: s.cost,
        teacher_only_cost: measureTeacher ? teacherOnlyCost : null,
        version: s.version,
        threshold: s.threshold,
        examples: s.examples,
      };
      checkpoints.push(checkpoint);
      options.onCheckpoint?.(checkpoint);
      window = { start: done, specialist: 0, correct: 0 };
    }
  }

  const s = cascade.stats();
  const result: SimulationResult = {
    requests: n,
    teacher_calls: s.teacher_calls,
    teacher_failures: s.teacher_failures,
    specialist_answers: s.specialist_answers,
    audits: s.audits,
    disagreements: s.disagreements,
    coverage: n === 0 ? 0 : s.specialist_answers / n,
    accuracy: n === 0 ? 0 : correct / n,
    teacher_only_accuracy: measureTeacher && n > 0 ? teacherCorrect / n : null,
    specialist_error_vs_teacher: specialistCompared > 0 ? specialistDisagreed / specialistCompared : null,
    specialist_accuracy: s.specialist_answers > 0 ? specialistCorrect / s.specialist_answers : null,
    cost: s.cost,
    teacher_only_cost: measureTeacher ? teacherOnlyCost : null,
    versions: s.versions,
    rejected_versions: s.rejected_versions,
    retrains: s.retrains,
    tightenings: s.tightenings,
    longest_pause: longestPause,
    examples: s.examples,
    final_version: s.version,
    final_threshold: s.threshold,
    final_threshold_reason: s.threshold_reason,
    checkpoints,
    trace,
  };
  if (options.holdout) result.holdout = await evaluateHoldout(cascade, options.holdout, measureTeacher);
  return result;
}

/** The final cascade on unseen texts, frozen: routed, teacher-routed texts take the teacher's answer. */
export async function evaluateHoldout(cascade: AnyCascade, holdout: readonly LabelledText[], teacherOnly = true): Promise<HoldoutEvaluation> {
  let correct = 0;
  let specialist = 0;
  let teacherCorrect = 0;
  let failures = 0;
  const { none } = cascade.kind;
  const inScope = { n: 0, answered: 0, correct: 0 };
  const oos = { n: 0, answered: 0 };
  const answered = { wrong: 0, compared: 0, disagreed: 0, teacherWrong: 0 };
  const scores = { in: [] as number[], out: [] as number[] };
  for (const example of holdout) {
    const { text } = example;
    const isOos = !cascade.kind.inScope(example.label);
    const gold = isOos ? (none ?? example.label) : example.label;
    const route = cascade.router.route(text);
    let label: string | null;
    let teacherLabel: string | null = null;
    if (route.decision === "specialist") {
      specialist++;
      label = route.prediction!;
      if (teacherOnly) teacherLabel = answerLabel(await cascade.teacher.classify(text));
    } else {
      const t = await cascade.teacher.classify(text);
      label = teacherLabel = answerLabel(t);
      if (label === null) failures++;
    }
    if (label === gold) correct++;
    if (teacherLabel === gold) teacherCorrect++;
    const bySpecialist = route.decision === "specialist";
    if (isOos) {
      oos.n++;
      if (bySpecialist) oos.answered++;
    } else {
      inScope.n++;
      if (bySpecialist) inScope.answered++;
      if (label === gold) inScope.correct++;
    }
    if (bySpecialist) {
      if (label !== gold) answered.wrong++;
      if (teacherLabel !== null) {
        answered.compared++;
        if (teacherLabel !== label) answered.disagreed++;
        if (teacherLabel !== gold) answered.teacherWrong++;
      }
    }
    // Without a threshold the router computes no score; the live specialist still has one.
    const score = route.scopeScore ?? cascade.router.force(text, "teacher")?.scopeScore;
    if (score !== undefined) (isOos ? scores.out : scores.in).push(score);
  }
  const m = holdout.length;
  const share = (k: number) => (m === 0 ? 0 : k / m);
  const ratio = (k: number, d: number) => (d === 0 ? null : k / d);
  return {
    holdout_requests: m,
    holdout_accuracy: share(correct),
    holdout_coverage: share(specialist),
    holdout_teacher_share: share(m - specialist),
    holdout_teacher_only_accuracy: teacherOnly ? share(teacherCorrect) : null,
    holdout_teacher_failures: failures,
    holdout_out_of_scope: oos.n,
    holdout_in_scope_coverage: ratio(inScope.answered, inScope.n) ?? 0,
    holdout_in_scope_accuracy: ratio(inScope.correct, inScope.n) ?? 0,
    holdout_out_of_scope_answered: ratio(oos.answered, oos.n),
    holdout_specialist_error: ratio(answered.wrong, specialist),
    holdout_specialist_error_vs_teacher: teacherOnly ? ratio(answered.disagreed, answered.compared) : null,
    holdout_teacher_error_on_answered: teacherOnly ? ratio(answered.teacherWrong, answered.compared) : null,
    holdout_scope_auroc: scores.in.length > 0 && scores.out.length > 0 ? auroc(scores.in, scores.out) : null,
  };
}

function answerLabel(t: { status: string; label: string | null }): string | null {
  return t.status === "ok" ? t.label : null;
}
