// A JSON object read as its text arrives, for request bodies that carry big arrays (a predict
// batch of 1,000 × 5,000 characters is a 5 MB body). JSON.parse of the whole text held the
// gateway's event loop for tens of milliseconds per body; here the object's own braces, keys,
// colons and commas, and the brackets and commas of a member whose value is an array, are found
// by a scan, and each value (each item of such an array) is given to JSON.parse on its own. The
// work done per pushed chunk is bounded by the chunk's size, and no more than one value's text is
// held unparsed. Pure, so the browser could use it too.

/** A body that is not a JSON object, or not valid JSON; `position` counts UTF-16 units from the start. */
export class JsonObjectError extends Error {
  constructor(
    readonly reason: string,
    readonly position: number,
  ) {
    super(`invalid JSON at character ${position}: ${reason}`);
  }
}

type State = "start" | "key-or-close" | "key" | "colon" | "value" | "member-next" | "item-or-close" | "item" | "item-next" | "done";

const isSpace = (c: number) => c === 32 || c === 10 || c === 13 || c === 9;
const QUOTE = 34;
const BACKSLASH = 92;

/**
 * Names that would reach an object's prototype once the parsed body is merged or copied
 * (prototype poisoning): refused, as Fastify's own JSON parser refuses them.
 */
function refuseProtoKeys(key: string, value: unknown): unknown {
  if (key === "__proto__" || (key === "constructor" && value !== null && typeof value === "object" && Object.hasOwn(value, "prototype"))) {
    throw new Error(`the key "${key}" is not allowed`);
  }
  return value;
}

/**
 * `push` each chunk of text, then `end` for the object. Members whose value is an array are
 * parsed item by item; any other value is parsed whole. Throws JsonObjectError on the first
 * syntax error, with its position.
 */
export class JsonObjectStream {
  readonly #result: Record<string, unknown> = {};
  /** Text not yet consumed; #dropped characters before it are gone. */
  #text = "";
  #dropped = 0;
  /** Scan position in #text. */
  #i = 0;
  #state: State = "start";
  #key = "";
  #items: unknown[] = [];
  /** Start in #text of the value (key or item) being scanned, and the scan's state inside it. */
  #valueStart = -1;
  #depth = 0;
  #inString = false;
  #escaped = false;

  push(chunk: string): void {
    this.#text += chunk;
    this.#scan(false);
    // Keep only what is still needed: the value under way, or nothing before the scan position.
    const keep = this.#valueStart >= 0 ? this.#valueStart : this.#i;
    if (keep > 0) {
      this.#text = this.#text.slice(keep);
      this.#dropped += keep;
      this.#i -= keep;
      if (this.#valueStart >= 0) this.#valueStart = 0;
    }
  }

  end(): Record<string, unknown> {
    this.#scan(true);
    if (this.#state !== "done") {
      throw new JsonObjectError(this.#state === "start" ? "the body is empty" : "unexpected end of the data (the object is never closed)", this.#dropped + this.#text.length);
    }
    return this.#result;
  }

  #fail(reason: string, at = this.#i): never {
    throw new JsonObjectError(reason, this.#dropped + at);
  }

  #scan(final: boolean): void {
    const text = this.#text;
    const n = text.length;
    while (this.#i < n || (final && this.#valueStart >= 0)) {
      if (this.#valueStart >= 0) {
        const end = this.#valueEnd(final);
        if (end < 0) return;
        this.#takeValue(end);
        continue;
      }
      const c = text.charCodeAt(this.#i);
      if (isSpace(c)) {
        this.#i++;
        continue;
      }
      const ch = text[this.#i]!;
      switch (this.#state) {
        case "start":
          if (ch !== "{") this.#fail(`the body must be a JSON object, it starts with ${JSON.stringify(ch)}`);
          this.#state = "key-or-close";
          this.#i++;
          break;
        case "key-or-close":
        case "key":
          if (ch === "}" && this.#state === "key-or-close") {
            this.#state = "done";
            this.#i++;
          } else if (ch === '"') this.#startValue();
          else this.#fail(`expected a member name in double quotes, found ${JSON.stringify(ch)}`);
          break;
        case "colon":
          if (ch !== ":") this.#fail(`expected ":" after the member name, found ${JSON.stringify(ch)}`);
          this.#state = "value";
          this.#i++;
          break;
        case "value":
          if (ch === "[") {
            this.#items = [];
            this.#state = "item-or-close";
            this.#i++;
          } else this.#startValue();
          break;
        case "member-next":
          if (ch === ",") this.#state = "key";
          else if (ch === "}") this.#state = "done";
          else this.#fail(`expected "," or "}" after a member, found ${JSON.stringify(ch)}`);
          this.#i++;
          break;
        case "item-or-close":
        case "item":
          if (ch === "]" && this.#state === "item-or-close") this.#closeArray();
          else this.#startValue();
          break;
        case "item-next":
          if (ch === ",") {
            this.#state = "item";
            this.#i++;
          } else if (ch === "]") this.#closeArray();
          else this.#fail(`expected "," or "]" after an array item, found ${JSON.stringify(ch)}`);
          break;
        case "done":
          this.#fail(`unexpected ${JSON.stringify(ch)} after the object's end`);
      }
    }
  }

  #startValue(): void {
    this.#valueStart = this.#i;
    this.#depth = 0;
    this.#inString = false;
    this.#escaped = false;
  }

  #closeArray(): void {
    this.#setMember(this.#items, this.#i);
    this.#items = [];
    this.#state = "member-next";
    this.#i++;
  }

  /**
   * The end (exclusive) of the value starting at #valueStart, or -1 when it is not all here yet;
   * resumes where the last call stopped. A string jumps from quote to quote; an object or array
   * tracks nesting and strings; anything else runs to the next delimiter.
   */
  #valueEnd(final: boolean): number {
    const text = this.#text;
    const n = text.length;
    const first = text.charCodeAt(this.#valueStart);
    if (first === QUOTE) {
      let j = Math.max(this.#i, this.#valueStart + 1);
      for (;;) {
        const q = text.indexOf('"', j);
        if (q < 0) {
          this.#i = n;
          return final ? this.#fail("unexpected end of the data inside a string", n) : -1;
        }
        let backslashes = 0;
        while (text.charCodeAt(q - 1 - backslashes) === BACKSLASH) backslashes++;
        if (backslashes % 2 === 0) return q + 1;
        j = q + 1;
      }
    }
    if (first === 123 || first === 91) {
      let i = Math.max(this.#i, this.#valueStart);
      for (; i < n; i++) {
        const c = text.charCodeAt(i);
        if (this.#inString) {
          if (this.#escaped) this.#escaped = false;
          else if (c === BACKSLASH) this.#escaped = true;
          else if (c === QUOTE) this.#inString = false;
        } else if (c === QUOTE) this.#inString = true;
        else if (c === 123 || c === 91) this.#depth++;
        else if (c === 125 || c === 93) {
          if (--this.#depth === 0) return i + 1;
        }
      }
      this.#i = n;
      return final ? this.#fail("unexpected end of the data inside a value", n) : -1;
    }
    let i = Math.max(this.#i, this.#valueStart);
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === 44 || c === 93 || c === 125 || isSpace(c)) return i;
    }
    this.#i = n;
    return final ? n : -1;
  }

  /** Parses the value text [#valueStart, end) and files it as a key, a member's value or an item. */
  #takeValue(end: number): void {
    const start = this.#valueStart;
    const raw = this.#text.slice(start, end);
    this.#valueStart = -1;
    this.#i = end;
    let value: unknown;
    try {
      // A string cannot carry a prototype-poisoning key: the reviver is for objects only.
      value = raw.charCodeAt(0) === QUOTE ? JSON.parse(raw) : JSON.parse(raw, refuseProtoKeys);
    } catch (err) {
      this.#fail(err instanceof Error ? err.message : String(err), start);
    }
    switch (this.#state) {
      case "key":
      case "key-or-close":
        this.#key = value as string;
        this.#state = "colon";
        break;
      case "value":
        this.#setMember(value, start);
        this.#state = "member-next";
        break;
      default:
        this.#items.push(value);
        this.#state = "item-next";
    }
  }

  #setMember(value: unknown, at: number): void {
    try {
      this.#result[this.#key] = refuseProtoKeys(this.#key, value);
    } catch (err) {
      this.#fail((err as Error).message, at);
    }
  }
}
