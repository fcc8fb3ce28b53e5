// Out-of-scope development data, built at run time from ../shared (nothing here is shipped).
//
// BANKING77-OOS (Zhang et al., 2021, "Are pretrained transformers robust in intent
// classification?"): a quarter of Banking77's 77 intents are held out. Their training texts are
// never seen; their test texts are the out-of-scope queries. Which intents are held out is a
// seeded draw, so several splits exist; some are used to choose settings, others to report.
// Out-of-domain: SNIPS queries (weather, music, restaurants…), messages a banking bot may get.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { mulberry32, shuffleInPlace } from "../../src/engine/random.js";
import { argValue, loadBanking77, REPO_ROOT, type LabeledText } from "./banking77.js";

/** Held-out intents per split: a quarter of 77, rounded down (the protocol's 19 or 20; 19 here). */
export const OOS_INTENTS = 19;

export interface OosSplit {
  seed: number;
  /** The intents the task knows, and those held out as out-of-scope. */
  inScopeLabels: string[];
  oosLabels: string[];
  /** Training texts of the in-scope intents (the held-out intents' training texts are dropped). */
  train: LabeledText[];
  /** Test texts of the in-scope intents. */
  testIn: LabeledText[];
  /** Test texts of the held-out intents: out-of-scope queries. */
  testOos: LabeledText[];
  /**
   * For choosing settings without touching the test split: the held-out intents' *training* texts
   * (never trained on) as out-of-scope validation queries.
   */
  trainOos: LabeledText[];
}

export function banking77OosSplit(data: { train: LabeledText[]; test: LabeledText[] }, seed: number): OosSplit {
  const labels = [...new Set(data.train.map((e) => e.label))].sort();
  shuffleInPlace(labels, mulberry32(seed));
  const oos = new Set(labels.slice(0, OOS_INTENTS));
  const inScopeLabels = labels.filter((l) => !oos.has(l)).sort();
  return {
    seed,
    inScopeLabels,
    oosLabels: [...oos].sort(),
    train: data.train.filter((e) => !oos.has(e.label)),
    testIn: data.test.filter((e) => !oos.has(e.label)),
    testOos: data.test.filter((e) => oos.has(e.label)),
    trainOos: data.train.filter((e) => oos.has(e.label)),
  };
}

export function snipsDir(): string {
  return resolve(argValue("--snips-dir") ?? join(REPO_ROOT, "../shared/datasets/snips"));
}

/** SNIPS queries of one file (`train` or `test`), deduplicated, with their intent as label. */
export function loadSnipsTexts(file: "train" | "test", dir = snipsDir()): LabeledText[] {
  const seen = new Set<string>();
  const out: LabeledText[] = [];
  for (const line of readFileSync(join(dir, `${file}.jsonl`), "utf8").split("\n")) {
    if (!line.trim()) continue;
    const row = JSON.parse(line) as { text: string; intent: string };
    if (seen.has(row.text)) continue;
    seen.add(row.text);
    out.push({ text: row.text, label: row.intent });
  }
  return out;
}

export async function loadOosSources(): Promise<{ banking: { train: LabeledText[]; test: LabeledText[] }; snipsTrain: LabeledText[]; snipsTest: LabeledText[] }> {
  const banking = await loadBanking77();
  return { banking, snipsTrain: loadSnipsTexts("train"), snipsTest: loadSnipsTexts("test") };
}

/**
 * A stream of `inScope` texts with out-of-scope texts mixed in so that they are `share` of it,
 * shuffled by `seed` (out-of-scope texts drawn without replacement; fewer if too few exist).
 */
export function mixStream(inScope: readonly LabeledText[], oos: readonly LabeledText[], share: number, seed: number): LabeledText[] {
  const random = mulberry32(seed);
  const want = Math.round((share / (1 - share)) * inScope.length);
  const pool = shuffleInPlace([...oos], random).slice(0, want);
  return shuffleInPlace([...inScope, ...pool], random);
}
