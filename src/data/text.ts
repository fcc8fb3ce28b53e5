// What makes a string unfit to be stored as text, checked the same way wherever the gateway
// accepts text (inputs, chat messages, feedback, imported rows, task fields). Pure (no Node APIs).

declare global {
  interface String {
    /** ES2024 (Node 20+, every current browser): false when the string holds a lone surrogate. */
    isWellFormed(): boolean;
  }
}

/**
 * Why `text` would not read back as it was sent, or null. U+0000: PostgreSQL cannot store it, so
 * no store takes it. A lone surrogate (an unpaired UTF-16 half, which JSON's "\ud800" escape can
 * produce): UTF-8 cannot encode it, so it would be stored, hashed and read back as U+FFFD.
 */
export function textFault(text: string): string | null {
  if (text.includes("\u0000")) return "contains a NUL character (U+0000)";
  if (!text.isWellFormed()) return `contains a lone surrogate (${loneSurrogate(text)}), which UTF-8 cannot encode`;
  return null;
}

/** The first unpaired surrogate, e.g. "U+D800 at character 3" (1-based, in UTF-16 code units). */
function loneSurrogate(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    const next = text.charCodeAt(i + 1);
    if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      i++;
      continue;
    }
    return `U+${c.toString(16).toUpperCase()} at character ${i + 1}`;
  }
  return "none found";
}

/**
 * The first string in a parsed JSON-like value (object keys included) with a textFault, with
 * its path (`labels.2.description`), or null.
 */
export function findTextFault(value: unknown, path: string[] = []): { path: string; fault: string } | null {
  const at = (fault: string, p: string[]) => ({ path: p.join(".") || "(value)", fault });
  if (typeof value === "string") {
    const fault = textFault(value);
    return fault === null ? null : at(fault, path);
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findTextFault(value[i], [...path, String(i)]);
      if (found !== null) return found;
    }
    return null;
  }
  if (typeof value === "object" && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      const keyFault = textFault(key);
      if (keyFault !== null) return at(`a field name ${keyFault}`, path);
      const found = findTextFault(item, [...path, key]);
      if (found !== null) return found;
    }
  }
  return null;
}
