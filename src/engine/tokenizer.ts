// Text → normalised string → tokens. Word tokens are runs of letters, marks and digits, with
// inner apostrophes kept ("don't", "l'été"); each emoji is a token of its own; other punctuation
// separates tokens. Scripts written without spaces (Chinese, Japanese, Thai) come out as one long
// token per run, and the character n-grams inside it carry the signal.

import { IntBuffer } from "./int-buffer.js";

const APOSTROPHES = /[\u2018\u2019\u02bc\uff07`´]/g;
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
