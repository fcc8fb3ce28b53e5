// SNIPS 2017 as the benchmarks read it (../shared/datasets/snips, or --data-dir): texts with their
// slot spans and intent, and the same queries as structured objects `{intent, <slot type>: [...]}`.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readSpanDataset, type SpanRecord } from "../../src/data/span-dataset.js";
import { canonicalAnswer, type OutputField, type StructuredObject } from "../../src/engine/structured-answer.js";

export interface SnipsRow extends SpanRecord {
  intent?: string;
}

export function loadSnips(dir: string, file: string): SnipsRow[] {
  const path = join(dir, file);
  const content = readFileSync(path, "utf8");
  const ds = readSpanDataset(content, { format: "jsonl", source: path });
  const intents = content
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => (JSON.parse(l) as { intent?: string }).intent);
  return ds.examples.map((e) => ({ ...e, intent: intents[e.line - 1] }));
}

/**
 * The structured task SNIPS is: the intent as a choice, every slot type as a list of values
 * copied from the text (a type may occur twice in a query), in the order first seen in `rows`.
 */
export function snipsFields(rows: readonly SnipsRow[]): OutputField[] {
  const intents = [...new Set(rows.map((r) => r.intent ?? ""))].sort();
  const slots = [...new Set(rows.flatMap((r) => r.spans.map((s) => s.label)))].sort();
  return [{ name: "intent", kind: "choice", values: intents }, ...slots.map((name): OutputField => ({ name, kind: "extract_list" }))];
}

export function snipsObject(row: SnipsRow): StructuredObject {
  const object: StructuredObject = { intent: row.intent ?? "" };
  for (const s of row.spans) ((object[s.label] ??= []) as string[]).push(row.text.slice(s.start, s.end));
  return object;
}

/** Each row as a text with its gold object's canonical answer (the cascade's label). */
export function snipsAnswers(fields: readonly OutputField[], rows: readonly SnipsRow[]): { text: string; label: string; object: StructuredObject }[] {
  return rows.map((r) => {
    const object = snipsObject(r);
    return { text: r.text, label: canonicalAnswer(fields, object), object };
  });
}
