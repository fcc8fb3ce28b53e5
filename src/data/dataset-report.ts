// What a user should know about a dataset before training on it: label counts, labels too rare
// to evaluate, repeated texts (which inflate holdout scores) and repeated texts with
// contradictory labels (which cap accuracy).
import type { Dataset, Example } from "./dataset.js";

export type LabelCount = { label: string; count: number };
export type DuplicateText = { text: string; lines: number[]; labels: string[] };

/** How many names or examples a warning line shows before "and N more". */
const SHOWN = 3;
const QUOTED_TEXT_MAX = 60;

export function summariseExamples(examples: Example[]): {
  labels: LabelCount[];
  rareLabels: LabelCount[];
  duplicateTexts: DuplicateText[];
} {
  const counts = new Map<string, number>();
  // Most texts are unique, so a group is only built on a text's second sighting.
  const firstSeen = new Map<string, Example>();
  const groups = new Map<string, DuplicateText>();
  for (const example of examples) {
    const { text, label, line } = example;
    if (label !== undefined) counts.set(label, (counts.get(label) ?? 0) + 1);
    const key = text.trim();
    const first = firstSeen.get(key);
    if (first === undefined) {
      firstSeen.set(key, example);
      continue;
    }
    let group = groups.get(key);
    if (group === undefined) {
      group = { text: key, lines: [first.line], labels: first.label === undefined ? [] : [first.label] };
      groups.set(key, group);
    }
    group.lines.push(line);
    if (label !== undefined && !group.labels.includes(label)) group.labels.push(label);
  }

  // Code-unit order rather than localeCompare, so the order is the same on every machine.
  const labels = [...counts]
    .map(([label, count]) => ({ label, count }))
    .sort((a, b) => b.count - a.count || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
  const rareLabels = labels.filter((entry) => entry.count < 2);
  const duplicateTexts = [...groups.values()].sort((a, b) => a.lines[0] - b.lines[0]);
  return { labels, rareLabels, duplicateTexts };
}

/** One line per problem, in the order a user should look at them; empty when there is none. */
export function describeDatasetWarnings(ds: Dataset): string[] {
  const warnings: string[] = [];
  const where = ds.source ?? "the dataset";

  if (ds.badRows.length > 0) {
    const shown = ds.badRows.slice(0, SHOWN).map((row) => `line ${row.line}: ${row.reason}`);
    warnings.push(`Skipped ${plural(ds.badRows.length, "bad row")} in ${where}: ${shown.join("; ")}${andMore(ds.badRows.length)}`);
  }

  if (ds.rareLabels.length > 0) {
    const names = ds.rareLabels.slice(0, SHOWN).map((entry) => JSON.stringify(entry.label));
    warnings.push(
      `${plural(ds.rareLabels.length, "label")} with a single example, too few to both train on and evaluate: ` +
        `${names.join(", ")}${andMore(ds.rareLabels.length)}`,
    );
  }

  if (ds.duplicateTexts.length > 0) {
    const rows = ds.duplicateTexts.reduce((sum, entry) => sum + entry.lines.length, 0);
    const shown = ds.duplicateTexts.slice(0, SHOWN).map((entry) => `${quote(entry.text)} on lines ${entry.lines.join(", ")}`);
    warnings.push(
      `${plural(ds.duplicateTexts.length, "text")} repeated (${rows} rows in all), e.g. ${shown.join("; ")}${andMore(ds.duplicateTexts.length)}`,
    );
  }

  const conflicts = ds.duplicateTexts.filter((entry) => entry.labels.length > 1);
  if (conflicts.length > 0) {
    const shown = conflicts
      .slice(0, SHOWN)
      .map((entry) => `${quote(entry.text)} on lines ${entry.lines.join(", ")} is ${entry.labels.map((l) => JSON.stringify(l)).join(" and ")}`);
    warnings.push(
      `${plural(conflicts.length, "repeated text")} with conflicting labels, e.g. ${shown.join("; ")}${andMore(conflicts.length)}`,
    );
  }

  return warnings;
}

function plural(count: number, noun: string): string {
  return count === 1 ? `1 ${noun}` : `${count} ${noun}s`;
}

function andMore(total: number): string {
  return total > SHOWN ? `; and ${total - SHOWN} more` : "";
}

function quote(text: string): string {
  const short = text.length > QUOTED_TEXT_MAX ? `${text.slice(0, QUOTED_TEXT_MAX)}…` : text;
  return JSON.stringify(short);
}
