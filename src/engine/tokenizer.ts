// Text → normalised string → tokens. Word tokens are runs of letters, marks and digits, with
// inner apostrophes kept ("don't", "l'été"); each emoji is a token of its own; other punctuation
// separates tokens. Scripts written without spaces (Chinese, Japanese, Thai) come out as one long
// token per run, and the character n-grams inside it carry the signal.

import { IntBuffer } from "./int-buffer.js";

// Non-ASCII apostrophe look-alikes only, so ASCII text can skip this step and still agree.
const APOSTROPHES = /[\u2018\u2019\u02bc\uff07\u00b4]/g;
const TOKEN = /[\p{L}\p{M}\p{N}]+(?:'[\p{L}\p{M}\p{N}]+)*|\p{Extended_Pictographic}/gu;

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** Unicode NFKC, then lower case, with typographic apostrophes unified. */
export function normalizeText(text: string): string {
  if (isAscii(text)) return text.toLowerCase();
  return text.normalize("NFKC").toLowerCase().replace(APOSTROPHES, "'");
}

/** Writes each token of an already normalised string as a (start, end) pair: no substrings made. */
export function scanTokens(normalized: string, out: IntBuffer): void {
  out.length = 0;
  if (isAscii(normalized)) scanAsciiTokens(normalized, out);
  else scanTokensWithPattern(normalized, out);
}

const isAsciiWordChar = (c: number) => (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || (c >= 65 && c <= 90);
const APOSTROPHE = 39;

/**
 * The TOKEN pattern for ASCII text, as a char-code loop: most traffic is ASCII and the regex
 * engine is the costliest step of featurising it. A property test checks both agree.
 */
function scanAsciiTokens(s: string, out: IntBuffer): void {
  const n = s.length;
  let i = 0;
  while (i < n) {
    if (!isAsciiWordChar(s.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    for (;;) {
      while (i < n && isAsciiWordChar(s.charCodeAt(i))) i++;
      if (i + 1 < n && s.charCodeAt(i) === APOSTROPHE && isAsciiWordChar(s.charCodeAt(i + 1))) i++;
      else break;
    }
    out.push(start);
    out.push(i);
  }
}

/** The general (regex) tokenizer, exported for the test that checks the ASCII fast path against it. */
export function scanTokensWithPattern(normalized: string, out: IntBuffer): void {
  out.length = 0;
  TOKEN.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = TOKEN.exec(normalized)) !== null) {
    out.push(m.index);
    out.push(m.index + m[0].length);
  }
}

export function tokenize(text: string): string[] {
  const s = normalizeText(text);
  const bounds = new IntBuffer();
  scanTokens(s, bounds);
  const tokens: string[] = [];
  for (let i = 0; i < bounds.length; i += 2) tokens.push(s.slice(bounds.data[i], bounds.data[i + 1]));
  return tokens;
}

// Tokens with offsets into the ORIGINAL text, for span extraction: a span's text must be
// `text.slice(start, end)`, and NFKC can change a string's length, so the scan runs on the raw
// text and only each token is normalised. Without `punctuation` the tokens are the classifier's
// (typographic apostrophes accepted inside words). With it, every other non-space character is a
// token of its own, apostrophes included, so a span can end before a possessive ("Kasey
// Chambers" in "Kasey Chambers's tune") or begin on "$" or "#".
const WORD_CHARS = "[\\p{L}\\p{M}\\p{N}]+";
const RAW_TOKEN = new RegExp(`${WORD_CHARS}(?:['\\u2018\\u2019\\u02bc\\uff07\\u00b4]${WORD_CHARS})*|\\p{Extended_Pictographic}`, "gu");
const RAW_TOKEN_WITH_PUNCTUATION = new RegExp(`${WORD_CHARS}|\\p{Extended_Pictographic}|[^\\s\\p{L}\\p{M}\\p{N}]`, "gu");

export interface TokenOffsets {
  /** Start of token i in `text` (UTF-16 code units). */
  starts: Int32Array;
  /** End of token i, exclusive. */
  ends: Int32Array;
  /** Token i normalised like the classifier's tokens (NFKC, lower case, apostrophes unified). */
  tokens: string[];
}

/**
 * Writes each raw token of `text` as a (start, end) pair of UTF-16 offsets into `out`, making no
 * strings. Returns true when the text is ASCII: each token's normalised form is then the lower-cased
 * slice (`text.toLowerCase().slice(start, end)`); otherwise it is `normalizeText(text.slice(start, end))`.
 */
export function scanTokenOffsets(text: string, punctuation: boolean, out: IntBuffer): boolean {
  out.length = 0;
  if (isAscii(text)) {
    // The char-code loop, as for the classifier (case does not change which characters are word characters).
    const n = text.length;
    let i = 0;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (!isAsciiWordChar(c)) {
        if (punctuation && c > 32 && c !== 127) {
          out.push(i);
          out.push(i + 1);
        }
        i++;
        continue;
      }
      const start = i;
      for (;;) {
        while (i < n && isAsciiWordChar(text.charCodeAt(i))) i++;
        if (!punctuation && i + 1 < n && text.charCodeAt(i) === APOSTROPHE && isAsciiWordChar(text.charCodeAt(i + 1))) i++;
        else break;
      }
      out.push(start);
      out.push(i);
    }
    return true;
  }
  const pattern = punctuation ? RAW_TOKEN_WITH_PUNCTUATION : RAW_TOKEN;
  pattern.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = pattern.exec(text)) !== null) {
    out.push(m.index);
    out.push(m.index + m[0].length);
  }
  return false;
}

/** Tokens of `text` with their UTF-16 offsets; for ASCII text without `punctuation`, the same tokens as `tokenize`. */
export function tokenizeWithOffsets(text: string, punctuation = false): TokenOffsets {
  const bounds = new IntBuffer(64);
  const ascii = scanTokenOffsets(text, punctuation, bounds);
  const n = bounds.length >> 1;
  const starts = new Int32Array(n);
  const ends = new Int32Array(n);
  const tokens: string[] = [];
  const source = ascii ? text.toLowerCase() : text;
  for (let t = 0; t < n; t++) {
    starts[t] = bounds.data[2 * t];
    ends[t] = bounds.data[2 * t + 1];
    const raw = source.slice(starts[t], ends[t]);
    tokens.push(ascii ? raw : normalizeText(raw));
  }
  return { starts, ends, tokens };
}
