import { hash } from "node:crypto";

/** Lower-case hex SHA-256 of the UTF-8 bytes of `text`: the same text hashes the same everywhere. */
export function sha256Hex(text: string): string {
  // The one-shot form: no Hash object per call, 0.3 µs instead of 1 µs for a short text (every
  // request hashes its input for the log, and its API key for the verified-key cache).
  return hash("sha256", text, "hex");
}

/**
 * The key of a text in `examples.text_hash` and `requests.input_hash`. A hash (not the text) is the
 * unique key so the index stays small and fixed-width whatever the text length.
 */
export function textHash(text: string): string {
  if (typeof text !== "string") throw new TypeError(`textHash: expected a string, got ${text === null ? "null" : typeof text}`);
  return sha256Hex(text);
}
