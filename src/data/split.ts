// Seeded randomness for splitting data. Training runs must be reproducible from a seed, which
// Math.random cannot give, so everything here takes an explicit generator or seed.

/** Mulberry32: a tiny 32-bit PRNG, good enough for shuffling; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates; returns `arr` for chaining. */
export function shuffleInPlace<T>(arr: T[], rng: () => number): T[] {
  for (let i = arr.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const tmp = arr[i];
    arr[i] = arr[j];
    arr[j] = tmp;
  }
  return arr;
}

/**
 * Holds out round(fraction × n) items of each label, so rare labels are evaluated in proportion
 * instead of by luck. Every label keeps at least one item in train (a label the model never saw
 * cannot be learned), so a label with a single item stays in train.
 *
 * Deterministic for the same items, order and seed: labels are visited in sorted order with one
 * generator. Both outputs keep the input order.
 */
export function stratifiedSplit<T>(
  items: T[],
  labelOf: (item: T) => string,
  fraction: number,
  seed: number,
): { train: T[]; holdout: T[] } {
  if (!(fraction >= 0 && fraction < 1)) throw new RangeError(`fraction must be in [0, 1), got ${fraction}`);

  const indicesByLabel = new Map<string, number[]>();
  items.forEach((item, index) => {
    const label = labelOf(item);
    const indices = indicesByLabel.get(label);
    if (indices === undefined) indicesByLabel.set(label, [index]);
    else indices.push(index);
  });

  const rng = mulberry32(seed);
  const heldOut = new Uint8Array(items.length);
  const labels = [...indicesByLabel.keys()].sort();
  for (const label of labels) {
    const indices = indicesByLabel.get(label) ?? [];
    const count = Math.min(Math.round(indices.length * fraction), indices.length - 1);
    if (count <= 0) continue;
    shuffleInPlace(indices, rng);
    for (let k = 0; k < count; k++) heldOut[indices[k]] = 1;
  }

  const train: T[] = [];
  const holdout: T[] = [];
  items.forEach((item, index) => (heldOut[index] ? holdout : train).push(item));
  return { train, holdout };
}
