// The structured specialist's model file: the shared container (model-container.ts) with kind
// "structured". The header holds the fields and, per choice, boolean or tags field, either its
// constant or "classifier". Each trained part is stored whole, as the bytes of its own model file,
// in an i8 section: "field:<name>" per classifier, "spans" for the extractor (absent when it is
// null). Each part is then read by its own decoder with that format's checks, so the formats are
// written once and a bad part is refused with its field named.
import { decodeContainer, encodeContainer, ModelFileError, type DecodedContainer, type SectionData, type SectionInfo } from "./model-container.js";
import { decodeModel, encodeModel, type Quantization } from "./model-file.js";
import { decodeMultiLabelModel, encodeMultiLabelModel } from "./multilabel-model-file.js";
import { decodeSpanModel, encodeSpanModel } from "./span-model-file.js";
import type { OutputField, OutputFieldKind } from "./structured-answer.js";
import { StructuredSpecialist, type ConstantField } from "./structured-specialist.js";

type PartEntry = "classifier" | { constant: ConstantField };
type Part<M> = { classifier: M } | { constant: ConstantField };

interface StructuredFileHeader {
  kind: "structured";
  fields: OutputField[];
  /** By field name, for every choice, boolean and tags field. */
  parts: Record<string, PartEntry>;
}

/** teacher_only is absent: the specialist never holds one. */
const KINDS: readonly OutputFieldKind[] = ["choice", "boolean", "tags", "extract", "extract_list"];

/** Only the OutputField keys: a task's fields carry more (`required`…) that the model does not use. */
const fieldOf = ({ name, kind, values, nullable, description, offersNone }: OutputField): OutputField => ({ name, kind, values, nullable, description, ...(offersNone === true ? { offersNone } : {}) });

const isExtract = (f: OutputField) => f.kind === "extract" || f.kind === "extract_list";

export function encodeStructuredModel(model: StructuredSpecialist, options: { quantize?: Quantization } = {}): Uint8Array {
  const parts: Record<string, PartEntry> = {};
  const sections: { info: SectionInfo; data: SectionData }[] = [];
  const embed = (name: string, bytes: Uint8Array) => sections.push({ info: { name, type: "i8", length: bytes.length }, data: new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length) });
  const add = <M>(models: ReadonlyMap<string, Part<M>>, encode: (m: M) => Uint8Array) => {
    for (const [name, part] of models) {
      if ("constant" in part) parts[name] = { constant: part.constant };
      else {
        parts[name] = "classifier";
        embed(`field:${name}`, encode(part.classifier));
      }
    }
  };
  add(model.parts.choices, (c) => encodeModel(c, options));
  add(model.parts.tags, (c) => encodeMultiLabelModel(c, options));
  if (model.parts.spans !== null) embed("spans", encodeSpanModel(model.parts.spans, options));
  const header: StructuredFileHeader = { kind: "structured", fields: model.fields.map(fieldOf), parts };
  return encodeContainer(header, sections);
}

export function decodeStructuredModel(bytes: Uint8Array): StructuredSpecialist {
  const file = decodeContainer(bytes, "structured");
  const h = file.header as unknown as Partial<StructuredFileHeader>;
  const fail = (what: string): never => {
    throw new ModelFileError(`model file header is invalid: ${what}`);
  };
  if (!Array.isArray(h.fields)) fail("fields");
  const fields = h.fields!.map((f, i) => (isField(f) ? fieldOf(f) : fail(`field ${i}`)));
  const names = new Set(fields.map((f) => f.name));
  if (names.size !== fields.length) fail("fields (a name twice)");
  const entries = h.parts;
  if (typeof entries !== "object" || entries === null) fail("parts");

  const read = <M>(field: OutputField, decode: (b: Uint8Array) => M): Part<M> => {
    const entry = Object.hasOwn(entries!, field.name) ? entries![field.name] : undefined;
    if (entry === "classifier") return { classifier: decodePart(file, `field:${field.name}`, `field "${field.name}"`, decode) };
    if (isConstant(entry, field.kind === "tags")) return { constant: entry.constant };
    return fail(`part of field "${field.name}"`);
  };
  const choices = new Map(fields.filter((f) => f.kind === "choice" || f.kind === "boolean").map((f) => [f.name, read(f, decodeModel)]));
  const tags = new Map(fields.filter((f) => f.kind === "tags").map((f) => [f.name, read(f, decodeMultiLabelModel)]));
  const spans = file.sections.has("spans") ? decodePart(file, "spans", "extracted fields", decodeSpanModel) : null;
  // The extractor's labels are field names: one that is not an extract field would answer nothing.
  const extract = new Set(fields.filter(isExtract).map((f) => f.name));
  if (spans !== null && !spans.labels.every((l) => extract.has(l))) throw new ModelFileError("model file is inconsistent: the extractor's labels are not the extract fields");
  try {
    return new StructuredSpecialist(fields, { choices, tags, spans });
  } catch (e) {
    throw new ModelFileError(`model file is inconsistent: ${(e as Error).message}`);
  }
}

/** Decodes an embedded model file with its own decoder; its errors say which part they are about. */
function decodePart<M>(file: DecodedContainer, section: string, what: string, decode: (b: Uint8Array) => M): M {
  const s = file.sections.get(section);
  if (!(s instanceof Int8Array)) throw new ModelFileError(`model file section ${section} is missing or has the wrong type`);
  try {
    return decode(new Uint8Array(s.buffer, s.byteOffset, s.byteLength));
  } catch (e) {
    throw new ModelFileError(`${what}: ${(e as Error).message}`);
  }
}

function isField(f: unknown): f is OutputField {
  if (typeof f !== "object" || f === null) return false;
  const { name, kind, values, nullable, description, offersNone } = f as Partial<Record<keyof OutputField, unknown>>;
  return (
    typeof name === "string" &&
    /^[A-Za-z]/.test(name) &&
    KINDS.includes(kind as OutputFieldKind) &&
    (values === undefined || (Array.isArray(values) && values.every((v) => typeof v === "string"))) &&
    (nullable === undefined || typeof nullable === "boolean") &&
    (description === undefined || typeof description === "string") &&
    (offersNone === undefined || typeof offersNone === "boolean")
  );
}

/** A constant's value is a list of strings for a tags field, else a string, boolean or null. */
function isConstant(entry: unknown, tags: boolean): entry is { constant: ConstantField } {
  const c = (entry as { constant?: Partial<ConstantField> } | null)?.constant;
  if (typeof c !== "object" || c === null || typeof c.probability !== "number" || !(c.probability > 0 && c.probability <= 1)) return false;
  const v = c.value;
  return tags ? Array.isArray(v) && v.every((x) => typeof x === "string") : v === null || typeof v === "string" || typeof v === "boolean";
}
