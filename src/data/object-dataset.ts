// Gold objects for a structured task: JSONL lines {"text": "…", "output": {…}}, the answer each
// text should get. Extracted values are plain strings, located in their text here. Every line is
// checked against the task's fields by the very checks a teacher's answer goes through
// (checkStructuredObject), so a file that passes here holds answers the cascade could have got
// from its teacher. ObjectDatasetReader reads the same records as they arrive (a request body),
// also from a JSON array or from CSV (object-csv.ts maps a row to its record). Pure (no Node
// APIs): the CLI reads the file, the gateway streams a body.
import type { StructuredObject } from "../engine/structured-answer.js";
import type { TaskOutputField } from "../task/output-fields.js";
import { checkStructuredObject } from "../teacher/structured-parse.js";
import { CsvParser } from "./csv.js";
import { badRowsMessage, DEFAULT_MAX_TEXT_LENGTH } from "./dataset.js";
import { DatasetError, type BadRow } from "./errors.js";
import { describeJsonType, JsonArrayParser, JsonlParser, type JsonlRecord } from "./jsonl.js";
import { objectCsvColumns, objectCsvRecord } from "./object-csv.js";
import { checkText } from "./span-dataset.js";

export interface ObjectRecord {
  text: string;
  /** The checked object: fields in task order, extracted values as the text's own characters. */
  object: StructuredObject;
  /** Its canonical JSON (canonicalAnswer): the answer string the cascade compares. */
  answer: string;
  line: number;
}

export interface ObjectDataset {
  examples: ObjectRecord[];
  badRows: BadRow[];
  source?: string;
}

export interface ObjectDatasetOptions {
  /** The field holding the text; defaults to "text". */
  textField?: string;
  onBadRow?: "skip" | "fail";
  maxTextLength?: number;
  source?: string;
}

/** Throws DatasetError naming the bad lines (with onBadRow "fail", the default) or when no line is usable. */
export function readObjectDataset(content: string, fields: readonly TaskOutputField[], options: ObjectDatasetOptions = {}): ObjectDataset {
  const reader = new ObjectDatasetReader(fields, { ...options, format: "jsonl" });
  reader.push(content);
  const { examples, badRows } = reader.end();
  if (badRows.length > 0 && (options.onBadRow ?? "fail") === "fail") throw new DatasetError(badRowsMessage(badRows, options.source), badRows);
  if (examples.length === 0) throw new DatasetError(`${options.source ?? "the dataset"} has no usable texts`, badRows);
  return { examples, badRows, source: options.source };
}

/** "jsonl": {"text", "output"} per line; "json": an array of them (a row's line is its position); "csv": see object-csv.ts. */
export type ObjectDatasetFormat = "jsonl" | "json" | "csv";

export interface ObjectReaderOptions extends Pick<ObjectDatasetOptions, "textField" | "maxTextLength" | "source"> {
  format: ObjectDatasetFormat;
  /** With it, the push that completes one row more (good or bad) throws RowLimitError. */
  maxRows?: number;
}

/**
 * readObjectDataset's rows over text that arrives in chunks: `push` each chunk, then `end`. Rows
 * are parsed as their text completes (and counted against `maxRows`); `end` checks them, each by
 * checkRecord, and leaves the policy to the caller: it returns every good row and every bad one.
 */
export class ObjectDatasetReader {
  readonly #fields: readonly TaskOutputField[];
  readonly #options: ObjectReaderOptions;
  readonly #parser: CsvParser | JsonlParser | JsonArrayParser;

  constructor(fields: readonly TaskOutputField[], options: ObjectReaderOptions) {
    this.#fields = fields;
    this.#options = options;
    const limit = { maxRows: options.maxRows };
    this.#parser = options.format === "csv" ? new CsvParser(limit) : options.format === "json" ? new JsonArrayParser(limit) : new JsonlParser(limit);
  }

  /** Rows read so far, good and bad. */
  get rows(): number {
    return this.#parser.rows;
  }

  push(chunk: string): void {
    this.#parser.push(chunk);
  }

  /** Throws DatasetError only when the input as a whole cannot be read: a JSON body that is no array, a CSV header without the needed columns. */
  end(): ObjectDataset {
    const { records, errors } = this.#records();
    const examples: ObjectRecord[] = [];
    const badRows: BadRow[] = errors.slice();
    const maxTextLength = this.#options.maxTextLength ?? DEFAULT_MAX_TEXT_LENGTH;
    for (const { line, value } of records) {
      const checked = checkRecord(value, this.#fields, this.#options.textField ?? "text", maxTextLength);
      if (typeof checked === "string") badRows.push({ line, reason: checked });
      else examples.push({ ...checked, line });
    }
    badRows.sort((a, b) => a.line - b.line);
    return { examples, badRows, source: this.#options.source };
  }

  #records(): { records: JsonlRecord[]; errors: BadRow[] } {
    const parser = this.#parser;
    const where = this.#options.source ?? "the dataset";
    if (parser instanceof JsonlParser) return parser.end();
    if (parser instanceof JsonArrayParser) {
      const parsed = parser.end();
      if (typeof parsed === "string") throw new DatasetError(`${where}: ${parsed.replace(/\s*[\r\n]+\s*/g, " ")}`);
      return parsed;
    }
    const table = parser.end();
    if (table.header.length === 0) {
      const headerError = table.errors[0];
      if (headerError !== undefined) throw new DatasetError(`${where} line ${headerError.line}: ${headerError.reason}`, [headerError]);
      return { records: [], errors: [] };
    }
    const columns = objectCsvColumns(table.header, this.#fields, this.#options.textField ?? "text", where);
    return { records: table.records.map(({ line, fields }) => ({ line, value: objectCsvRecord(fields, columns) })), errors: table.errors };
  }
}

function checkRecord(value: Record<string, unknown>, fields: readonly TaskOutputField[], textField: string, maxTextLength: number): Omit<ObjectRecord, "line"> | string {
  const text = Object.hasOwn(value, textField) ? value[textField] : undefined;
  const bad = checkText(text, textField, maxTextLength);
  if (bad !== null) return bad;
  const output = Object.hasOwn(value, "output") ? value.output : undefined;
  if (output === undefined) {
    // The usual mistake: a label task's row sent to a structured task.
    const label = Object.hasOwn(value, "label") ? '; this is a structured task, which takes no "label"' : "";
    return `missing field "output" (the gold object for the text${label})`;
  }
  if (typeof output !== "object" || output === null || Array.isArray(output)) return `output is ${describeJsonType(output)}, expected an object`;
  const checked = checkStructuredObject(output as StructuredObject, text as string, fields);
  return "invalid" in checked ? `output: ${checked.invalid}` : { text: text as string, object: checked.object, answer: checked.label };
}
