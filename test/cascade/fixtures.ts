// Fixtures for the cascade tests: a small generated task (labels with their own vocabularies, so
// a specialist learns it from a few hundred texts) and a scriptable teacher.
import { parseTask, type Task, type TaskInput } from "../../src/task/definition.js";
import type { Teacher, TeacherAnswer } from "../../src/teacher/types.js";
import { mulberry32 } from "../../src/engine/random.js";

export const TOPICS: Record<string, string[]> = {
  weather: ["rain", "sunny", "forecast", "cloudy", "storm", "humid", "snow", "windy", "thunder", "fog"],
  sports: ["football", "match", "goal", "tennis", "score", "league", "coach", "stadium", "referee", "team"],
  cooking: ["recipe", "oven", "garlic", "bake", "pasta", "sauce", "onion", "simmer", "flour", "butter"],
  music: ["guitar", "song", "concert", "melody", "drums", "album", "chorus", "piano", "violin", "band"],
  travel: ["flight", "hotel", "passport", "luggage", "airport", "train", "ticket", "beach", "visa", "cruise"],
};
export const LABELS = Object.keys(TOPICS);
const FILLERS = ["tell me about the", "what is the latest", "i love the", "any news on", "show me", "how about", "please find", "i need the"];

export interface Labelled {
  text: string;
  label: string;
}

/** `n` texts cycling through the labels; `offset` keeps texts of different calls distinct. */
export function topicTexts(n: number, seed = 1, offset = 0): Labelled[] {
  const random = mulberry32(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)];
  return Array.from({ length: n }, (_, i) => {
    const label = LABELS[i % LABELS.length];
    return { text: `${pick(FILLERS)} ${pick(TOPICS[label])} and ${pick(TOPICS[label])} ${pick(FILLERS)} ${offset + i}`, label };
  });
}

export function topicTask(overrides: Partial<Pick<TaskInput, "routing" | "training" | "out_of_scope_label">> & { extraLabels?: string[] } = {}): Task {
  const { extraLabels = [], ...rest } = overrides;
  return parseTask({
    name: "topics",
    instructions: "Classify the topic of the message.",
    labels: [...LABELS, ...extraLabels].map((name) => ({ name })),
    teacher: { provider: "sim" },
    ...rest,
    routing: { max_error: 0.1, confidence_level: 0.95, audit_rate: 0, ...rest.routing },
    training: { retrain_every: 50, min_examples: 50, holdout_fraction: 0.3, ...rest.training },
  });
}

/** Answers by a function of the text (null: fail); counts calls; costs 1 per call. */
export class ScriptedTeacher implements Teacher {
  readonly name = "scripted";
  calls = 0;

  constructor(public answer: (text: string) => string | null) {}

  async classify(text: string): Promise<TeacherAnswer> {
    this.calls++;
    const label = this.answer(text);
    const base = { usage: { input_tokens: 0, output_tokens: 0 }, cost: 1, latency_ms: 0, attempts: 1 };
    return label === null ? { ...base, label: null, status: "error", reason: "scripted failure" } : { ...base, label, status: "ok" };
  }
}

/** A teacher that knows the gold labels of `examples` (and fails on anything else). */
export function goldTeacher(examples: readonly Labelled[]): ScriptedTeacher {
  const gold = new Map(examples.map((e) => [e.text, e.label]));
  return new ScriptedTeacher((text) => gold.get(text) ?? null);
}

/** Messages about none of the topics: shared filler words, foreign content words (as "what's the weather" to a bank). */
const FOREIGN = ["mortgage", "loan", "refund", "invoice", "pension", "salary", "credit", "deposit", "tax", "insurance"];
export function foreignTexts(n: number, seed: number, offset = 0): Labelled[] {
  const random = mulberry32(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)];
  const fillers = ["tell me about the", "any news on", "show me", "please find"];
  return Array.from({ length: n }, (_, i) => ({ text: `${pick(fillers)} ${pick(FOREIGN)} and ${pick(FOREIGN)} ${pick(fillers)} ${offset + i}`, label: "finance" }));
}
