// Request streams whose mix of labels changes over time, built from one labelled split: how the
// cascade copes when the traffic is not exchangeable. Every stream is a permutation of `items`
// (same texts, same length), so its teacher-only accuracy is comparable with a shuffled order's.
import { mulberry32, shuffleInPlace } from "../../src/engine/random.js";
import type { LabeledText } from "./banking77.js";

export type ShiftKind = "new_labels_halfway" | "label_sorted" | "slow_drift";

export const SHIFT_KINDS: readonly ShiftKind[] = ["new_labels_halfway", "label_sorted", "slow_drift"];

/** Share of the labels that only appear in the second half of the new_labels_halfway stream. */
const NEW_LABEL_SHARE = 0.25;

function labelsOf(items: readonly LabeledText[]): string[] {
  return [...new Set(items.map((e) => e.label))].sort();
}

/** The labels in a seeded random order, split at `share` (the first part is returned first). */
function splitLabels(items: readonly LabeledText[], share: number, random: () => number): [Set<string>, Set<string>] {
  const labels = shuffleInPlace(labelsOf(items), random);
  const cut = Math.round(labels.length * share);
  return [new Set(labels.slice(0, cut)), new Set(labels.slice(cut))];
}

/**
 * new_labels_halfway: a quarter of the labels (chosen by the seed) never appear in the first half;
 * the second half mixes the rest of the old labels with all of the new ones.
 * label_sorted: all examples of one label, then the next (labels in seeded order, texts shuffled
 * within a label): the extreme of traffic ordered by topic.
 * slow_drift: the labels split into two halves A and B; request i is drawn from A with probability
 * 1 − i/n and from B otherwise (without replacement; an emptied side gives way to the other).
 */
export function shiftStream(items: readonly LabeledText[], kind: ShiftKind, seed: number): LabeledText[] {
  const random = mulberry32(seed);
  const shuffled = shuffleInPlace([...items], random);
  if (kind === "label_sorted") {
    const order = shuffleInPlace(labelsOf(items), random);
    const rank = new Map(order.map((l, i) => [l, i]));
    // Stable sort keeps the shuffled order within a label.
    return shuffled.sort((x, y) => rank.get(x.label)! - rank.get(y.label)!);
  }
  if (kind === "new_labels_halfway") {
    const [fresh] = splitLabels(items, NEW_LABEL_SHARE, random);
    const old = shuffled.filter((e) => !fresh.has(e.label));
    const half = Math.floor(items.length / 2);
    if (old.length < half) throw new Error(`shiftStream: too few examples of the old labels for a first half of ${half}`);
    const rest = shuffleInPlace([...old.slice(half), ...shuffled.filter((e) => fresh.has(e.label))], random);
    return [...old.slice(0, half), ...rest];
  }
  const [a] = splitLabels(items, 0.5, random);
  const poolA = shuffled.filter((e) => a.has(e.label));
  const poolB = shuffled.filter((e) => !a.has(e.label));
  const n = items.length;
  const out: LabeledText[] = [];
  for (let i = 0; i < n; i++) {
    const fromA = poolB.length === 0 || (poolA.length > 0 && random() >= i / n);
    out.push((fromA ? poolA : poolB).pop()!);
  }
  return out;
}
