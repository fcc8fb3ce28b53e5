// Option definitions and value parsers shared by the commands. Invalid values throw commander's
// InvalidArgumentError, which commander reports as a usage error (exit code 2).
import { InvalidArgumentError, Option } from "commander";
import type { LoadDatasetOptions } from "../data/dataset-file.js";

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError("expected a positive integer.");
  }
  return n;
}

export function integer(value: string): number {
  const n = Number(value);
  if (!/^\s*-?\d+\s*$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError("expected an integer.");
  return n;
}

export type DatasetFlags = {
  data: string;
  textColumn?: string;
  labelColumn?: string;
  format?: "csv" | "jsonl";
  onBadRow?: "skip" | "fail";
};

export const textColumnOption = () =>
  new Option("--text-column <name>", 'column (CSV) or field (JSONL) holding the text (default: "text")');

export const labelColumnOption = () =>
  new Option(
    "--label-column <name>",
    'column or field holding the label (default: the first of "label", "category", "intent", "class")',
  );

export const formatOption = () =>
  new Option("--format <format>", "data format (default: from the file extension: .csv, .jsonl, .ndjson)").choices(["csv", "jsonl"]);

/** --format for commands that also read span data in CoNLL form. */
export const spanFormatOption = () =>
  new Option("--format <format>", "data format (default: from the file extension: .csv, .jsonl, .ndjson, .conll)").choices(["csv", "jsonl", "conll"]);

export const onBadRowOption = () =>
  new Option("--on-bad-row <mode>", "what to do with a row that cannot be used: fail, or skip it with a warning")
    .choices(["skip", "fail"])
    .default("fail");

export function datasetOptions(flags: DatasetFlags, extra: Partial<LoadDatasetOptions> = {}): LoadDatasetOptions {
  return {
    format: flags.format,
    textColumn: flags.textColumn,
    labelColumn: flags.labelColumn,
    onBadRow: flags.onBadRow ?? "fail",
    ...extra,
  };
}
