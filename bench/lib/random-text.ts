// Random text for load that the demo model has never seen.
import { mulberry32 } from "../../src/engine/random.js";

/** Random letters, digits and spaces: words the model never learned, so every n-gram is looked up. */
export function randomTexts(count: number, chars: number, seed: number): string[] {
  const rand = mulberry32(seed);
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789     ";
  return Array.from({ length: count }, () => {
    let s = "";
    for (let i = 0; i < chars; i++) s += alphabet[Math.floor(rand() * alphabet.length)];
    return s;
  });
}
