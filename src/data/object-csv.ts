// A structured task's examples as CSV: a text column plus one column per field of its output
// block, each cell written the way a spreadsheet holds it — tags and lists as `a|b`, booleans as
// true/false, an empty cell for null (absent; an empty list). This module only maps a row to the
// `{text, output}` record a JSONL line would hold; checking the object is left entirely to
// checkStructuredObject (through object-dataset.ts), so a cell that maps to nothing valid (`yes`
// for a boolean, `12a` for a number) is passed on as written and refused there, naming its field.
// Pure (no Node APIs).
import type { TaskOutputField } from "../task/output-fields.js";
import { DatasetError } from "./errors.js";

/** Where the text and each field's cell are in a CSV row; fields without a column are absent (null). */
export interface ObjectCsvColumns {
  textField: string;
  textIndex: number;
  fields: { field: TaskOutputField; index: number }[];
}

/** The separator of the items of a tags or list cell. */
export const LIST_SEPARATOR = "|";

/**
 * Matches a CSV header to the fields: the text column and a column per required field must be
 * there; an optional field's column may be left out; any other column is refused (a typo must not
 * silently become a missing value), as is a column named twice. Throws DatasetError.
 */
export function objectCsvColumns(header: readonly string[], fields: readonly TaskOutputField[], textField: string, where: string): ObjectCsvColumns {
  // Trimmed: "text, intent" (a space after the comma) is a common way to write a header.
  const names = header.map((name) => name.trim());
  const fieldList = fields.map((f) => f.name).join(", ");
  const repeated = names.find((name, i) => names.indexOf(name) !== i);
  if (repeated !== undefined) throw new DatasetError(`${where} has more than one column named "${repeated}" in its header`);
  const textIndex = names.indexOf(textField);
  if (textIndex < 0) throw new DatasetError(`${where} has no column "${textField}" (set textField to use another); its columns are ${names.map((n) => JSON.stringify(n)).join(", ")}`);
  const known = new Set(fields.map((f) => f.name));
  const unknown = names.filter((name, i) => i !== textIndex && !known.has(name));
  if (unknown.length > 0) {
    const labelHint = unknown.some((name) => name === "label") ? " (a structured task takes no label column: give each field its own column)" : "";
    throw new DatasetError(`${where}: column${unknown.length > 1 ? "s" : ""} ${unknown.map((n) => JSON.stringify(n)).join(", ")} ${unknown.length > 1 ? "are" : "is"} not the text nor a field of the task${labelHint}; its fields are ${fieldList}`);
  }
  const missing = fields.filter((f) => f.required && !names.includes(f.name));
  if (missing.length > 0) throw new DatasetError(`${where} has no column for the required field${missing.length > 1 ? "s" : ""} ${missing.map((f) => f.name).join(", ")}; give the text and one column per field (${fieldList})`);
  return { textField, textIndex, fields: fields.filter((f) => names.includes(f.name)).map((field) => ({ field, index: names.indexOf(field.name) })) };
}

/** The `{text, output}` record a CSV row stands for (the shape a JSONL line holds). */
export function objectCsvRecord(cells: readonly string[], columns: ObjectCsvColumns): Record<string, unknown> {
  const output: Record<string, unknown> = {};
  for (const { field, index } of columns.fields) output[field.name] = cellValue(field, cells[index] ?? "");
  return { [columns.textField]: cells[columns.textIndex], output };
}

/** A cell as the JSON value its field takes; what cannot be read as one is passed on as written, to be refused by the field's check. */
export function cellValue(field: TaskOutputField, cell: string): unknown {
  const trimmed = cell.trim();
  if (trimmed === "") return null;
  switch (field.kind) {
    case "boolean":
      return booleanOf(trimmed);
    case "choice":
      return trimmed;
    case "extract":
      // The check locates it in the text, ignoring case and surrounding space.
      return cell;
    case "tags":
    case "extract_list":
      return listOf(trimmed);
    case "teacher_only": {
      const t = field.valueType;
      if (t === undefined || t.type === "string") return t?.list ? listOf(trimmed) : cell;
      const one: (item: string) => unknown = t.type === "boolean" ? booleanOf : numberOf;
      return t.list ? listOf(trimmed).map(one) : one(trimmed);
    }
  }
}

function listOf(cell: string): string[] {
  return cell
    .split(LIST_SEPARATOR)
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

function booleanOf(cell: string): boolean | string {
  const lower = cell.toLowerCase();
  return lower === "true" ? true : lower === "false" ? false : cell;
}

/** A number written as JSON writes one; anything else stays a string (and fails the type check). */
function numberOf(cell: string): number | string {
  return /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(cell) && Number.isFinite(Number(cell)) ? Number(cell) : cell;
}
