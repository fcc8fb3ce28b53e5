// JSON Lines (one JSON object per line) and JSON arrays of objects. Pure, like the CSV parser, so
// the browser can use it. Both read their text in chunks (JsonlParser, JsonArrayParser), as a
// request body arrives, so that a caller can stop at a row limit without holding the whole input
// or every parsed object; parseJsonl and parseJsonArray read a whole text.
import { RowLimitError } from "./errors.js";

export type JsonlRecord = { line: number; value: Record<string, unknown> };
export type JsonlError = { line: number; reason: string };
export type JsonlResult = { records: JsonlRecord[]; errors: JsonlError[] };

const BOM = 0xfeff;

/**
 * Parses JSON Lines text. Lines end at LF (a CR before it is JSON whitespace, so CRLF files
 * work); a leading BOM is dropped; blank lines are skipped. Every other line becomes either a
 * record or an error with its 1-based line number, so nothing is lost without a report.
 */
export function parseJsonl(text: string): JsonlResult {
  const parser = new JsonlParser();
  parser.push(text);
  return parser.end();
}

/** Collects records and row errors, and stops at `maxRows` of them (RowLimitError). */
class RowCollector {
  readonly records: JsonlRecord[] = [];
  readonly errors: JsonlError[] = [];
  readonly #maxRows: number;

  constructor(maxRows = Infinity) {
    this.#maxRows = maxRows;
  }

  get rows(): number {
    return this.records.length + this.errors.length;
  }

  /** A parsed value: a record if it is an object, else an error naming what it is. */
  add(line: number, value: unknown): void {
    if (value === null || typeof value !== "object" || Array.isArray(value)) this.error(line, `expected a JSON object, found ${describeJsonType(value)}`);
    else this.records.push({ line, value: value as Record<string, unknown> });
    this.#check();
  }

  error(line: number, reason: string): void {
    this.errors.push({ line, reason });
    this.#check();
  }

  #check(): void {
    if (this.rows > this.#maxRows) throw new RowLimitError(this.#maxRows);
  }
}

/**
 * What both chunked parsers share: their rows, and a BOM dropped from the text's start (the first
 * non-empty chunk) before `take` sees it.
 */
abstract class ChunkedRowParser {
  protected readonly rowCollector: RowCollector;
  #started = false;

  constructor(options: { maxRows?: number } = {}) {
    this.rowCollector = new RowCollector(options.maxRows);
  }

  get rows(): number {
    return this.rowCollector.rows;
  }

  push(chunk: string): void {
    if (!this.#started) {
      if (chunk === "") return;
      this.#started = true;
      if (chunk.charCodeAt(0) === BOM) chunk = chunk.slice(1);
    }
    this.take(chunk);
  }

  protected abstract take(chunk: string): void;
}

/** parseJsonl over chunks: `push` each, then `end`; with `maxRows`, throws RowLimitError past that many rows. */
export class JsonlParser extends ChunkedRowParser {
  /** The current line's text so far (chunks since its start, not yet joined). */
  #rest = "";
  #line = 0;

  protected take(chunk: string): void {
    // Only the new chunk is searched for line ends: a long line costs linear time however it is cut.
    let end = chunk.indexOf("\n");
    if (end === -1) {
      this.#rest += chunk;
      return;
    }
    this.#readLine(this.#rest + chunk.slice(0, end));
    let start = end + 1;
    for (end = chunk.indexOf("\n", start); end !== -1; end = chunk.indexOf("\n", start)) {
      this.#readLine(chunk.slice(start, end));
      start = end + 1;
    }
    this.#rest = chunk.slice(start);
  }

  end(): JsonlResult {
    this.#readLine(this.#rest);
    this.#rest = "";
    return { records: this.rowCollector.records, errors: this.rowCollector.errors };
  }

  #readLine(raw: string): void {
    const line = ++this.#line;
    if (raw.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      this.rowCollector.error(line, `invalid JSON: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    this.rowCollector.add(line, value);
  }
}

/** Names a JSON value's type as a user would ("array", "null"), which `typeof` does not. */
export function describeJsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "undefined") return "nothing";
  return `a ${typeof value}`;
}

/**
 * Parses a JSON array of objects into the same shape as parseJsonl, so a dataset can be checked
 * row by row: `line` is the item's 1-based position in the array, because a JSON document gives
 * its items no useful line of their own. Returns the reason instead when the text is not a JSON
 * array at all, since then there are no rows to report.
 */
export function parseJsonArray(text: string): JsonlResult | string {
  const parser = new JsonArrayParser();
  parser.push(text);
  return parser.end();
}

/** What a JSON text starting with this character is, when it is not an array. */
const TYPE_BY_FIRST_CHAR: Record<string, string> = { "{": "an object", '"': "a string", t: "a boolean", f: "a boolean", n: "null", "-": "a number" };

const isJsonSpace = (c: number) => c === 32 || c === 10 || c === 13 || c === 9;

/**
 * parseJsonArray over chunks. The array's own brackets and commas are found by a scan that
 * tracks nesting and strings (the only state carried from one chunk to the next); each item is
 * then given to JSON.parse on its own, so no more than one item's text is held unparsed. After a
 * syntax error the rest is ignored and `end` returns the reason. With `maxRows`, throws
 * RowLimitError past that many items.
 */
export class JsonArrayParser extends ChunkedRowParser {
  /** Text not yet consumed: from the start of the current item, or from the scan position. */
  #text = "";
  /** Characters dropped from the front of #text so far, for positions in messages. */
  #dropped = 0;
  /** Scan position in #text. */
  #i = 0;
  #state: "start" | "first" | "next" | "item" | "after" | "done" = "start";
  #itemStart = 0;
  #depth = 0;
  #inString = false;
  #escaped = false;
  #items = 0;
  #failure: string | undefined;

  protected take(chunk: string): void {
    if (this.#failure !== undefined) return;
    this.#text += chunk;
    this.#scan();
  }

  end(): JsonlResult | string {
    if (this.#failure !== undefined) return this.#failure;
    if (this.#state !== "done") return `invalid JSON: unexpected end of the data ${this.#state === "start" ? "(it is empty)" : "(the array is never closed)"}`;
    return { records: this.rowCollector.records, errors: this.rowCollector.errors };
  }

  #fail(reason: string): void {
    this.#failure = `invalid JSON: ${reason}`;
    this.#text = "";
  }

  #scan(): void {
    const text = this.#text;
    const n = text.length;
    let i = this.#i;
    for (; i < n && this.#failure === undefined; i++) {
      const c = text.charCodeAt(i);
      if (this.#state === "item") {
        if (this.#inString) {
          if (this.#escaped) this.#escaped = false;
          else if (c === 92) this.#escaped = true;
          else if (c === 34) this.#inString = false;
        } else if (c === 34) this.#inString = true;
        else if (c === 123 || c === 91) this.#depth++;
        else if ((c === 125 || c === 93) && this.#depth > 0) this.#depth--;
        else if (this.#depth === 0 && (c === 44 || c === 93)) {
          this.#item(text.slice(this.#itemStart, i));
          this.#state = c === 44 ? "next" : "done";
        } else if (this.#depth === 0 && c === 125) this.#fail(`unexpected "}" at position ${this.#dropped + i}`);
        continue;
      }
      if (isJsonSpace(c)) continue;
      const ch = text[i];
      if (this.#state === "start") {
        if (ch === "[") this.#state = "first";
        else if (Object.hasOwn(TYPE_BY_FIRST_CHAR, ch) || (c >= 48 && c <= 57)) this.#failure = `expected a JSON array of objects, found ${TYPE_BY_FIRST_CHAR[ch] ?? "a number"}`;
        else this.#fail(`unexpected ${JSON.stringify(ch)} at position ${this.#dropped + i}`);
      } else if (this.#state === "done") {
        this.#fail(`unexpected ${JSON.stringify(ch)} after the end of the array, at position ${this.#dropped + i}`);
      } else if (this.#state === "first" && ch === "]") {
        this.#state = "done";
      } else if (ch === "," || ch === "]") {
        this.#fail(`unexpected ${JSON.stringify(ch)} at position ${this.#dropped + i}: expected an item`);
      } else {
        this.#state = "item";
        this.#itemStart = i;
        this.#depth = 0;
        this.#inString = false;
        this.#escaped = false;
        i--; // the item's first character is scanned as part of it
      }
    }
    if (this.#failure !== undefined) return;
    // Keep only what is still needed: the current item's text, or nothing.
    const keep = this.#state === "item" ? this.#itemStart : i;
    this.#text = text.slice(keep);
    this.#dropped += keep;
    this.#i = i - keep;
    this.#itemStart -= keep;
  }

  #item(raw: string): void {
    const position = ++this.#items;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      this.#fail(`item ${position}: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    this.rowCollector.add(position, value);
  }
}
