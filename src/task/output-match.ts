// Whether two structured tasks read answers alike: the same fields in the same order, each of the
// same kind, with the same choice values and the same null-ness. Then an answer stored by one (its
// canonical JSON, keys in field order) is an answer of the other, unchanged: what merging one
// task's examples into another needs. Descriptions may differ (they only guide the teacher).
// sameFieldsInAnyOrder relaxes the order: fields alike but listed otherwise, whose stored answers
// are the same objects written with their keys in another order (a merge rewrites them).
import type { TaskOutputField } from "./output-fields.js";

/** The first way `b`'s fields differ from `a`'s (a phrase for a message), or null when they match. */
export function firstFieldDifference(a: readonly TaskOutputField[], b: readonly TaskOutputField[]): string | null {
  const names = (fields: readonly TaskOutputField[]) => fields.map((f) => f.name).join(", ");
  const aNames = new Set(a.map((f) => f.name));
  const bNames = new Set(b.map((f) => f.name));
  const missing = a.find((f) => !bNames.has(f.name));
  if (missing !== undefined) return `field "${missing.name}" is not in the target's fields (${names(b)})`;
  const extra = b.find((f) => !aNames.has(f.name));
  if (extra !== undefined) return `the target has a field "${extra.name}" the task has not (${names(a)})`;
  // Stored answers list their keys in field order: another order would be another string.
  if (names(a) !== names(b)) return `the fields are in another order (${names(a)} against ${names(b)})`;
  for (const [i, fa] of a.entries()) {
    const fb = b[i];
    const field = `field "${fa.name}"`;
    if (fa.kind !== fb.kind) return `${field} is ${fa.kind} here and ${fb.kind} in the target`;
    const av = [...(fa.values ?? [])].sort();
    const bv = [...(fb.values ?? [])].sort();
    const onlyA = av.filter((v) => !bv.includes(v));
    const onlyB = bv.filter((v) => !av.includes(v));
    if (onlyA.length > 0) return `${field} has values the target's has not: ${onlyA.map((v) => JSON.stringify(v)).join(", ")}`;
    if (onlyB.length > 0) return `${field} lacks values the target's has: ${onlyB.map((v) => JSON.stringify(v)).join(", ")}`;
    if ((fa.nullable ?? false) !== (fb.nullable ?? false) || fa.required !== fb.required) return `${field} may be null or absent in one task and not in the other`;
    if (JSON.stringify(fa.valueType ?? null) !== JSON.stringify(fb.valueType ?? null)) return `${field} holds another type of value in the target`;
  }
  return null;
}

/**
 * The first way `b`'s fields differ from `a`'s other than their order (as firstFieldDifference
 * words it), or null when both have the same fields alike, in whatever order.
 */
export function firstDifferenceInAnyOrder(a: readonly TaskOutputField[], b: readonly TaskOutputField[]): string | null {
  const byName = new Map(b.map((f) => [f.name, f]));
  // b listed in a's order when it has a's names; otherwise as it is, for the missing / extra message.
  const reordered = a.every((f) => byName.has(f.name)) && a.length === b.length ? a.map((f) => byName.get(f.name)!) : b;
  return firstFieldDifference(a, reordered);
}
