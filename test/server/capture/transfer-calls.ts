// Test traffic for capture: an app asking its LLM to read money transfers out of messages with a
// json_schema answer, and a simulated LLM that answers them by rule (always right, so what a
// specialist learns from it can be compared exactly).
import type { SimulatedReply } from "../../../src/teacher/simulated-llm-server.js";
import { lastUserText } from "../../../src/teacher/simulated-llm-server.js";

export const SYSTEM_PROMPT = "Read the money transfer in the user's message.";

export const TRANSFER_SCHEMA = {
  type: "object",
  properties: {
    amount: { type: "string", description: "The amount, digits only." },
    currency: { type: "string", enum: ["EUR", "USD"] },
    recipient: { type: "string" },
  },
  required: ["amount", "currency", "recipient"],
  additionalProperties: false,
};

const NAMES = ["Anna", "Ben", "Carla", "David", "Emma", "Felix", "Greta", "Hugo", "Ida", "Jonas", "Klara", "Lena", "Mia", "Noah", "Otto", "Paul"];
const TEMPLATES = ["Send {n} {cur} to {name}", "Please transfer {n} {cur} to {name} today", "pay {name} {n} {cur}", "Can you wire {n} {cur} to {name}?", "I need to send {name} {n} {cur} for the rent"];

/** `count` distinct transfer messages; `offset` starts further along the same sequence. */
export function transferTexts(count: number, offset = 0): string[] {
  const out: string[] = [];
  for (let i = offset; i < offset + count; i++) {
    const template = TEMPLATES[i % TEMPLATES.length];
    const name = NAMES[Math.floor(i / TEMPLATES.length) % NAMES.length];
    const cur = i % 3 === 0 ? "dollars" : "euros";
    const n = String(10 + ((i * 37) % 990));
    out.push(template.replace("{n}", n).replace("{cur}", cur).replace("{name}", name));
  }
  return out;
}

/** The right answer for a transfer message, by rule. */
export function transferAnswer(text: string): { amount: string; currency: string; recipient: string } {
  const amount = /\d+/.exec(text)?.[0] ?? "";
  const currency = /dollars/.test(text) ? "USD" : "EUR";
  const recipient = NAMES.find((n) => new RegExp(`\\b${n}\\b`).test(text)) ?? "";
  return { amount, currency, recipient };
}

/** The simulated LLM: answers by rule, fails (HTTP 500) for a message containing FAIL. */
export function transferLlm(body: Record<string, unknown>): SimulatedReply {
  const text = lastUserText(body);
  if (text.includes("FAIL")) return { status: 500, message: "the model is overloaded" };
  return { content: JSON.stringify(transferAnswer(text)) };
}

export function transferCall(text: string, extra: Record<string, unknown> = {}) {
  return {
    model: "gpt-sim",
    messages: [
      { role: "system" as const, content: SYSTEM_PROMPT },
      { role: "user" as const, content: text },
    ],
    response_format: { type: "json_schema" as const, json_schema: { name: "transfer", strict: true, schema: TRANSFER_SCHEMA } },
    ...extra,
  };
}
