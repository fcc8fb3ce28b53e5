// A teacher with no network, for offline runs, tests and benchmarks: it answers from an
// answer key computed once from a gold set (see sim-answer-key.ts for its error model) and
// reports a plausible price and latency without spending either.
import type { FeaturizerConfig } from "../engine/featurizer.js";
import { sleep } from "./retry.js";
import { simulatedAnswerKey, type SimulatedAnswerKey } from "./sim-answer-key.js";
import type { ClassifyOptions, Teacher, TeacherAnswer } from "./types.js";

/** How the simulated teacher sounds: price, latency, and what it says about texts outside its key. */
interface SimulatedTeacherBehaviour {
  /** Reported cost of each answer; default 0.0005 (a small hosted model's price per call). */
  pricePerCall?: number;
  /** Reported latency; default 800 ms. Not actually waited unless `realDelay`. */
  latencyMs?: number;
  /** Really wait `latencyMs` per call, for demos that should feel like a remote teacher. */
  realDelay?: boolean;
  /**
   * The answer for a text outside the gold set (e.g. a reference model trained on all of it, in the
   * demo, where people type their own messages). Without it such texts get status "error".
   */
  otherwise?: (text: string) => string;
}

export interface SimulatedTeacherOptions extends SimulatedTeacherBehaviour {
  labels: string[];
  /** Every text it may be asked about, with its true label. */
  gold: { text: string; label: string }[];
  /** Share of distinct gold texts it answers correctly, 0–1. */
  accuracy: number;
  seed?: number;
  featurizer?: Partial<FeaturizerConfig>;
  /**
   * When it is offered "none of these": gold labels outside `labels` mark out-of-scope texts, of
   * which `rate` are answered `label` (the task's none label) and the rest the nearest label (see
   * sim-answer-key.ts). Without it, gold labels outside `labels` are refused.
   */
  outOfScope?: { label: string; rate: number };
}

/** A teacher answering from a key built elsewhere (e.g. structuredAnswerKey, for structured tasks). */
export interface KeyedSimulatedTeacherOptions extends SimulatedTeacherBehaviour {
  key: SimulatedAnswerKey;
}

export const SIM_DEFAULT_PRICE_PER_CALL = 0.0005;
export const SIM_DEFAULT_LATENCY_MS = 800;
/** Tokens a real request spends on the system prompt and label list before the text itself. */
export const SIM_PROMPT_OVERHEAD_TOKENS = 200;

export class SimulatedTeacher implements Teacher {
  readonly name = "sim";
  readonly key: SimulatedAnswerKey;
  private readonly pricePerCall: number;
  private readonly latencyMs: number;
  private readonly realDelay: boolean;
  private readonly otherwise: ((text: string) => string) | undefined;

  constructor(options: SimulatedTeacherOptions | KeyedSimulatedTeacherOptions) {
    this.otherwise = options.otherwise;
    this.key = "key" in options ? options.key : simulatedAnswerKey(options);
    this.pricePerCall = options.pricePerCall ?? SIM_DEFAULT_PRICE_PER_CALL;
    this.latencyMs = options.latencyMs ?? SIM_DEFAULT_LATENCY_MS;
    this.realDelay = options.realDelay ?? false;
  }

  /** Few-shot examples are ignored: the answer key already fixes every answer. */
  async classify(text: string, options: ClassifyOptions = {}): Promise<TeacherAnswer> {
    const base = { usage: { input_tokens: 0, output_tokens: 0 }, cost: 0, latency_ms: 0, attempts: 1 };
    if (options.signal?.aborted) return { ...base, attempts: 0, label: null, status: "error", reason: "aborted by caller" };
    const label = this.key.answers.get(text) ?? this.otherwise?.(text);
    if (label === undefined) return { ...base, label: null, status: "error", reason: "simulated teacher has no answer for this text" };
    if (this.realDelay) {
      try {
        await sleep(this.latencyMs, options.signal);
      } catch {
        return { ...base, label: null, status: "error", reason: "aborted by caller" };
      }
    }
    const raw = JSON.stringify({ label });
    return {
      label,
      status: "ok",
      raw,
      usage: { input_tokens: Math.ceil(text.length / 4) + SIM_PROMPT_OVERHEAD_TOKENS, output_tokens: Math.ceil(raw.length / 4) },
      cost: this.pricePerCall,
      latency_ms: this.latencyMs,
      attempts: 1,
    };
  }
}
