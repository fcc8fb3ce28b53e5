// RFC 4180 CSV. One pass over char codes, slicing fields out of the input instead of building
// them a character at a time, because training files run to 100k rows. Pure (no Node APIs) so
// the browser can use it too.

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
  const n = text.length;
  let i = text.charCodeAt(0) === BOM ? 1 : 0;
  let line = 1;
  let header: string[] | undefined;
  const records: CsvRecord[] = [];
  const errors: CsvError[] = [];

  while (i < n) {
    const first = text.charCodeAt(i);
    if (first === LF || first === CR) {
      i += first === CR && text.charCodeAt(i + 1) === LF ? 2 : 1;
      line++;
      continue;
    }

    const recordLine = line;
    const fields: string[] = [];
    let error: CsvError | undefined;

    record: while (true) {
      if (text.charCodeAt(i) === QUOTE) {
        const openLine = line;
        let value = "";
        let segment = ++i;
        while (true) {
          if (i >= n) {
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
        if (i >= n) break;
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
    }
    if (i < n) {
      i += text.charCodeAt(i) === CR && text.charCodeAt(i + 1) === LF ? 2 : 1;
      line++;
    }

    if (header === undefined) {
      header = error === undefined ? fields : [];
      if (error !== undefined) errors.push({ line: error.line, reason: `header: ${error.reason}` });
    } else if (error !== undefined) {
      errors.push(error);
    } else if (header.length > 0 && fields.length !== header.length) {
      errors.push({ line: recordLine, reason: `expected ${header.length} fields, found ${fields.length}` });
    } else {
      records.push({ line: recordLine, fields });
    }
  }

  return { header: header ?? [], records, errors };
}

/** Quotes a field when RFC 4180 requires it (comma, quote, CR or LF), doubling inner quotes. */
function formatField(field: string): string {
  return /[",\r\n]/.test(field) ? `"${field.replaceAll('"', '""')}"` : field;
}

/** Writes a header and rows as RFC 4180 CSV with CRLF-free LF line ends; parseCsv reads it back. */
export function formatCsv(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [header, ...rows].map((r) => r.map(formatField).join(",")).join("\n") + "\n";
}
