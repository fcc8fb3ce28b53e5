import { createHash } from "node:crypto";

/** Lower-case hex SHA-256 of the UTF-8 bytes of `text`: the same text hashes the same everywhere. */
export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/**
 * The key of a text in `examples.text_hash` and `requests.input_hash`. A hash (not the text) is the
 * unique key so the index stays small and fixed-width whatever the text length.
 */
export function textHash(text: string): string {
  if (typeof text !== "string") throw new TypeError(`textHash: expected a string, got ${text === null ? "null" : typeof text}`);
  return sha256Hex(text);
}
