// Splitting labelled items reproducibly. The generator and the stratification live in the
// engine (it splits its own validation set the same way); this is the item-level view of it.
import { stratifiedIndices } from "../engine/random.js";

export { mulberry32, shuffleInPlace } from "../engine/random.js";

/**
 * Holds out round(fraction × n) items of each label, so rare labels are evaluated in proportion
 * instead of by luck; a label's last item always stays in train. Deterministic for the same items,
 * order and seed; both outputs keep the input order.
 */
export function stratifiedSplit<T>(items: T[], labelOf: (item: T) => string, fraction: number, seed: number): { train: T[]; holdout: T[] } {
  const { train, holdout } = stratifiedIndices(items.map(labelOf), fraction, seed);
  return { train: train.map((i) => items[i]), holdout: holdout.map((i) => items[i]) };
}
