// The scope-score study: which score separates in-scope from out-of-scope inputs best?
// Each candidate is computed by ScopeScorer.read (src/engine/scope.ts) from a specialist trained
// on a BANKING77-OOS split's in-scope training texts.
//
// Choosing splits (seeds 1, 2): nothing from the test files. In-scope = a stratified 10% of the
// in-scope training texts (the specialist is trained on the other 90%); out-of-scope = the held-out
// intents' training texts, and SNIPS *training* queries.
// Reporting splits (seeds 3–7): the specialist trained on all in-scope training texts; in-scope =
// the in-scope test texts; out-of-scope = the held-out intents' test texts (BANKING77-OOS), and the
// SNIPS *test* queries (out-of-domain).
//
//   npm run bench:oos -- --study [--data-dir DIR] [--snips-dir DIR]
import { stratifiedIndices } from "../src/engine/random.js";
import { auroc, ScopeScorer, type ScopeReading } from "../src/engine/scope.js";
import { trainClassifier } from "../src/engine/train.js";
import type { LabeledText } from "./lib/banking77.js";
import { banking77OosSplit, loadOosSources } from "./lib/oos-data.js";

export const CHOOSING_SEEDS = [1, 2];
export const REPORTING_SEEDS = [3, 4, 5, 6, 7];

type Candidate = [name: string, score: (r: ScopeReading) => number];

export const CANDIDATES: Candidate[] = [
  ["max-probability", (r) => r.confidence],
  ["seen n-gram share", (r) => 1 - r.unknownShare],
  ["max-logit", (r) => r.maxLogit],
  ["energy", (r) => r.energy],
  ["cos predicted centroid", (r) => r.centroidCos],
  ["cos nearest centroid", (r) => r.nearestCentroidCos],
  ["kNN cos (k=5)", (r) => r.knnCos],
  ["max-prob × cos centroid", (r) => r.confidence * r.centroidCos],
  ["max-prob × kNN cos", (r) => r.confidence * r.knnCos],
  ["√max-prob × kNN cos", (r) => Math.sqrt(r.confidence) * r.knnCos],
  ["max-prob × seen share", (r) => r.confidence * (1 - r.unknownShare)],
  ["max-prob × seen share²", (r) => r.confidence * (1 - r.unknownShare) ** 2],
  ["max-prob × kNN cos × seen share", (r) => r.confidence * r.knnCos * (1 - r.unknownShare)],
  ["chosen (score)", (r) => r.score],
];

export interface StudyRow {
  seed: number;
  role: "choosing" | "reporting";
  /** "held-out intents" (BANKING77-OOS) or "SNIPS" (out-of-domain). */
  oos: string;
  inScope: number;
  outOfScope: number;
  auroc: Record<string, number>;
}

function rowFor(scorer: ScopeScorer, seed: number, role: StudyRow["role"], oosName: string, inScope: readonly LabeledText[], oos: readonly LabeledText[]): StudyRow {
  const ins = inScope.map((e) => scorer.read(e.text));
  const outs = oos.map((e) => scorer.read(e.text));
  const result: Record<string, number> = {};
  for (const [name, f] of CANDIDATES) result[name] = auroc(ins.map(f), outs.map(f));
  return { seed, role, oos: oosName, inScope: ins.length, outOfScope: outs.length, auroc: result };
}

export async function runStudy(log: (s: string) => void): Promise<StudyRow[]> {
  const src = await loadOosSources();
  const rows: StudyRow[] = [];
  for (const seed of [...CHOOSING_SEEDS, ...REPORTING_SEEDS]) {
    const split = banking77OosSplit(src.banking, seed);
    const choosing = CHOOSING_SEEDS.includes(seed);
    let train = split.train;
    let inScope = split.testIn;
    if (choosing) {
      const s = stratifiedIndices(split.train.map((e) => e.label), 0.1, seed);
      train = s.train.map((i) => split.train[i]);
      inScope = s.holdout.map((i) => split.train[i]);
    }
    const classifier = trainClassifier(train, { seed });
    const scorer = ScopeScorer.fit(classifier, train);
    const role = choosing ? "choosing" : "reporting";
    rows.push(rowFor(scorer, seed, role, "held-out intents", inScope, choosing ? split.trainOos : split.testOos));
    const snips = choosing ? src.snipsTrain.slice(0, 2000) : src.snipsTest;
    rows.push(rowFor(scorer, seed, role, "SNIPS", inScope, snips));
    for (const r of rows.slice(-2)) log(`seed ${seed} (${role}) vs ${r.oos}: ${CANDIDATES.map(([n]) => `${n} ${r.auroc[n].toFixed(3)}`).join(", ")}`);
  }
  return rows;
}
