// Answer holds: the live audit of one answer group. The threshold bounds the error of the
// specialist's answers taken together; one answer can still go wrong while the whole stays within
// target — an intent the specialist never learned, arriving and read as an older one, shows up in
// the audits of that older answer first. When the audits of one answer group (a label; a structured
// answer's choice fields, as the surge guard groups them) prove its disagreement with the teacher
// above max_error, the specialist stops giving that answer: requests it would answer so go to the
// teacher, whose answers become training examples, until a new version is promoted.
//
// "Prove": the Clopper–Pearson lower bound of the group's disagreement rate above max_error. The
// groups share α = 1 − confidence_level (each gets α / groups, so that among 77 labels one is not
// held by chance more often than the task's level allows), and since the bound is checked again
// after every audit, a group's share is spent over those looks: at n audits, α / groups · 1/(n(n+1)),
// which sums to α / groups over all n. Among 77 groups whose disagreement sits at max_error, 100
// audits each, some group was held in 1% of runs; checked at α / groups each time instead, in 28%. At the
// defaults (5% at 95%, 77 labels) an answer that is always wrong is held after 4 audits (about 80 of
// its answers at a 5% audit rate); one wrong half the time after 14. A hold only ever sends
// more requests to the teacher. A task whose answers fall in one group only (a structured task
// without choice fields) has nothing to single out: a hold there would pause the whole specialist
// until a new version, where the whole audit's alarm tightens the threshold only as far as its
// evidence requires, so such a task has no holds.
import { clopperPearsonLower } from "./binomial.js";

export interface AnswerAuditCount {
  audited: number;
  disagreements: number;
}

export class AnswerHolds {
  readonly #counts = new Map<string, AnswerAuditCount>();
  readonly #held = new Set<string>();
  /** α / groups: what each group's looks share; null with one group (no holds). */
  readonly #alpha: number | null;

  /**
   * `groups`: how many answer groups the task can give (the Bonferroni divisor); `maxError` and
   * `confidenceLevel`: the task's routing target.
   */
  constructor(
    groups: number,
    private readonly maxError: number,
    confidenceLevel: number,
  ) {
    if (!(Number.isInteger(groups) && groups >= 1)) throw new RangeError(`AnswerHolds: groups must be an integer ≥ 1, got ${groups}`);
    this.#alpha = groups === 1 ? null : (1 - confidenceLevel) / groups;
  }

  /** The confidence level a group's audits are tested at when it has had `audited` of them (1 with one group: never held). */
  level(audited: number): number {
    return this.#alpha === null ? 1 : 1 - this.#alpha / (audited * (audited + 1));
  }

  /** Records `audited` audits of answers in `group`, `disagreements` of them disagreeing; returns whether this put the group on hold. */
  record(group: string, audited: number, disagreements: number): boolean {
    if (this.#alpha === null) return false;
    let c = this.#counts.get(group);
    if (c === undefined) this.#counts.set(group, (c = { audited: 0, disagreements: 0 }));
    c.audited += audited;
    c.disagreements += disagreements;
    if (this.#held.has(group) || c.audited === 0 || clopperPearsonLower(c.disagreements, c.audited, this.level(c.audited)) <= this.maxError) return false;
    this.#held.add(group);
    return true;
  }

  isHeld(group: string): boolean {
    return this.#held.has(group);
  }

  /** The groups on hold now. */
  get held(): ReadonlySet<string> {
    return this.#held;
  }

  /** Audits counted for a group so far (for people and tests). */
  count(group: string): AnswerAuditCount {
    const c = this.#counts.get(group);
    return c === undefined ? { audited: 0, disagreements: 0 } : { ...c };
  }

  /** Forgets every audit and hold: a new version's answers are audited afresh. */
  reset(): void {
    this.#counts.clear();
    this.#held.clear();
  }
}
