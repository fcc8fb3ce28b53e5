// RFC 4180 CSV. One pass over char codes, slicing fields out of the input instead of building
// them a character at a time, because training files run to 100k rows. Incremental (CsvParser
// takes the text in chunks, as a request body arrives) so that a caller can stop at a row limit
// without holding the whole input. Pure (no Node APIs) so the browser can use it too.
import { RowLimitError } from "./errors.js";

export type CsvRecord = {
  /** 1-based physical line where the record starts (a quoted field may span several lines). */
  line: number;
  fields: string[];
};

/** One per rejected record, so records + errors accounts for every non-blank record after the header. */
export type CsvError = { line: number; reason: string };

export type CsvTable = { header: string[]; records: CsvRecord[]; errors: CsvError[] };

const COMMA = 44;
const QUOTE = 34;
const LF = 10;
const CR = 13;
const BOM = 0xfeff;

/**
 * Parses CSV text whose first record is the header.
 *
 * Choices beyond RFC 4180: LF and lone CR end lines as well as CRLF; a leading BOM is dropped;
 * blank lines are skipped (they carry no data, and this makes a trailing newline harmless);
 * field values are kept exactly as written, including spaces and newlines inside quotes.
 * A bad record is reported in `errors` and left out of `records`; parsing resumes on the next
 * line. Errors about quotes give the line of the offending quote; field-count errors give the
 * record's first line. If the header itself is bad, `header` is empty and its error comes first.
 */
export function parseCsv(text: string): CsvTable {
  const parser = new CsvParser();
  parser.push(text);
  return parser.end();
}

/**
 * parseCsv over text that arrives in chunks: `push` each chunk, then `end`. Records are parsed as
 * soon as they are complete; with `maxRows`, the push that completes one record (or error) more
 * than that throws RowLimitError. A record still open at the end of a chunk is parsed again
 * once the text after its start has doubled, so a long quoted field costs linear time overall.
 */
export class CsvParser {
  readonly #maxRows: number;
  /** Unparsed text: what remains of the chunks since the first incomplete record. */
  #text = "";
  /** Physical line of the first character of #text. */
  #line = 1;
  #started = false;
  /** Parse again only once #text is at least this long (see the class comment). */
  #retryAt = 0;
  #header: string[] | undefined;
  readonly #records: CsvRecord[] = [];
  readonly #errors: CsvError[] = [];

  constructor(options: { maxRows?: number } = {}) {
    this.#maxRows = options.maxRows ?? Infinity;
  }

  /** Rows read so far (records and rejected records, the header aside). */
  get rows(): number {
    return this.#records.length + this.#errors.length;
  }

  push(chunk: string): void {
    if (!this.#started) {
      if (chunk === "") return;
      this.#started = true;
      if (chunk.charCodeAt(0) === BOM) chunk = chunk.slice(1);
    }
    this.#text += chunk;
    if (this.#text.length >= this.#retryAt) this.#parse(false);
  }

  end(): CsvTable {
    this.#parse(true);
    return { header: this.#header ?? [], records: this.#records, errors: this.#errors };
  }

  /**
   * Parses every complete record of #text. Unless `final`, the last character is never read as
   * data, only looked ahead at: a record that reaches it may go on in the next chunk (a CR may be
   * half of a CRLF, a quote half of a doubled one), so it is left for the next call.
   */
  #parse(final: boolean): void {
    const text = this.#text;
    const n = final ? text.length : text.length - 1;
    let i = 0;
    let line = this.#line;
    this.#retryAt = 0;

    while (i < n) {
      const first = text.charCodeAt(i);
      if (first === LF || first === CR) {
        i += first === CR && text.charCodeAt(i + 1) === LF ? 2 : 1;
        line++;
        continue;
      }

      const recordStart = i;
      const recordLine = line;
      const fields: string[] = [];
      let error: CsvError | undefined;
      let incomplete = false;

      record: while (true) {
        if (text.charCodeAt(i) === QUOTE) {
          const openLine = line;
          let value = "";
          let segment = ++i;
          while (true) {
            if (i >= n) {
              if (!final) {
                incomplete = true;
                break record;
              }
              error = {
                line: openLine,
                reason: `unterminated quoted field: the quote opened on line ${openLine} is never closed, so the rest of the file was read into it`,
              };
              break record;
            }
            const c = text.charCodeAt(i);
            if (c === QUOTE) {
              if (text.charCodeAt(i + 1) !== QUOTE) break;
              value += text.slice(segment, i + 1);
              i += 2;
              segment = i;
            } else {
              if (c === LF || (c === CR && text.charCodeAt(i + 1) !== LF)) line++;
              i++;
            }
          }
          fields.push(value + text.slice(segment, i));
          i++;
          if (i >= n) {
            if (!final) incomplete = true;
            break;
          }
          const after = text.charCodeAt(i);
          if (after === COMMA) {
            i++;
            continue;
          }
          if (after === LF || after === CR) break;
          error = {
            line,
            reason: `unexpected text after the closing quote of field ${fields.length}; a quote inside a quoted field must be doubled ("")`,
          };
          break;
        }

        const start = i;
        while (i < n) {
          const c = text.charCodeAt(i);
          if (c === COMMA || c === LF || c === CR) break;
          if (c === QUOTE) {
            error = {
              line,
              reason: `stray quote in unquoted field ${fields.length + 1}; put the whole field in quotes and double the quotes inside it ("")`,
            };
            break record;
          }
          i++;
        }
        if (i >= n && !final) {
          incomplete = true;
          break;
        }
        fields.push(text.slice(start, i));
        if (i < n && text.charCodeAt(i) === COMMA) {
          i++;
          continue;
        }
        break;
      }

      if (error !== undefined) {
        while (i < n) {
          const c = text.charCodeAt(i);
          if (c === LF || c === CR) break;
          i++;
        }
        if (i >= n && !final) incomplete = true;
      }
      if (incomplete) {
        // Left for the next chunk, read again from its start once the text has doubled.
        i = recordStart;
        line = recordLine;
        this.#retryAt = 2 * (text.length - recordStart);
        break;
      }
      if (i < n) {
        i += text.charCodeAt(i) === CR && text.charCodeAt(i + 1) === LF ? 2 : 1;
        line++;
      }
      this.#add(fields, recordLine, error);
    }

    this.#text = text.slice(i);
    this.#line = line;
  }

  #add(fields: string[], recordLine: number, error: CsvError | undefined): void {
    const header = this.#header;
    if (header === undefined) {
      this.#header = error === undefined ? fields : [];
      if (error !== undefined) this.#errors.push({ line: error.line, reason: `header: ${error.reason}` });
      return;
    }
    if (error !== undefined) this.#errors.push(error);
    else if (header.length > 0 && fields.length !== header.length) this.#errors.push({ line: recordLine, reason: `expected ${header.length} fields, found ${fields.length}` });
    else this.#records.push({ line: recordLine, fields });
    if (this.rows > this.#maxRows) throw new RowLimitError(this.#maxRows);
  }
}

/** Quotes a field when RFC 4180 requires it (comma, quote, CR or LF), doubling inner quotes. */
function formatField(field: string): string {
  return /[",\r\n]/.test(field) ? `"${field.replaceAll('"', '""')}"` : field;
}

/** Writes a header and rows as RFC 4180 CSV with CRLF-free LF line ends; parseCsv reads it back. */
export function formatCsv(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [header, ...rows].map((r) => r.map(formatField).join(",")).join("\n") + "\n";
}
