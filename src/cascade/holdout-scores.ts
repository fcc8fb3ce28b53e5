// A model version judged on the held-out examples: its accuracy (to compare versions) and the
// confidence/correctness pairs the threshold is chosen from.
import { assess, type RouterSettings } from "./router.js";
import { SCOPE_CUT_QUANTILE } from "./policy.js";
import type { Specialist } from "./specialist-kind.js";
import type { ScoredItem } from "./threshold.js";

export interface LabelledText {
  text: string;
  label: string;
}

export class HoldoutScores {
  /** Per scored example, in order: whether the top label equals the reference label (out-of-scope items count too). */
  readonly right: boolean[] = [];
  /** How many of them it got right. */
  correct = 0;
  /**
   * The items the specialist could answer (in scope under the router's rules), for the threshold.
   * Out-of-scope items are left out: the router sends them to the teacher whatever the threshold,
   * so they are never part of the answered set whose error is being bounded.
   */
  readonly inScope: ScoredItem[] = [];
  /** Per item of inScope: its unknown share, and whether its reference is "none of these". */
  readonly unknownShares: number[] = [];
  readonly none: boolean[] = [];

  constructor(
    readonly model: Specialist,
    private readonly settings: RouterSettings,
  ) {}

  add(example: LabelledText): void {
    const a = assess(this.model, example.text, this.settings);
    const ok = a.label === example.label;
    if (ok) this.correct++;
    this.right.push(ok);
    // A "none" item (the teacher found no label fits) is never matched by a specialist label, so
    // it counts as an error wherever the threshold covers it.
    if (a.scope === "in_scope") {
      this.inScope.push({ confidence: a.confidence, correct: ok });
      this.unknownShares.push(a.unknownShare);
      this.none.push(this.settings.isNone?.(example.label) === true);
    }
  }

  /** Held-out examples scored. */
  get n(): number {
    return this.right.length;
  }

  /** correct / n (0 when nothing was scored). */
  get accuracy(): number {
    return this.n === 0 ? 0 : this.correct / this.n;
  }
}

/** One-sided 5%: how far behind, in standard errors, a candidate may fall before it counts as worse. */
const WORSE_Z = 1.645;

/**
 * Whether `candidate` is worse than `live` on the same held-out items beyond chance (a one-sided
 * McNemar test at 5%): the items only the live version gets right outnumber those only the
 * candidate gets right by more than WORSE_Z·√(their sum). Both must have scored the same examples
 * in the same order.
 */
export function worseBeyondChance(candidate: Pick<HoldoutScores, "right">, live: Pick<HoldoutScores, "right">): boolean {
  if (candidate.right.length !== live.right.length) throw new RangeError(`worseBeyondChance: scored ${candidate.right.length} and ${live.right.length} items, not the same ones`);
  let onlyLive = 0;
  let onlyCandidate = 0;
  for (let i = 0; i < live.right.length; i++) {
    if (live.right[i] && !candidate.right[i]) onlyLive++;
    else if (candidate.right[i] && !live.right[i]) onlyCandidate++;
  }
  return onlyLive - onlyCandidate > WORSE_Z * Math.sqrt(onlyLive + onlyCandidate);
}

export function scoreHoldout(model: Specialist, holdout: readonly LabelledText[], settings: RouterSettings): HoldoutScores {
  const scores = new HoldoutScores(model, settings);
  for (const e of holdout) scores.add(e);
  return scores;
}

/**
 * The scope cut and the items the threshold is chosen on. Once the holdout holds "none" answers
 * (the traffic has shown out-of-scope inputs), texts whose unknown share is above the
 * SCOPE_CUT_QUANTILE quantile of the held-out in-scope items' go to the teacher: they read unlike
 * anything the task's own traffic does. Without none answers there is no cut (nothing to guard
 * against, and it would cost in-scope coverage). The threshold is then chosen on the items the cut
 * lets through, none items among them counting as errors, so the guarantee covers the traffic the
 * specialist really answers.
 */
export function fitScopeCut(scores: Pick<HoldoutScores, "inScope" | "unknownShares" | "none">): { cut: number | null; items: ScoredItem[] } {
  if (!scores.none.includes(true)) return { cut: null, items: scores.inScope };
  const shares = scores.unknownShares.filter((_, i) => !scores.none[i]).sort((a, b) => a - b);
  if (shares.length === 0) return { cut: null, items: scores.inScope };
  return scopeUnderCut(scores, shares[Math.min(shares.length - 1, Math.ceil(SCOPE_CUT_QUANTILE * shares.length) - 1)]);
}

/** The items a given scope cut lets through (a kept one: Cascade.restore), as fitScopeCut gives them for the cut it fits. */
export function scopeUnderCut(scores: Pick<HoldoutScores, "inScope" | "unknownShares">, cut: number): { cut: number; items: ScoredItem[] } {
  return { cut, items: scores.inScope.filter((_, i) => scores.unknownShares[i] <= cut) };
}
