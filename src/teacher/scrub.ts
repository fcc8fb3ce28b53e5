// Failure reasons end up in logs, stored answers and API responses, and providers echo
// credentials in error bodies (e.g. "Incorrect API key provided: sk-..."). Every reason
// goes through here before it leaves the teacher.

const REDACTED = "[redacted]";
/** Any run of this many characters shared with the key counts as a leak (catches echoed prefixes/suffixes). */
const KEY_WINDOW = 12;
const MAX_REASON_CHARS = 300;

/** Removes the key (whole or any long fragment of it) and anything that looks like a bearer token or OpenAI-style key. */
export function scrubSecret(message: string, secret: string | undefined): string {
  let out = message;
  if (secret && secret.length >= 6) {
    out = out.split(secret).join(REDACTED);
    if (secret.length >= KEY_WINDOW) out = redactFragments(out, secret);
  }
  out = out.replace(/\bBearer\s+[^\s"',;]+/gi, `Bearer ${REDACTED}`);
  out = out.replace(/\bsk-[A-Za-z0-9_*-]{6,}/g, REDACTED);
  return out;
}

/** One line, bounded length, secrets removed: the form every reason takes. */
export function cleanReason(message: string, secret: string | undefined): string {
  const line = scrubSecret(message, secret).replace(/\s+/g, " ").trim();
  return line.length <= MAX_REASON_CHARS ? line : `${line.slice(0, MAX_REASON_CHARS - 1)}…`;
}

// Marks every character covered by a KEY_WINDOW-long substring of the secret, then
// replaces each marked run, so a fragment is removed whole rather than in pieces.
function redactFragments(message: string, secret: string): string {
  if (message.length < KEY_WINDOW) return message;
  const windows = new Set<string>();
  for (let i = 0; i + KEY_WINDOW <= secret.length; i++) windows.add(secret.slice(i, i + KEY_WINDOW));
  const marked = new Uint8Array(message.length);
  let any = false;
  for (let j = 0; j + KEY_WINDOW <= message.length; j++) {
    if (windows.has(message.slice(j, j + KEY_WINDOW))) {
      marked.fill(1, j, j + KEY_WINDOW);
      any = true;
    }
  }
  if (!any) return message;
  let out = "";
  for (let j = 0; j < message.length; j++) {
    if (!marked[j]) out += message[j];
    else if (j === 0 || !marked[j - 1]) out += REDACTED;
  }
  return out;
}
