// A model version judged on the held-out examples: its accuracy (to compare versions) and the
// confidence/correctness pairs the threshold is chosen from. Incremental, so the live version's
// scores grow with the holdout at the cost of one prediction per new held-out example.
import type { TextClassifier } from "../engine/classifier.js";
import { assess, type RouterSettings } from "./router.js";
import type { ScoredItem } from "./threshold.js";

export interface LabelledText {
  text: string;
  label: string;
}

export class HoldoutScores {
  /** Held-out examples scored. */
  n = 0;
  /** Of which the model's top label equals the reference label (out-of-scope items count too). */
  correct = 0;
  /**
   * The items the specialist could answer (in scope under the router's rules), for the threshold.
   * Out-of-scope items are left out: the router sends them to the teacher whatever the threshold,
   * so they are never part of the answered set whose error is being bounded.
   */
  readonly inScope: ScoredItem[] = [];

  constructor(
    readonly model: TextClassifier,
    private readonly settings: RouterSettings,
  ) {}

  add(example: LabelledText): void {
    const a = assess(this.model, example.text, this.settings);
    const ok = a.label === example.label;
    this.n++;
    if (ok) this.correct++;
    // The threshold is on the scope score; a "none" item (the teacher found no label fits) is
    // never matched by a specialist label, so it counts as an error wherever it is covered.
    if (a.scope === "in_scope") this.inScope.push({ confidence: a.score, correct: ok });
  }

  /** correct / n (0 when nothing was scored). */
  get accuracy(): number {
    return this.n === 0 ? 0 : this.correct / this.n;
  }
}

export function scoreHoldout(model: TextClassifier, holdout: readonly LabelledText[], settings: RouterSettings): HoldoutScores {
  const scores = new HoldoutScores(model, settings);
  for (const e of holdout) scores.add(e);
  return scores;
}
