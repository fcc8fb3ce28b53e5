// A synthetic gold set with a known confusion structure: "delivery" and "delivery_eta" share
// almost all their words (they differ by one cue word, which some texts lack: those are the
// ambiguous ones), while "weather" shares nothing with either.
import { mulberry32 } from "../../src/engine/random.js";

export const SIM_LABELS = ["delivery", "delivery_eta", "weather"];

const SHARED = ["card", "delivery", "when", "will", "my", "new", "arrive", "please", "tell", "me", "order", "package", "shipped", "status"];
const CUE: Record<string, string[]> = { delivery: ["tracking", "courier"], delivery_eta: ["estimate", "eta"] };
const WEATHER = ["weather", "rain", "forecast", "sunny", "tomorrow", "cold", "wind", "storm", "snow", "humid", "cloudy", "degrees"];

export interface SimExample {
  text: string;
  label: string;
  /** True for delivery texts without their cue word: the only thing telling the two labels apart is missing. */
  ambiguous: boolean;
}

export function simDataset(perLabel = 100, seed = 7): SimExample[] {
  const random = mulberry32(seed);
  const pick = (words: string[], k: number) => Array.from({ length: k }, () => words[Math.floor(random() * words.length)]);
  const out: SimExample[] = [];
  for (let i = 0; i < perLabel; i++) {
    for (const label of ["delivery", "delivery_eta"]) {
      const ambiguous = i % 5 === 0; // 20% of each delivery label
      const words = pick(SHARED, 6);
      if (!ambiguous) words.splice(Math.floor(random() * words.length), 0, ...pick(CUE[label], 2));
      // A numeric suffix, the same form for every label, keeps texts unique without hinting at the label.
      out.push({ text: `${words.join(" ")} #${out.length}`, label, ambiguous });
    }
    out.push({ text: `${pick(WEATHER, 6).join(" ")} #${out.length}`, label: "weather", ambiguous: false });
  }
  return out;
}
