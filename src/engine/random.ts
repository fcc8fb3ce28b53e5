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

/** Fisher–Yates, in place. */
export function shuffleInPlace<T>(items: T[] | Int32Array, random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = items[i];
    items[i] = items[j];
    items[j] = t;
  }
}

/**
 * Splits indices 0..n-1 so that about `fraction` of each class is held out. A class with a single
 * example stays in the training part: it cannot be learned otherwise.
 */
export function stratifiedIndices(classOf: ArrayLike<number>, fraction: number, seed: number): { train: number[]; holdout: number[] } {
  const random = mulberry32(seed);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < classOf.length; i++) {
    const list = byClass.get(classOf[i]);
    if (list) list.push(i);
    else byClass.set(classOf[i], [i]);
  }
  const train: number[] = [];
  const holdout: number[] = [];
  for (const c of [...byClass.keys()].sort((a, b) => a - b)) {
    const list = byClass.get(c)!;
    shuffleInPlace(list, random);
    const take = list.length < 2 ? 0 : Math.min(list.length - 1, Math.max(1, Math.round(list.length * fraction)));
    holdout.push(...list.slice(0, take));
    train.push(...list.slice(take));
  }
  train.sort((a, b) => a - b);
  holdout.sort((a, b) => a - b);
  return { train, holdout };
}
