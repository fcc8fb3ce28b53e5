// Gold objects for a structured task: JSONL lines {"text": "…", "output": {…}}, the answer each
// text should get. Extracted values are plain strings, located in their text here. Every line is
// checked against the task's fields by the very checks a teacher's answer goes through
// (checkStructuredObject), so a file that passes here holds answers the cascade could have got
// from its teacher. Pure (no Node APIs): the CLI reads the file, the gateway could take a body.
import type { StructuredObject } from "../engine/structured-answer.js";
import type { TaskOutputField } from "../task/output-schema.js";
import { checkStructuredObject } from "../teacher/structured-parse.js";
import { badRowsMessage, DEFAULT_MAX_TEXT_LENGTH } from "./dataset.js";
import { DatasetError, type BadRow } from "./errors.js";
import { describeJsonType, parseJsonl } from "./jsonl.js";
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
  const maxTextLength = options.maxTextLength ?? DEFAULT_MAX_TEXT_LENGTH;
  const { records, errors } = parseJsonl(content);
  const examples: ObjectRecord[] = [];
  const badRows: BadRow[] = errors.slice();
  for (const { line, value } of records) {
    const checked = checkRecord(value, fields, options.textField ?? "text", maxTextLength);
    if (typeof checked === "string") badRows.push({ line, reason: checked });
    else examples.push({ ...checked, line });
  }
  badRows.sort((a, b) => a.line - b.line);
  if (badRows.length > 0 && (options.onBadRow ?? "fail") === "fail") throw new DatasetError(badRowsMessage(badRows, options.source), badRows);
  if (examples.length === 0) throw new DatasetError(`${options.source ?? "the dataset"} has no usable texts`, badRows);
  return { examples, badRows, source: options.source };
}

function checkRecord(value: Record<string, unknown>, fields: readonly TaskOutputField[], textField: string, maxTextLength: number): Omit<ObjectRecord, "line"> | string {
  const text = Object.hasOwn(value, textField) ? value[textField] : undefined;
  const bad = checkText(text, textField, maxTextLength);
  if (bad !== null) return bad;
  const output = Object.hasOwn(value, "output") ? value.output : undefined;
  if (output === undefined) return 'missing field "output" (the gold object for the text)';
  if (typeof output !== "object" || output === null || Array.isArray(output)) return `output is ${describeJsonType(output)}, expected an object`;
  const checked = checkStructuredObject(output as StructuredObject, text as string, fields);
  return "invalid" in checked ? `output: ${checked.invalid}` : { text: text as string, object: checked.object, answer: checked.label };
}
