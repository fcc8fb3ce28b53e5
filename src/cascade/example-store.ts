// Where the cascade keeps its labelled examples. In memory here; the gateway will back the same
// interface with a database. The store is deliberately dumb (get/put by text): which label wins
// and which examples are held out is the cascade's policy, so every backend behaves the same.
import { fmix32, hashRange } from "../engine/hash.js";

/** Who gave the label. A human label always beats the teacher's for the same text. */
export type ExampleSource = "teacher" | "human";

export interface StoredExample {
  text: string;
  label: string;
  source: ExampleSource;
  /** Held out: never trained on; used to choose the threshold and to compare model versions. */
  holdout: boolean;
  /** Came from a live audit of a specialist answer (see cascade.ts for why audits are held out). */
  audited: boolean;
  /** What caused a teacher example (HandleOptions.cause), for stores that record it; opaque to the cascade. */
  cause?: ExampleCause;
}

/** The request behind a teacher example: which way it came in and the API key that sent it. */
export interface ExampleCause {
  via: "predict" | "chat" | "capture";
  keyId: number | null;
  keyName: string | null;
}

/**
 * Synchronous on purpose: retraining reads every example in one go, and a database backend can
 * keep a write-through copy in memory (or use a synchronous driver such as SQLite).
 */
export interface ExampleStore {
  get(text: string): StoredExample | undefined;
  /** Inserts, or replaces the example with the same text. */
  put(example: StoredExample): void;
  /** Removes the example with this text; whether there was one. */
  delete(text: string): boolean;
  readonly size: number;
  /** Every example, in insertion order (a replaced example keeps its place). */
  values(): Iterable<StoredExample>;
}

export class MemoryExampleStore implements ExampleStore {
  readonly #byText = new Map<string, StoredExample>();

  get(text: string): StoredExample | undefined {
    return this.#byText.get(text);
  }

  put(example: StoredExample): void {
    this.#byText.set(example.text, example);
  }

  delete(text: string): boolean {
    return this.#byText.delete(text);
  }

  get size(): number {
    return this.#byText.size;
  }

  values(): Iterable<StoredExample> {
    return this.#byText.values();
  }
}

const SALT_HOLDOUT = 0x6a09e667;

/**
 * Whether a text belongs to the holdout: a hash of the text and seed below `fraction`. Depends on
 * nothing else, so the same text lands on the same side in every run, restart and backend, and a
 * relabelled text never jumps from the holdout into the training set.
 */
export function isHoldoutText(text: string, seed: number, fraction: number): boolean {
  const h = fmix32(hashRange(text, 0, text.length, SALT_HOLDOUT) ^ fmix32(seed >>> 0));
  return h / 4294967296 < fraction;
}
