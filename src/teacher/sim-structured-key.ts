// The simulated teacher's answers for a structured task: gold objects, wrong on a set share of
// the texts the way an LLM is wrong about them. Mistakes go to the hardest texts (see
// difficulties: many values to copy, long ones, of rarely seen kinds), and are one of: a value missed, a value's boundary off by a
// word, or a choice swapped for its confusable partner (always the same partner, as a model's
// confusions are systematic). Deterministic per text and seed, independent of the order asked.
//
// Out-of-scope texts (with `outOfScope`): a gold choice outside its field's values, or "none of
// these" itself, says the message fits none of them. Like sim-answer-key.ts's label teacher, it
// answers "none of these" (NONE_LABEL) in that field for a hash-chosen share `rate` of such
// fields, as an LLM offered it mostly would, and otherwise the value whose texts the message reads
// most like (the nearest centroid of the field's values), as one forced to choose would; a field
// that does not offer none always gets the nearest value. The gold of such a field is NONE_LABEL,
// and `accuracy` counts the in-scope texts only.
import { DEFAULT_FEATURIZER_CONFIG, Featurizer } from "../engine/featurizer.js";
import { fmix32, hashRange } from "../engine/hash.js";
import { LabelCentroids, twoNearestOthers } from "../engine/label-centroids.js";
import { mulberry32, shuffleInPlace } from "../engine/random.js";
import { canonicalAnswer, locateValue, type OutputField, type StructuredObject } from "../engine/structured-answer.js";
import { NONE_LABEL } from "../task/none.js";
import type { SimulatedAnswerKey } from "./sim-answer-key.js";

export interface StructuredKeyOptions {
  fields: readonly OutputField[];
  gold: readonly { text: string; object: StructuredObject }[];
  /** Share of distinct in-scope texts whose whole object the teacher gets right, 0–1. */
  accuracy: number;
  seed?: number;
  /** Gold choices outside their field's values are out of scope: `rate` of them are answered NONE_LABEL, the rest the nearest value. */
  outOfScope?: { rate: number };
}

export type StructuredMistake = "missed_value" | "boundary" | "confused_choice";

/** The key (answers as canonical objects), and which mistake each wrongly answered text got. */
export function structuredAnswerKey(options: StructuredKeyOptions): SimulatedAnswerKey & { kinds: Map<string, StructuredMistake> } {
  const { fields, accuracy } = options;
  if (!(accuracy >= 0 && accuracy <= 1)) throw new RangeError(`accuracy must be in [0, 1], got ${accuracy}`);
  const oos = options.outOfScope;
  if (oos !== undefined && !(oos.rate >= 0 && oos.rate <= 1)) throw new RangeError(`outOfScope.rate must be in [0, 1], got ${oos.rate}`);
  const seed = options.seed ?? 1;
  const goldObjects = new Map<string, StructuredObject>();
  const outside = new Map<string, { object: StructuredObject; fields: OutputField[] }>();
  for (const g of options.gold) {
    if (goldObjects.has(g.text) || outside.has(g.text)) continue;
    const off = oos === undefined ? [] : fields.filter((f) => isOutOfScope(f, g.object[f.name]));
    if (off.length === 0) goldObjects.set(g.text, g.object);
    else outside.set(g.text, { object: g.object, fields: off });
  }
  const texts = [...goldObjects.keys()];
  const partners = confusablePartners(fields, seed);
  const difficulty = difficulties(fields, goldObjects, seed);
  const ranked = texts.map((text) => ({ text, key: difficulty.get(text)! })).sort((a, b) => b.key - a.key || (a.text < b.text ? -1 : 1));
  const wrong = new Set(ranked.slice(0, Math.round((1 - accuracy) * texts.length)).map((r) => r.text));
  const answers = new Map<string, string>();
  const gold = new Map<string, string>();
  const kinds = new Map<string, StructuredMistake>();
  for (const [text, object] of goldObjects) {
    gold.set(text, canonicalAnswer(fields, object));
    let answer = object;
    if (wrong.has(text)) {
      const mistake = makeMistake(fields, text, object, partners, uniform(text, seed, 2));
      answer = mistake.object;
      kinds.set(text, mistake.kind);
    }
    answers.set(text, canonicalAnswer(fields, answer));
  }
  // A mistake that changes nothing canonically (no value, no choice to confuse) is not one.
  const mistakes = [...answers].filter(([text, a]) => a !== gold.get(text)).length;
  if (outside.size > 0) {
    const nearest = nearestValues(fields, goldObjects);
    for (const [text, { object, fields: off }] of outside) {
      const right: StructuredObject = { ...object };
      const answer: StructuredObject = { ...object };
      for (const f of off) {
        right[f.name] = NONE_LABEL;
        const offered = f.offersNone === true && uniform(text, seed, SALT_NONE ^ hashRange(f.name, 0, f.name.length, 0)) < oos!.rate;
        answer[f.name] = offered ? NONE_LABEL : nearest(f, text);
      }
      gold.set(text, canonicalAnswer(fields, right));
      answers.set(text, canonicalAnswer(fields, answer));
    }
  }
  return { answers, gold, mistakes, kinds };
}

/** Salts the draw of a field's "none of these" (per text and field). */
const SALT_NONE = 0x510e527f;

/** A gold choice that says the message fits none of the field's values: none itself, or a value outside them. */
function isOutOfScope(f: OutputField, value: unknown): boolean {
  if (f.kind !== "choice" || typeof value !== "string") return false;
  return value === NONE_LABEL || !(f.values ?? []).includes(value);
}

/**
 * For a choice field and an out-of-scope text, the field's value whose in-scope texts the text
 * reads most like (cosine to their centroid, in the engine's feature space); the first value
 * when none of them has texts.
 */
function nearestValues(fields: readonly OutputField[], objects: ReadonlyMap<string, StructuredObject>): (f: OutputField, text: string) => string {
  const texts = [...objects.keys()];
  const featurizer = Featurizer.fit(texts.length > 0 ? texts : [""], DEFAULT_FEATURIZER_CONFIG);
  const vectors = texts.map((t) => featurizer.transform(t));
  const byField = new Map<string, { values: string[]; centroids: LabelCentroids }>();
  const centroidsOf = (f: OutputField) => {
    let c = byField.get(f.name);
    if (c === undefined) {
      const values = (f.values ?? []).filter((v) => v !== NONE_LABEL);
      const index = new Map(values.map((v, i) => [v, i]));
      const members = texts.map((t, i) => ({ i, label: index.get(objects.get(t)![f.name] as string) })).filter((m) => m.label !== undefined);
      const centroids = new LabelCentroids(members.map((m) => vectors[m.i]), Int32Array.from(members, (m) => m.label!), values.length, featurizer.featureCount);
      c = { values, centroids };
      byField.set(f.name, c);
    }
    return c;
  };
  return (f, text) => {
    const { values, centroids } = centroidsOf(f);
    const cos = new Float64Array(values.length);
    centroids.cosines(featurizer.transform(text), -1, cos);
    const [nearest] = twoNearestOthers(cos, -1);
    return values[Math.max(0, nearest)] ?? NONE_LABEL;
  };
}

/** Ranking jitter, as a fraction of the difficulties' standard deviation (±): mistakes are mostly, not only, on the hardest texts. */
const JITTER_SPREAD = 0.25;

/**
 * How hard each text's object is to get exactly right: per extracted value, the surprise of its
 * field (−log of the field's share of all values: rare kinds are easy to miss or mislabel) plus
 * half a point per word (long values have boundaries to get wrong); then jittered, seeded by text.
 */
function difficulties(fields: readonly OutputField[], objects: ReadonlyMap<string, StructuredObject>, seed: number): Map<string, number> {
  const counts = new Map<string, number>();
  let total = 0;
  for (const object of objects.values())
    for (const v of extractedValues(fields, object)) {
      counts.set(v.field, (counts.get(v.field) ?? 0) + 1);
      total++;
    }
  const raw = new Map<string, number>();
  for (const [text, object] of objects) {
    let d = 0;
    for (const v of extractedValues(fields, object)) d += Math.log(total / counts.get(v.field)!) + 0.5 * v.value.split(/\s+/).length;
    raw.set(text, d);
  }
  const values = [...raw.values()];
  const mean = values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
  const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, values.length));
  for (const [text, d] of raw) raw.set(text, d + (2 * uniform(text, seed, 1) - 1) * JITTER_SPREAD * sd);
  return raw;
}

function uniform(text: string, seed: number, salt: number): number {
  return fmix32(hashRange(text, 0, text.length, seed) ^ fmix32(salt)) / 4294967296;
}

/** Every extracted value of an object, with its field. */
function extractedValues(fields: readonly OutputField[], object: StructuredObject): { field: string; value: string }[] {
  const out: { field: string; value: string }[] = [];
  for (const f of fields) {
    if (f.kind !== "extract" && f.kind !== "extract_list") continue;
    const v = object[f.name];
    for (const x of Array.isArray(v) ? v : v === null || v === undefined ? [] : [v]) out.push({ field: f.name, value: String(x) });
  }
  return out;
}

/** For each choice field, each value's confusable partner: its neighbour in a seeded cycle of the values. */
function confusablePartners(fields: readonly OutputField[], seed: number): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  for (const f of fields) {
    if (f.kind !== "choice" || (f.values?.length ?? 0) < 2) continue;
    const cycle = shuffleInPlace([...f.values!], mulberry32(seed ^ fmix32(f.name.length + 17)));
    out.set(f.name, new Map(cycle.map((v, i) => [v, cycle[(i + 1) % cycle.length]])));
  }
  return out;
}

function makeMistake(
  fields: readonly OutputField[],
  text: string,
  object: StructuredObject,
  partners: Map<string, Map<string, string>>,
  u: number,
): { object: StructuredObject; kind: StructuredMistake } {
  const values = extractedValues(fields, object);
  const choice = [...partners.keys()].find((name) => typeof object[name] === "string");
  // Two in five mistakes miss a value, two in five get a boundary wrong, one in five confuses a
  // choice; a text without the needed part gets another kind.
  const wanted: StructuredMistake = u < 0.4 ? "missed_value" : u < 0.8 ? "boundary" : "confused_choice";
  const kind = wanted !== "confused_choice" && values.length === 0 ? "confused_choice" : wanted === "confused_choice" && choice === undefined ? "missed_value" : wanted;
  const copy: StructuredObject = { ...object };
  if (kind === "confused_choice") {
    if (choice !== undefined) copy[choice] = partners.get(choice)!.get(object[choice] as string) ?? object[choice];
    return { object: copy, kind };
  }
  if (values.length === 0) return { object: copy, kind };
  const target = values[Math.floor(u * 7919) % values.length];
  const replace = (v: string | null) => {
    const current = copy[target.field];
    if (Array.isArray(current)) copy[target.field] = v === null ? current.filter((x) => x !== target.value) : current.map((x) => (x === target.value ? v : x));
    else copy[target.field] = v;
  };
  if (kind === "missed_value") replace(null);
  else replace(shiftedBoundary(text, target.value));
  return { object: copy, kind };
}

/** The value with the next word of the text added, or (at the end of the text) its last word dropped. */
function shiftedBoundary(text: string, value: string): string | null {
  const at = locateValue(text, value);
  if (at === null) return null;
  const next = /^\s+\S+/.exec(text.slice(at.end));
  if (next !== null) return text.slice(at.start, at.end + next[0].length);
  const shorter = text.slice(at.start, at.end).replace(/\s*\S+$/, "");
  return shorter.length > 0 ? shorter : null;
}
