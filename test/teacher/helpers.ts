// Shared fixtures for the teacher tests.
import { parseTask, type Task, type TaskInput } from "../../src/task/definition.js";
import { parseStructuredTask, type StructuredTask } from "../../src/task/structured.js";

export const FAKE_KEY = "sk-test-DO-NOT-LEAK-7f3a9c2e51b84d6a";

export function supportTask(teacher: Partial<TaskInput["teacher"]> = {}): Task {
  return parseTask({
    name: "support",
    instructions: "Classify the customer support message.",
    labels: [
      { name: "billing", description: "Charges, refunds and invoices." },
      { name: "bug", description: "Something in the product does not work." },
      { name: "other" },
    ],
    teacher: { model: "fake-model", timeout_ms: 2_000, max_retries: 2, concurrency: 4, price_input_per_mtok: 1, price_output_per_mtok: 2, ...teacher },
  });
}

/** A sleep that returns at once and remembers what it was asked to wait. */
export function recordingSleep(): { sleep: (ms: number) => Promise<void>; delays: number[] } {
  const delays: number[] = [];
  return { delays, sleep: async (ms: number) => void delays.push(ms) };
}

/** A structured task with one field of each learnable kind and one teacher-only field. */
export function invoiceTask(teacher: Partial<TaskInput["teacher"]> = {}): StructuredTask {
  return parseStructuredTask({
    name: "invoices",
    instructions: "Read the payment request.",
    output: {
      type: "object",
      properties: {
        intent: { type: "string", enum: ["pay", "refund"], description: "What the customer wants." },
        urgent: { type: "boolean" },
        topics: { tags: ["card", "bank"] },
        amount: { extract: true },
        people: { extract_list: true },
        note: { type: ["string", "null"] },
      },
    },
    teacher: { model: "fake-model", timeout_ms: 2_000, max_retries: 2, concurrency: 4, price_input_per_mtok: 1, price_output_per_mtok: 2, ...teacher },
  });
}
