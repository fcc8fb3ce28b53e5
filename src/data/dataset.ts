// Labeled text from CSV, JSONL or a JSON array, with every row checked. A row the trainer cannot
// use either stops the load or is listed in `badRows`: a user must never lose rows without being
// told.
// Pure (no Node APIs); `dataset-file.ts` does the reading from disk.
import { CsvParser, type CsvTable } from "./csv.js";
import { summariseExamples, type DuplicateText, type LabelCount } from "./dataset-report.js";
import { DatasetError, type BadRow } from "./errors.js";
import { describeJsonType, JsonArrayParser, JsonlParser, type JsonlResult } from "./jsonl.js";

export { describeDatasetWarnings, type DuplicateText, type LabelCount } from "./dataset-report.js";

/** "json" is one JSON array of objects; a row's `line` is then its 1-based position in the array. */
export type DatasetFormat = "csv" | "jsonl" | "json";

export type DatasetOptions = {
  format: DatasetFormat;
  /** Defaults to "text". */
  textColumn?: string;
  /** Defaults to "label", else the first of "category", "intent", "class" that the data has. */
  labelColumn?: string;
  /** Defaults to true. When false, a row without a label is kept as an unlabeled example. */
  labelRequired?: boolean;
  /** Defaults to "fail": any bad row throws. "skip" leaves bad rows out and lists them in `badRows`. */
  onBadRow?: "skip" | "fail";
  /** Longer texts are bad rows; defaults to DEFAULT_MAX_TEXT_LENGTH (counted in UTF-16 code units). */
  maxTextLength?: number;
  /** Usually the file name; it prefixes line numbers in messages. */
  source?: string;
};

export type Example = { text: string; label?: string; line: number };

export type Dataset = {
  examples: Example[];
  /** Sorted by line. Empty unless `onBadRow` is "skip". */
  badRows: BadRow[];
  /** Sorted by count, most frequent first, then by name. */
  labels: LabelCount[];
  /** Labels with fewer than 2 examples, which cannot be in both training and holdout. */
  rareLabels: LabelCount[];
  /** Texts that occur more than once after trimming; more than one label means they conflict. */
  duplicateTexts: DuplicateText[];
  textColumn: string;
  labelColumn?: string;
  source?: string;
};

export const DEFAULT_MAX_TEXT_LENGTH = 10_000;

/** Tried in order when no label column is named; these are the names public datasets use. */
export const LABEL_COLUMN_CANDIDATES = ["label", "category", "intent", "class"] as const;

/** How many bad rows a one-line error message names before "and N more". */
const BAD_ROWS_IN_MESSAGE = 3;

/** A row before checking: `undefined` means the column is absent (possible only in JSONL and JSON). */
type RawRow = { line: number; text: unknown; label: unknown };

type Columns = { text: string; label?: string };

type RowCheck = {
  columns: Columns;
  labelRequired: boolean;
  maxTextLength: number;
};

/**
 * Reads a dataset from CSV, JSONL or JSON-array text.
 *
 * Texts are kept exactly as written; labels are trimmed, so "spam " and "spam" are one label.
 * In JSONL and JSON a numeric label becomes its decimal string (3 becomes "3") because numeric
 * class ids are common in public datasets; booleans, arrays and objects are bad rows.
 * Throws DatasetError for a missing column, an empty or headerless file, or (with the default
 * `onBadRow: "fail"`) any bad row.
 */
export function readDataset(content: string, options: DatasetOptions): Dataset {
  const reader = new DatasetReader(options);
  reader.push(content);
  return reader.end();
}

/**
 * readDataset over text that arrives in chunks (a request body): `push` each chunk, then `end`.
 * Rows are parsed as their text completes; with `maxRows`, the push that completes one row more
 * (a good or a bad one) throws RowLimitError, so a caller can refuse a flood of rows without
 * reading or holding the rest of it.
 */
export class DatasetReader {
  readonly #options: DatasetOptions;
  readonly #maxTextLength: number;
  readonly #parser: CsvParser | JsonlParser | JsonArrayParser;

  constructor(options: DatasetOptions & { maxRows?: number }) {
    const maxTextLength = options.maxTextLength ?? DEFAULT_MAX_TEXT_LENGTH;
    if (!Number.isInteger(maxTextLength) || maxTextLength < 1) {
      throw new RangeError(`maxTextLength must be a positive integer, got ${maxTextLength}`);
    }
    this.#options = options;
    this.#maxTextLength = maxTextLength;
    const limit = { maxRows: options.maxRows };
    if (options.format === "csv") this.#parser = new CsvParser(limit);
    else if (options.format === "jsonl") this.#parser = new JsonlParser(limit);
    else if (options.format === "json") this.#parser = new JsonArrayParser(limit);
    else throw new DatasetError(`${where(options)}: unknown format ${JSON.stringify(options.format)}; use "csv", "jsonl" or "json"`);
  }

  /** Rows read so far, good and bad. */
  get rows(): number {
    return this.#parser.rows;
  }

  push(chunk: string): void {
    this.#parser.push(chunk);
  }

  end(): Dataset {
    const options = this.#options;
    const labelRequired = options.labelRequired ?? true;
    const parser = this.#parser;
    let parsed: { columns: Columns; rows: RawRow[]; parseErrors: BadRow[] };
    if (parser instanceof CsvParser) parsed = fromCsv(parser.end(), options, labelRequired);
    else if (parser instanceof JsonlParser) parsed = fromJsonRecords(parser.end(), "one JSON object per line", options, labelRequired);
    else parsed = fromJsonArray(parser.end(), options, labelRequired);

    const check: RowCheck = { columns: parsed.columns, labelRequired, maxTextLength: this.#maxTextLength };
    const examples: Example[] = [];
    const badRows = parsed.parseErrors.slice();
    for (const row of parsed.rows) {
      const result = checkRow(row, check);
      if (typeof result === "string") badRows.push({ line: row.line, reason: result });
      else examples.push(result);
    }
    badRows.sort((a, b) => a.line - b.line);

    if (badRows.length > 0 && (options.onBadRow ?? "fail") === "fail") {
      throw new DatasetError(badRowsMessage(badRows, options.source), badRows);
    }

    return {
      examples,
      badRows,
      ...summariseExamples(examples),
      textColumn: parsed.columns.text,
      labelColumn: parsed.columns.label,
      source: options.source,
    };
  }
}

function fromCsv(table: CsvTable, options: DatasetOptions, labelRequired: boolean) {
  if (table.header.length === 0) {
    const headerError = table.errors[0];
    if (headerError !== undefined) {
      throw new DatasetError(`${atLine(options.source, headerError.line)}: ${headerError.reason}`, [headerError]);
    }
    throw new DatasetError(`${where(options)} is empty: expected a header row naming the columns, such as "text,label"`);
  }

  // Trimmed because "text, label" (a space after the comma) is a common way to write a header.
  const names = table.header.map((name) => name.trim());
  const columns = resolveColumns(names, options, labelRequired, "column");
  const textIndex = onlyIndexOf(names, columns.text, options);
  const labelIndex = columns.label === undefined ? -1 : onlyIndexOf(names, columns.label, options);
  const rows: RawRow[] = table.records.map((record) => ({
    line: record.line,
    text: record.fields[textIndex],
    label: labelIndex < 0 ? undefined : record.fields[labelIndex],
  }));
  return { columns, rows, parseErrors: table.errors };
}

function fromJsonArray(parsed: JsonlResult | string, options: DatasetOptions, labelRequired: boolean) {
  // oneLine: JSON.parse's message may quote the input, line ends and all.
  if (typeof parsed === "string") throw new DatasetError(`${where(options)}: ${oneLine(parsed)}`);
  return fromJsonRecords(parsed, "a JSON array of objects", options, labelRequired);
}

function fromJsonRecords({ records, errors }: JsonlResult, expected: string, options: DatasetOptions, labelRequired: boolean) {
  if (records.length === 0 && errors.length === 0) {
    throw new DatasetError(`${where(options)} is empty: expected ${expected}`);
  }

  let columns: Columns;
  if (records.length === 0) {
    // Every line is bad, so there are no keys to check the columns against; the bad rows say why.
    const label = options.labelColumn ?? (labelRequired ? LABEL_COLUMN_CANDIDATES[0] : undefined);
    columns = { text: options.textColumn ?? "text", label };
  } else {
    const keys = new Set<string>();
    for (const record of records) for (const key of Object.keys(record.value)) keys.add(key);
    columns = resolveColumns([...keys], options, labelRequired, "field");
  }

  const { text, label } = columns;
  const rows: RawRow[] = records.map(({ line, value }) => ({
    line,
    // Own properties only: a "constructor" column must not read Object.prototype.constructor.
    text: Object.hasOwn(value, text) ? value[text] : undefined,
    label: label !== undefined && Object.hasOwn(value, label) ? value[label] : undefined,
  }));
  return { columns, rows, parseErrors: errors };
}

function resolveColumns(
  available: string[],
  options: DatasetOptions,
  labelRequired: boolean,
  kind: "column" | "field",
): Columns {
  const text = options.textColumn ?? "text";
  if (!available.includes(text)) {
    const hint = options.textColumn === undefined ? " (set textColumn to use another)" : "";
    throw new DatasetError(`${where(options)} has no ${kind} "${text}"${hint}; ${listAvailable(available, kind)}`);
  }

  let label: string | undefined = options.labelColumn;
  if (label !== undefined) {
    if (!available.includes(label)) {
      throw new DatasetError(`${where(options)} has no ${kind} "${label}"; ${listAvailable(available, kind)}`);
    }
  } else {
    label = LABEL_COLUMN_CANDIDATES.find((name) => name !== text && available.includes(name));
    if (label === undefined && labelRequired) {
      const tried = LABEL_COLUMN_CANDIDATES.map((name) => `"${name}"`).join(", ");
      throw new DatasetError(
        `${where(options)} has no label ${kind} (looked for ${tried}; set labelColumn to name it, ` +
          `or labelRequired: false for unlabeled text); ${listAvailable(available, kind)}`,
      );
    }
  }

  if (label === text) {
    throw new DatasetError(`${where(options)}: the text and label ${kind}s are both "${text}"`);
  }
  return { text, label };
}

function onlyIndexOf(names: string[], name: string, options: DatasetOptions): number {
  const index = names.indexOf(name);
  if (names.lastIndexOf(name) !== index) {
    throw new DatasetError(`${where(options)} has more than one column named "${name}" in its header`);
  }
  return index;
}

/** Returns the example, or the reason the row is bad. */
function checkRow(row: RawRow, check: RowCheck): Example | string {
  const { text, label } = row;
  const { columns, labelRequired, maxTextLength } = check;

  if (text === undefined) return `missing text field "${columns.text}"`;
  if (typeof text !== "string") return `text is ${describeJsonType(text)}, expected a string`;
  if (text.trim() === "") return "empty text";
  if (text.length > maxTextLength) {
    return `text is ${text.length} characters, over the limit of ${maxTextLength} (maxTextLength)`;
  }
  if (columns.label === undefined) return { text, line: row.line };

  let name: string | undefined;
  if (typeof label === "string") name = label.trim();
  else if (typeof label === "number") name = String(label);
  else if (label !== undefined && label !== null) return `label is ${describeJsonType(label)}, expected a string`;

  if (name === undefined || name === "") {
    if (!labelRequired) return { text, line: row.line };
    if (label === undefined) return `missing label field "${columns.label}"`;
    if (label === null) return "label is null";
    return "empty label";
  }
  return { text, label: name, line: row.line };
}

export function badRowsMessage(badRows: BadRow[], source: string | undefined): string {
  const named = badRows.slice(0, BAD_ROWS_IN_MESSAGE).map((row) => `${atLine(source, row.line)}: ${oneLine(row.reason)}`);
  const more = badRows.length > BAD_ROWS_IN_MESSAGE ? `; and ${badRows.length - BAD_ROWS_IN_MESSAGE} more` : "";
  const count = badRows.length === 1 ? "1 bad row" : `${badRows.length} bad rows`;
  return `${count} in ${source ?? "the dataset"}: ${named.join("; ")}${more} (fix them, or set onBadRow to "skip" to leave them out)`;
}

function listAvailable(names: string[], kind: "column" | "field"): string {
  if (names.length === 0) return `it has no ${kind}s`;
  return `its ${kind}s are ${names.map((name) => JSON.stringify(name)).join(", ")}`;
}

function where(options: DatasetOptions): string {
  return options.source ?? "the dataset";
}

function atLine(source: string | undefined, line: number): string {
  return source === undefined ? `line ${line}` : `${source} line ${line}`;
}

/** JSON.parse messages may quote the input; the summary must stay on one line. */
function oneLine(reason: string): string {
  return reason.replace(/\s*[\r\n]+\s*/g, " ");
}
