/** A row that could not become an example; `line` is 1-based, as an editor shows it. */
export type BadRow = { line: number; reason: string };

/**
 * A dataset that cannot be used as asked: a missing file or column, bad encoding, or bad rows
 * with `onBadRow: "fail"`. The message is one line meant for the user; `badRows` lists every
 * bad row so a caller can show or save the full list rather than the few the message names.
 */
export class DatasetError extends Error {
  override readonly name: string = "DatasetError";
  readonly badRows: BadRow[];

  constructor(message: string, badRows: BadRow[] = [], options?: ErrorOptions) {
    super(message, options);
    this.badRows = badRows;
  }
}

/** More rows than a caller accepts (CsvParser, JsonlParser, JsonArrayParser with `maxRows`): reading stops there. */
export class RowLimitError extends DatasetError {
  override readonly name = "RowLimitError";
  readonly maxRows: number;

  constructor(maxRows: number) {
    super(`more than ${maxRows} rows`);
    this.maxRows = maxRows;
  }
}
