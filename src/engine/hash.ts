// 32-bit hashing over UTF-16 code units. Only Math.imul and integer ops: the same input hashes the
// same on every machine and JavaScript engine, which keeps model files portable to the browser.

/** Murmur3's finaliser: spreads every input bit over the whole word. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** One step of the running hash; cheap, so n-grams can be hashed incrementally without substrings. */
export function step(h: number, codeUnit: number): number {
  return Math.imul(h ^ codeUnit, 0x01000193);
}

/** Hash of `s[start, end)`, finalised. */
export function hashRange(s: string, start: number, end: number, seed: number): number {
  let h = seed;
  for (let i = start; i < end; i++) h = step(h, s.charCodeAt(i));
  return fmix32(h ^ (end - start));
}

/** Combines two finalised hashes into one, order-sensitive (for word bigrams). */
export function combine(a: number, b: number, seed: number): number {
  return fmix32(Math.imul(a ^ seed, 0x9e3779b1) ^ b);
}
