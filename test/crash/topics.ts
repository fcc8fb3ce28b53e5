// The crash tests' texts and the simulated teacher's answer for texts outside its gold set.
import { LABELS, TOPICS, topicTexts, type Labelled } from "../cascade/fixtures.js";

/** The topic whose vocabulary the text uses: the right answer for every generated topic text. */
export function topicOf(text: string): string {
  const words = new Set(text.split(/\s+/));
  return LABELS.find((label) => TOPICS[label].some((w) => words.has(w))) ?? LABELS[0];
}

/** `n` distinct topic texts; `tag` keeps the texts of different calls distinct. */
export function taggedTexts(n: number, tag: string, seed = 11): Labelled[] {
  return topicTexts(n, seed).map((e) => ({ text: `${e.text} ${tag}`, label: e.label }));
}
