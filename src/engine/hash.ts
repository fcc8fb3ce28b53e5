// 32-bit hashing over UTF-16 code units. Only Math.imul and integer ops: the same input hashes the
// same on every machine and JavaScript engine, which keeps model files portable to the browser.

/**
 * Murmur3's finaliser: spreads every input bit over the whole word. Returns a signed 32-bit
 * integer: staying in int32 keeps V8 on integer arithmetic in the featurizer's hot loop, where an
 * unsigned result above 2³¹ would become a double.
 */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** `mix32` as an unsigned 32-bit integer, e.g. for `fmix32(x) / 2³²` ∈ [0, 1). */
export function fmix32(h: number): number {
  return mix32(h) >>> 0;
}

/** One step of the running hash; cheap, so n-grams can be hashed incrementally without substrings. */
export function step(h: number, codeUnit: number): number {
  return Math.imul(h ^ codeUnit, 0x01000193);
}

/** Hash of `s[start, end)`, finalised; signed 32-bit. */
export function hashRange(s: string, start: number, end: number, seed: number): number {
  let h = seed;
  for (let i = start; i < end; i++) h = step(h, s.charCodeAt(i));
  return mix32(h ^ (end - start));
}

/** Combines two finalised hashes into one, order-sensitive (for word bigrams); signed 32-bit. */
export function combine(a: number, b: number, seed: number): number {
  return mix32(Math.imul(a ^ seed, 0x9e3779b1) ^ b);
}
