// The contract between the gateway and whatever answers when the specialist is not sure.
// A teacher reports failures as data (status "error") instead of throwing, because the
// caller owns the policy: retry later, fall back, or surface the failure to its client.

export type TeacherStatus = "ok" | "invalid" | "error";

export interface TeacherUsage {
  input_tokens: number;
  output_tokens: number;
}

export interface TeacherAnswer {
  /** The label, exactly as spelled in the task; null when invalid or failed. */
  label: string | null;
  /** "ok": a label from the set; "invalid": the model answered, but not with a label; "error": no usable answer. */
  status: TeacherStatus;
  /** The model's content, truncated to 500 chars, kept so invalid answers can be inspected. */
  raw?: string;
  /** Why invalid/error: one line, never containing an API key. */
  reason?: string;
  usage: TeacherUsage;
  /** In the task's currency (prices are per million tokens in the task's teacher settings). */
  cost: number;
  /** Wall time of the whole call, including waiting for a concurrency slot and retry backoff. */
  latency_ms: number;
  /** HTTP requests made (1 when the first one succeeded). */
  attempts: number;
  /** Failures only: when it makes sense to try again, e.g. while a circuit breaker is open. */
  retry_after_ms?: number;
}

export interface FewShotExample {
  text: string;
  label: string;
}

export interface ClassifyOptions {
  signal?: AbortSignal;
  fewShot?: FewShotExample[];
}

export interface Teacher {
  readonly name: string;
  /** Never throws for teacher-side failures (network, HTTP, bad content); may throw for programming errors. */
  classify(text: string, options?: ClassifyOptions): Promise<TeacherAnswer>;
}

/** Longest `raw` kept on an answer: enough to see what went wrong, small enough to store per request. */
export const RAW_MAX_CHARS = 500;

export function truncateRaw(content: string): string {
  return content.length <= RAW_MAX_CHARS ? content : content.slice(0, RAW_MAX_CHARS);
}
