// The real teacher: any OpenAI-compatible chat-completions endpoint, through the official
// SDK. The SDK's retries are off; this class retries itself so every attempt is counted
// on the answer and the retry policy (what, how often, how long to wait) is ours. What is
// asked and how the answer is read depend on the kind of task (answer-format.ts).
import OpenAI, { APIUserAbortError, type ClientOptions } from "openai";
import type { ChatCompletion, ChatCompletionCreateParamsNonStreaming, ChatCompletionMessageParam } from "openai/resources/chat/completions";
import { localTeacherSettings, type TeacherSettings } from "../task/definition.js";
import type { AnyTask } from "../task/structured.js";
import { answerFormat, type AnswerFormat } from "./answer-format.js";
import { describeFailure, rejectsResponseFormat } from "./errors.js";
import { backoffDelay, retryAfterMs, sleep as realSleep, type Sleep } from "./retry.js";
import { cleanReason } from "./scrub.js";
import { Semaphore } from "./semaphore.js";
import { truncateRaw, type ClassifyOptions, type Teacher, type TeacherAnswer, type TeacherUsage } from "./types.js";

export interface OpenAITeacherOptions {
  /** The endpoint and knobs to run with (the gateway's declared teacher); default: the task file's own (localTeacherSettings). */
  settings?: TeacherSettings;
  /** Shared by every task of one declared teacher, so its concurrency bounds them together; default: one of this teacher's own. */
  semaphore?: Semaphore;
  /** Takes precedence over the environment variable named by `teacher.api_key_env`. */
  apiKey?: string;
  /** Takes precedence over `teacher.base_url` and OPENAI_BASE_URL. */
  baseURL?: string;
  fetch?: ClientOptions["fetch"];
  /** Injected in tests so backoff can be asserted without waiting. */
  sleep?: Sleep;
  /** Uniform in [0, 1); injected in tests to pin the jitter. */
  random?: () => number;
  now?: () => number;
  /** Where the key and OPENAI_BASE_URL are read from; defaults to process.env. */
  env?: Record<string, string | undefined>;
}

export class TeacherConfigError extends Error {
  override name = "TeacherConfigError";
}

type Outcome = { completion: ChatCompletion } | { reason: string };

const ABORTED = "aborted by caller";

export class OpenAITeacher implements Teacher {
  readonly name: string;
  private readonly settings: TeacherSettings;
  private readonly format: AnswerFormat;
  private readonly client: OpenAI;
  private readonly apiKey: string;
  private readonly semaphore: Semaphore;
  private readonly sleep: Sleep;
  private readonly random: () => number;
  private readonly now: () => number;
  /** Cleared for good the first time the server rejects `response_format`. */
  private structured: boolean;

  /** A label task is answered with a label; a structured task with the canonical JSON of its object. */
  constructor(task: AnyTask, options: OpenAITeacherOptions = {}) {
    this.settings = options.settings ?? localTeacherSettings(task);
    this.format = answerFormat(task);
    this.name = `openai:${this.settings.model}`;
    const env = options.env ?? process.env;
    const apiKey = options.apiKey ?? env[this.settings.api_key_env];
    // Fail at construction, not on the first request: a missing key is a setup mistake.
    if (!apiKey) throw new TeacherConfigError(`the teacher needs an API key: set the environment variable ${this.settings.api_key_env}`);
    this.apiKey = apiKey;
    this.client = new OpenAI({
      apiKey,
      baseURL: options.baseURL ?? this.settings.base_url ?? env.OPENAI_BASE_URL,
      timeout: this.settings.timeout_ms,
      maxRetries: 0,
      fetch: options.fetch,
    });
    this.semaphore = options.semaphore ?? new Semaphore(this.settings.concurrency);
    this.structured = this.settings.structured_output;
    this.sleep = options.sleep ?? realSleep;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
  }

  async classify(text: string, options: ClassifyOptions = {}): Promise<TeacherAnswer> {
    const started = this.now();
    const counter = { attempts: 0 };
    const finish = (fields: Partial<TeacherAnswer> & Pick<TeacherAnswer, "status" | "label">): TeacherAnswer => ({
      usage: { input_tokens: 0, output_tokens: 0 },
      cost: 0,
      ...fields,
      latency_ms: Math.max(0, this.now() - started),
      attempts: counter.attempts,
    });

    let release: () => void;
    try {
      release = await this.semaphore.acquire(options.signal);
    } catch {
      return finish({ label: null, status: "error", reason: ABORTED });
    }
    let outcome: Outcome;
    try {
      const messages = this.format.messages(text, options.fewShot);
      outcome = await this.request(messages, options.signal, counter);
    } finally {
      release();
    }

    if ("reason" in outcome) {
      const suffix = counter.attempts > 1 ? ` (after ${counter.attempts} attempts)` : "";
      return finish({ label: null, status: "error", reason: cleanReason(outcome.reason + suffix, this.apiKey) });
    }
    return finish(this.interpret(outcome.completion, text));
  }

  /** Sends the request, retrying what is worth retrying; resolves with the completion or the last failure. */
  private async request(messages: ChatCompletionMessageParam[], signal: AbortSignal | undefined, counter: { attempts: number }): Promise<Outcome> {
    let retries = 0;
    while (true) {
      counter.attempts++;
      const structured = this.structured;
      // The SDK's timeout stops once the response headers arrive; a server that then sends its
      // body slowly (or stops halfway) would hold the request for minutes. This deadline covers
      // the whole attempt, body included.
      const deadline = new AbortController();
      const timer = setTimeout(() => deadline.abort(), this.settings.timeout_ms);
      const attemptSignal = signal === undefined ? deadline.signal : AbortSignal.any([signal, deadline.signal]);
      try {
        return { completion: await this.client.chat.completions.create(this.body(messages, structured), { signal: attemptSignal }) };
      } catch (err) {
        if (signal?.aborted) return { reason: ABORTED };
        const timedOut = deadline.signal.aborted;
        if (!timedOut && err instanceof APIUserAbortError) return { reason: ABORTED };
        if (!timedOut && structured && rejectsResponseFormat(err)) {
          // Not a retry in the policy's sense: the request changes, so it does not use up the budget.
          this.structured = false;
          continue;
        }
        const failure = timedOut ? { retryable: true, reason: `request timed out after ${this.settings.timeout_ms} ms`, headers: undefined } : describeFailure(err, this.settings.timeout_ms);
        if (!failure.retryable || retries >= this.settings.max_retries) return { reason: failure.reason };
        const delay = retryAfterMs(failure.headers, this.now()) ?? backoffDelay(retries, this.random);
        retries++;
        try {
          await this.sleep(delay, signal);
        } catch {
          return { reason: ABORTED };
        }
      } finally {
        clearTimeout(timer);
      }
    }
  }

  private body(messages: ChatCompletionMessageParam[], structured: boolean): ChatCompletionCreateParamsNonStreaming {
    return {
      model: this.settings.model,
      messages,
      temperature: this.settings.temperature,
      ...(structured ? { response_format: this.format.responseFormat } : {}),
    };
  }

  private interpret(completion: ChatCompletion, text: string): Pick<TeacherAnswer, "label" | "status" | "raw" | "reason" | "usage" | "cost"> {
    const usage: TeacherUsage = {
      input_tokens: completion.usage?.prompt_tokens ?? 0,
      output_tokens: completion.usage?.completion_tokens ?? 0,
    };
    const cost = (usage.input_tokens * this.settings.price_input_per_mtok + usage.output_tokens * this.settings.price_output_per_mtok) / 1e6;
    // Some compatible servers omit `choices` altogether rather than sending [].
    const choice = (completion.choices ?? [])[0];
    if (!choice) return { label: null, status: "error", reason: "empty choice list", usage, cost };

    const content = choice.message?.content;
    if (content === null || content === undefined || content.trim() === "") {
      const refusal = choice.message?.refusal;
      const reason = refusal ? `model refused: ${refusal}` : `empty answer (finish_reason: ${choice.finish_reason ?? "none"})`;
      return { label: null, status: "invalid", raw: truncateRaw(refusal ?? content ?? ""), reason: cleanReason(reason, this.apiKey), usage, cost };
    }
    const parsed = this.format.parse(content, text);
    if ("label" in parsed) return { label: parsed.label, status: "ok", raw: truncateRaw(content), usage, cost };
    const cutOff = choice.finish_reason === "length" ? " (answer cut off at the token limit)" : "";
    return { label: null, status: "invalid", raw: truncateRaw(content), reason: cleanReason(parsed.invalid + cutOff, this.apiKey), usage, cost };
  }
}
