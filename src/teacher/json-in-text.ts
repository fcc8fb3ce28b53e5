// Finding the JSON a model meant inside what it wrote: servers without structured output wrap
// it in code fences or prose. Shared by the label and structured parsers, which differ only in
// what they then demand of the objects found.

/** A whole answer wrapped in one code fence (```json ... ```) is replaced by its body. */
export function unwrapFence(text: string): string {
  // The language tag counts only when a newline follows it: "```billing```" is a bare label.
  const m = /^```(?:[\w-]*[ \t]*\n)?([\s\S]*?)```$/.exec(text);
  return m ? m[1].trim() : text;
}

/** Every top-level JSON object in the text (whole, or embedded in prose), in order. */
export function jsonObjectsIn(text: string): Record<string, unknown>[] {
  const objects: Record<string, unknown>[] = [];
  // Try every `{` as a start, so a stray brace in prose does not hide a later object.
  for (let start = text.indexOf("{"); start !== -1; start = text.indexOf("{", start + 1)) {
    const end = matchingBrace(text, start);
    if (end === -1) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text.slice(start, end + 1));
    } catch {
      continue;
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) continue;
    objects.push(parsed as Record<string, unknown>);
    start = end; // nested objects belong to this one; do not read them again
  }
  return objects;
}

/** Index of the `}` closing the `{` at `start`, skipping braces inside JSON strings; -1 if none. */
function matchingBrace(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === "\\") i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === "{") depth++;
    else if (ch === "}" && --depth === 0) return i;
  }
  return -1;
}
