// Seeded randomness: a fixed seed gives the same shuffles, splits and models everywhere.

/** Mulberry32: a small, fast 32-bit PRNG; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates, in place; returns its argument. */
export function shuffleInPlace<T extends unknown[] | Int32Array>(items: T, random: () => number): T {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = items[i];
    items[i] = items[j];
    items[j] = t;
  }
  return items;
}

/**
 * Splits indices 0..n-1 so that round(fraction × count) of each label is held out, but never a
 * label's last item: a label the model never saw cannot be learned. Deterministic for the same
 * labels and seed (labels are visited in sorted order with one generator); both parts ascending.
 */
export function stratifiedIndices(labels: ArrayLike<string | number>, fraction: number, seed: number): { train: number[]; holdout: number[] } {
  if (!(fraction >= 0 && fraction < 1)) throw new RangeError(`fraction must be in [0, 1), got ${fraction}`);
  const byLabel = new Map<string | number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const list = byLabel.get(labels[i]);
    if (list) list.push(i);
    else byLabel.set(labels[i], [i]);
  }
  const random = mulberry32(seed);
  const heldOut = new Uint8Array(labels.length);
  for (const label of [...byLabel.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
    const list = byLabel.get(label)!;
    const take = Math.min(Math.round(list.length * fraction), list.length - 1);
    if (take <= 0) continue;
    shuffleInPlace(list, random);
    for (let k = 0; k < take; k++) heldOut[list[k]] = 1;
  }
  const train: number[] = [];
  const holdout: number[] = [];
  for (let i = 0; i < labels.length; i++) (heldOut[i] ? holdout : train).push(i);
  return { train, holdout };
}
