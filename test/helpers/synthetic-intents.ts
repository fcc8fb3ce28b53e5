// A small synthetic intent task for tests: each label has its own topic words, every text mixes
// in shared filler words, and a share of texts borrow a topic word from another label so the task
// is not trivially separable (which keeps calibration and coverage tests honest).
import { mulberry32 } from "../../src/engine/random.js";

const FILLER = ["please", "help", "i", "need", "my", "the", "can", "you", "today", "now", "again", "why", "is", "it", "a"];

export interface SyntheticOptions {
  labels?: number;
  perLabel?: number;
  /** Probability that a text also carries a word of another label. */
  confusion?: number;
  seed?: number;
}

export function syntheticIntents(options: SyntheticOptions = {}): { text: string; label: string }[] {
  const { labels = 5, perLabel = 60, confusion = 0.3, seed = 1 } = options;
  const random = mulberry32(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)];
  const topics = Array.from({ length: labels }, (_, l) => Array.from({ length: 6 }, (_, w) => `topic${l}word${w}`));
  const out: { text: string; label: string }[] = [];
  for (let n = 0; n < perLabel; n++) {
    for (let l = 0; l < labels; l++) {
      const words = [pick(topics[l]), pick(topics[l]), pick(FILLER), pick(FILLER), pick(FILLER)];
      if (random() < confusion) {
        const other = (l + 1 + Math.floor(random() * (labels - 1))) % labels;
        words[0] = pick(topics[other]);
      }
      for (let i = words.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [words[i], words[j]] = [words[j], words[i]];
      }
      out.push({ text: words.join(" "), label: `intent_${l}` });
    }
  }
  return out;
}
