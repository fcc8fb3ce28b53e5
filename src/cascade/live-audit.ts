// The running audit of the specialist in production: a share of the requests it answers is also
// sent to the teacher, and every comparison is recorded here. Disagreements count as errors.
import { clopperPearsonLower, clopperPearsonUpper, minSamplesForBound } from "./binomial.js";

export class LiveAudit {
  #n = 0;
  #errors = 0;

  /** Records one audited answer: whether the specialist agreed with the teacher. */
  record(agreed: boolean): void {
    this.#n++;
    if (!agreed) this.#errors++;
  }

  /** Audited answers where the specialist disagreed with the teacher. */
  get errors(): number {
    return this.#errors;
  }

  /** Audited answers so far. */
  get n(): number {
    return this.#n;
  }

  /** Observed disagreement rate (0 before any audit). */
  get errorRate(): number {
    return this.#n === 0 ? 0 : this.#errors / this.#n;
  }

  /** Clopper–Pearson upper bound of the disagreement rate (1 before any audit). */
  upperBound(confidenceLevel: number): number {
    return clopperPearsonUpper(this.#errors, this.#n, confidenceLevel);
  }

  /** Clopper–Pearson lower bound of the disagreement rate (0 before any disagreement). */
  lowerBound(confidenceLevel: number): number {
    return clopperPearsonLower(this.#errors, this.#n, confidenceLevel);
  }

  /**
   * Whether the live evidence no longer supports the target. True when either
   *  - at least minSamplesForBound(maxError, confidenceLevel) answers were audited (fewer could not
   *    prove the target even with no disagreement, so a high bound there means nothing yet) and the
   *    upper bound of the disagreement rate is > maxError: the audit no longer certifies the
   *    specialist at the standard that admitted it; or
   *  - the lower bound is > maxError: the specialist is provably worse than the target, however few
   *    answers were audited (e.g. 10 disagreements out of 10).
   * The first rule is deliberately strict: a specialist whose true error is just under maxError
   * will often trip it on a small sample. Callers that want "evidence of a problem" only can use
   * lowerBound(confidenceLevel) > maxError instead.
   */
  exceeds(maxError: number, confidenceLevel: number): boolean {
    if (this.lowerBound(confidenceLevel) > maxError) return true;
    return this.#n >= minSamplesForBound(maxError, confidenceLevel) && this.upperBound(confidenceLevel) > maxError;
  }

  /**
   * Evidence of a problem only: the disagreement rate is > maxError with probability ≥
   * confidenceLevel (the lower bound is above the target). This is the alarm the cascade uses.
   * `exceeds` asks the audit to re-prove the target on its own, which a few hundred audits cannot
   * do for a good specialist: checked after every audit, it fires in ~64% of runs for a specialist
   * with 1% true disagreement over 100 audits (5%/95%), this rule in ~2%, while still catching a
   * specialist at 10% in ~70% of runs within 100 audits and ~97% within 300.
   */
  provablyExceeds(maxError: number, confidenceLevel: number): boolean {
    return this.lowerBound(confidenceLevel) > maxError;
  }

  /** Forgets every audit, e.g. when a new model version is promoted. */
  reset(): void {
    this.#n = 0;
    this.#errors = 0;
  }
}
