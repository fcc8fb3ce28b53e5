// Replays the demo's traffic through the gateway's public HTTP API, the way an application would:
// half through the OpenAI-compatible chat completions (with the official client), half through
// batch predictions. Returns how many answers were right, for the summary. A structured task's
// chat completions ask for its object with a json_schema response_format, and its answers are
// compared as canonical objects (exact match: every field right).
import OpenAI from "openai";
import type { ResponseFormatJSONSchema } from "openai/resources/shared";
import type { LabelledText } from "./demo-gateway.js";

const BATCH = 20;

export interface ReplayResult {
  requests: number;
  correct: number;
  failed: number;
  /** Source of each answer in replay order, to show the specialist taking over. */
  sources: ("specialist" | "teacher" | "none")[];
  /** The last chat completion the specialist answered: its request text and message content. */
  specialistReply?: { text: string; content: string };
}

export interface ReplayOptions {
  /** Sent with every chat completion (a structured task's json_schema). */
  responseFormat?: ResponseFormatJSONSchema;
  /** The answer a chat completion's message content stands for (default: the gateway's label beside it). */
  contentAnswer?: (content: string | null) => string | null;
}

interface Target {
  url: string;
  key: string;
  task: string;
}

type Answer = { label: string | null; source: ReplayResult["sources"][number] };

async function predictBatch(target: Target, batch: LabelledText[]): Promise<Answer[]> {
  const res = await fetch(`${target.url}/v1/tasks/${target.task}/predict`, {
    method: "POST",
    headers: { authorization: `Bearer ${target.key}`, "content-type": "application/json" },
    body: JSON.stringify({ inputs: batch.map((e) => e.text) }),
  });
  if (!res.ok) throw new Error(`predict failed with HTTP ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { data: Answer[] }).data;
}

/**
 * `betweenBatches` runs after every predict batch and every chat completion: the demo waits there
 * for retrains under way, so that the specialist takes over at the same points on a fast or a
 * busy machine.
 */
export async function replayTraffic(target: Target, traffic: LabelledText[], betweenBatches: () => Promise<void> = async () => {}, options: ReplayOptions = {}): Promise<ReplayResult> {
  const client = new OpenAI({ baseURL: `${target.url}/v1`, apiKey: target.key, maxRetries: 0 });
  const result: ReplayResult = { requests: 0, correct: 0, failed: 0, sources: [] };
  const count = (label: string | null | undefined, gold: string, source: ReplayResult["sources"][number] = "none") => {
    result.requests++;
    result.sources.push(source);
    if (label === gold) result.correct++;
    if (label === null || label === undefined) result.failed++;
  };
  const half = Math.ceil(traffic.length / 2);
  for (let i = 0; i < half; i += BATCH) {
    const batch = traffic.slice(i, Math.min(i + BATCH, half));
    const answers = await predictBatch(target, batch);
    answers.forEach((a, j) => count(a.label, batch[j].label, a.source));
    await betweenBatches();
  }
  for (const e of traffic.slice(half)) {
    try {
      const reply = await client.chat.completions.create({
        model: `task:${target.task}`,
        messages: [{ role: "user", content: e.text }],
        ...(options.responseFormat === undefined ? {} : { response_format: options.responseFormat }),
      });
      // The gateway adds what it decided beside the OpenAI fields.
      const decided = (reply as unknown as { apprentice?: Answer }).apprentice;
      const content = reply.choices[0]?.message.content ?? null;
      count(options.contentAnswer === undefined ? decided?.label : options.contentAnswer(content), e.label, decided?.source);
      if (decided?.source === "specialist" && content !== null) result.specialistReply = { text: e.text, content };
    } catch {
      count(null, e.label);
    }
    // Each chat completion is its own request: a retrain it triggers must end before the next one.
    await betweenBatches();
  }
  return result;
}
