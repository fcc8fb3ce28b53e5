// A multi-label task with a known amount of uncertainty: each of five labels is on in 30% of
// texts; its cue word appears in 85% of the texts that carry it and 10% of those that do not, so
// no model can be sure, and calibrated probabilities are checkable against what happens. A sixth
// label, "rare", is on in one text in 500 with a cue of its own.
import { mulberry32 } from "../../src/engine/random.js";

export const SYNTHETIC_LABELS = ["billing", "delivery", "refund", "account", "urgent"];
const CUES: Record<string, string> = { billing: "invoice", delivery: "parcel", refund: "moneyback", account: "password", urgent: "asap" };
const FILLER = ["hello", "please", "thanks", "team", "today", "about", "my", "order", "question", "again", "help", "still"];

export function syntheticMultiLabel(n: number, seed: number): { text: string; labels: string[] }[] {
  const random = mulberry32(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)];
  const out: { text: string; labels: string[] }[] = [];
  for (let i = 0; i < n; i++) {
    const labels = SYNTHETIC_LABELS.filter(() => random() < 0.3);
    const words = Array.from({ length: 4 }, () => pick(FILLER));
    for (const label of SYNTHETIC_LABELS) if (random() < (labels.includes(label) ? 0.85 : 0.1)) words.push(CUES[label]);
    if (random() < 0.002) {
      labels.push("rare");
      words.push("zebracrossing");
    }
    // Shuffle the words so position carries nothing.
    for (let j = words.length - 1; j > 0; j--) {
      const k = Math.floor(random() * (j + 1));
      [words[j], words[k]] = [words[k], words[j]];
    }
    out.push({ text: words.join(" "), labels });
  }
  return out;
}
