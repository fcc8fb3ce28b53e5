// Money-transfer requests of a banking app as a structured task, generated from templates for
// tests: `{intent, amount, currency, recipient, urgent}`, with the gold object of each text.
import { mulberry32 } from "../../src/engine/random.js";
import type { OutputField, StructuredObject } from "../../src/engine/structured-answer.js";

export const TRANSFER_FIELDS: OutputField[] = [
  { name: "intent", kind: "choice", values: ["send_money", "request_money", "check_balance"] },
  { name: "amount", kind: "extract" },
  { name: "currency", kind: "choice", values: ["EUR", "USD", "GBP"], nullable: true },
  { name: "recipient", kind: "extract" },
  { name: "urgent", kind: "boolean" },
];

/** The same fields as a task's output block: the mixed full and short forms a user writes. */
export const TRANSFER_OUTPUT = {
  properties: {
    intent: { enum: ["send_money", "request_money", "check_balance"], description: "What the user wants." },
    amount: { extract: true },
    currency: { type: ["string", "null"], enum: ["EUR", "USD", "GBP"] },
    recipient: { type: "string", "x-extract": true },
    urgent: { type: "boolean" },
  },
};

const NAMES = ["Anna", "Bob", "Carla Diaz", "Dmitri", "Emma Stone", "Farid", "Greta", "Hugo Berg", "Ines", "Jonas", "Kemal", "Lena Fox"];
const CURRENCIES: [string, string][] = [["EUR", "euros"], ["USD", "dollars"], ["GBP", "pounds"]];

export interface TransferRequest {
  text: string;
  object: StructuredObject;
}

/** `n` requests, deterministic for a seed; texts repeat rarely (amounts vary widely). */
export function transferRequests(n: number, seed: number): TransferRequest[] {
  const r = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const out: TransferRequest[] = [];
  for (let i = 0; i < n; i++) {
    const name = pick(NAMES);
    const amount = String(1 + Math.floor(r() * 2000));
    const [currency, word] = pick(CURRENCIES);
    const urgent = r() < 0.3;
    const rush = urgent ? pick([" right now", " asap", ", it is urgent"]) : "";
    const kind = r();
    if (kind < 0.45) {
      const text = pick([`send ${amount} ${word} to ${name}${rush}`, `please transfer ${amount} ${word} to ${name}${rush}`, `pay ${name} ${amount} ${word}${rush}`]);
      out.push({ text, object: { intent: "send_money", amount, currency, recipient: name, urgent } });
    } else if (kind < 0.8) {
      const text = pick([`ask ${name} for ${amount} ${word}${rush}`, `request ${amount} ${word} from ${name}${rush}`, `can you get ${name} to pay me ${amount} ${word}${rush}`]);
      out.push({ text, object: { intent: "request_money", amount, currency, recipient: name, urgent } });
    } else {
      const text = pick([`how much money do I have${rush}`, `show my balance${rush}`, `what is left on my account${rush}`]);
      out.push({ text, object: { intent: "check_balance", amount: null, currency: null, recipient: null, urgent } });
    }
  }
  return out;
}
