// Surge guard: the error bound holds for traffic like the holdout its threshold was proven on, and
// the holdout is drawn from the traffic so far. When the recent requests predicted as one answer
// group far outnumber that group's share of the earlier traffic (a stream sorted by label, an
// intent arriving in a burst), the traffic is no longer like the holdout, and not only for that
// group: the texts of an arriving intent that the specialist reads as one of its older labels are
// exactly its confident mistakes. So while any group surges the specialist answers nothing, and
// the teacher's answers fill the holdout and the training data until the traffic settles. It only
// ever sends more requests to the teacher.
//
// The comparison is with the earlier traffic rather than with the holdout itself because the
// holdout leans on purpose towards the texts the specialist passes on (policy.ts,
// answeringHoldoutShare): its mix of answers is not the traffic's, even when nothing has shifted.
import { clopperPearsonUpper, regularizedIncompleteBeta } from "./binomial.js";

/** Recent in-scope predictions compared with the earlier ones. */
export const SURGE_WINDOW = 200;
/**
 * The earlier requests they are compared with: the ones before the window, this many at most, so
 * that intents that arrived become ordinary traffic again: with the whole history, Banking77's
 * stream whose new labels arrive halfway sent 3 points more to the teacher (validation order).
 */
export const SURGE_HISTORY = 2000;
/**
 * A group surges when a share this far above its earlier share would occur by chance less often
 * than this. On the validation orders of Banking77, 1e-3 sent 0.7 to 4.4 points more of shuffled
 * streams to the teacher (the young specialist's predictions drift as it learns, and a false alarm
 * stops every answer for a while); 1e-5 none, while still catching a label-sorted stream at once.
 */
export const SURGE_ALPHA = 1e-5;
/** Requests of a group in the window below which it never surges (a few in a row happen by chance). */
export const SURGE_MIN_COUNT = 5;
/** Confidence of the upper bound on a group's earlier share (a short history claims little). */
const EARLIER_SHARE_LEVEL = 0.99;
/** The bound of a group is computed again once the earlier traffic has grown by this share (it only falls as it grows: a stale one is conservative). */
const BOUND_REFRESH = 0.01;

export class SurgeGuard {
  readonly #window: string[] = [];
  #next = 0;
  readonly #recent = new Map<string, number>();
  /** The requests that have left the window, the last `history` of them, and their groups' counts. */
  readonly #history: string[] = [];
  #historyNext = 0;
  readonly #earlier = new Map<string, number>();
  readonly #bounds = new Map<string, { count: number; total: number; bound: number }>();
  /** The groups surging now; kept current as requests enter and leave the window. */
  readonly #surging = new Set<string>();
  /** Once window and history are full: by a group's earlier count, the smallest window count that surges (see #surges). */
  readonly #criticalByCount = new Map<number, number>();

  constructor(
    private readonly size = SURGE_WINDOW,
    private readonly alpha = SURGE_ALPHA,
    private readonly history = SURGE_HISTORY,
  ) {}

  /** Records a routed request's predicted group (in scope, whatever the threshold made of it). */
  observe(group: string): void {
    if (this.#window.length < this.size) this.#window.push(group);
    else {
      const old = this.#window[this.#next];
      decrement(this.#recent, old);
      this.#remember(old);
      this.#window[this.#next] = group;
      this.#next = (this.#next + 1) % this.size;
      if (old !== group) this.#update(old);
    }
    this.#recent.set(group, (this.#recent.get(group) ?? 0) + 1);
    this.#update(group);
  }

  /** Moves a request that left the window into the history, forgetting the oldest there. */
  #remember(group: string): void {
    this.#earlier.set(group, (this.#earlier.get(group) ?? 0) + 1);
    if (this.#history.length < this.history) {
      this.#history.push(group);
      return;
    }
    const oldest = this.#history[this.#historyNext];
    decrement(this.#earlier, oldest);
    this.#history[this.#historyNext] = group;
    this.#historyNext = (this.#historyNext + 1) % this.history;
    if (oldest !== group) this.#update(oldest);
  }

  /** Whether any group is surging: the recent traffic is not like the earlier traffic. */
  get active(): boolean {
    return this.#surging.size > 0;
  }

  /** The groups surging now. */
  get surging(): ReadonlySet<string> {
    return this.#surging;
  }

  /**
   * Whether `group`'s count in the window is improbable (below alpha) if requests were drawn like
   * the earlier ones, at the upper bound of its earlier share. No earlier traffic yet: never.
   */
  #update(group: string): void {
    const c = this.#recent.get(group) ?? 0;
    const surging = c >= SURGE_MIN_COUNT && this.#history.length > 0 && this.#surges(group, c);
    if (surging) this.#surging.add(group);
    else this.#surging.delete(group);
  }

  /**
   * P(X ≥ c) < alpha for X ~ Binomial(n, share) with n the window's size: I_share(c, n − c + 1).
   * Once window and history are full their sizes stay fixed, so the answer depends on the group's
   * earlier count alone, and since the tail falls as c grows, on whether c reaches the smallest
   * count that surges: searched once per earlier count, where every request used to compute a
   * tail probability (a continued fraction, 5% of a specialist-served chat completion's time).
   */
  #surges(group: string, c: number): boolean {
    const n = this.#window.length;
    if (n < this.size || this.#history.length < this.history) return upperTail(this.#earlierShareBound(group), c, n) < this.alpha;
    const count = this.#earlier.get(group) ?? 0;
    const critical = this.#criticalByCount.get(count);
    if (critical !== undefined) return c >= critical;
    const share = clopperPearsonUpper(count, this.history, EARLIER_SHARE_LEVEL);
    let found = Infinity;
    if (upperTail(share, n, n) < this.alpha) {
      let lo = SURGE_MIN_COUNT - 1; // below the minimum, or does not surge
      let hi = n; // surges
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        if (upperTail(share, mid, n) < this.alpha) hi = mid;
        else lo = mid;
      }
      found = hi;
    }
    this.#criticalByCount.set(count, found);
    return c >= found;
  }

  #earlierShareBound(group: string): number {
    const count = this.#earlier.get(group) ?? 0;
    const total = this.#history.length;
    const kept = this.#bounds.get(group);
    if (kept !== undefined && kept.count === count && total <= kept.total * (1 + BOUND_REFRESH)) return kept.bound;
    const bound = clopperPearsonUpper(count, total, EARLIER_SHARE_LEVEL);
    this.#bounds.set(group, { count, total, bound });
    return bound;
  }
}

/** P(X ≥ c) for X ~ Binomial(n, share): I_share(c, n − c + 1) (1 when share is 1). */
function upperTail(share: number, c: number, n: number): number {
  return share < 1 ? regularizedIncompleteBeta(share, c, n - c + 1) : 1;
}

function decrement(counts: Map<string, number>, key: string): void {
  const n = counts.get(key)! - 1;
  if (n === 0) counts.delete(key);
  else counts.set(key, n);
}
