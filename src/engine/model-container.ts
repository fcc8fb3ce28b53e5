// The binary container every model kind is stored in, readable in Node and in a browser
// (DataView, TextEncoder/TextDecoder, typed arrays only):
//
//   offset 0   magic "APPRMODL" (8 bytes)
//          8   u32 format version
//         12   u32 header length H (bytes of UTF-8 JSON)
//         16   header JSON, with a `sections` list (name, type, length) and, for every kind but
//              the single-label classifier (the first kind, which has none), a `kind`
//     16 + H   padding to a multiple of 4, then the sections in the order the header lists them
//    end − 4   u32 CRC-32 of every byte before it
//
// A file that is truncated, corrupted, newer, or of another kind than the reader expects is refused
// with a message saying which; it is never half-read into a model that would predict wrongly.

export const MODEL_FORMAT_VERSION = 1;
const MAGIC = "APPRMODL";
const PREAMBLE = 16;

export const MODEL_KINDS = ["label", "spans", "multilabel", "structured"] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];
export type SectionType = "i32" | "f32" | "f64" | "i8";
export type SectionData = Int32Array | Float32Array | Float64Array | Int8Array;

export interface SectionInfo {
  name: string;
  type: SectionType;
  length: number;
}

export class ModelFileError extends Error {
  override name = "ModelFileError";
}

const BYTES = { i32: 4, f32: 4, f64: 8, i8: 1 } as const;

let crcTable: Uint32Array | null = null;
export function crc32(bytes: Uint8Array, end = bytes.length): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < end; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

/** Rows × cols weights as int8 with one scale per row (its largest weight maps to ±127). */
export function quantizeRows(weights: Float32Array, rows: number, cols: number): { q: Int8Array; scales: Float32Array } {
  const q = new Int8Array(weights.length);
  const scales = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let max = 0;
    for (let k = 0; k < cols; k++) max = Math.max(max, Math.abs(weights[r * cols + k]));
    const scale = max > 0 ? max / 127 : 1;
    scales[r] = scale;
    for (let k = 0; k < cols; k++) q[r * cols + k] = Math.round(weights[r * cols + k] / scale);
  }
  return { q, scales };
}

export function encodeContainer(header: object, sections: readonly { info: SectionInfo; data: SectionData }[]): Uint8Array {
  const full = { ...header, sections: sections.map((s) => s.info) };
  const headerBytes = new TextEncoder().encode(JSON.stringify(full));
  let size = align4(PREAMBLE + headerBytes.length);
  for (const s of sections) size = align4(size + s.info.length * BYTES[s.info.type]);
  size += 4;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  for (let i = 0; i < MAGIC.length; i++) out[i] = MAGIC.charCodeAt(i);
  view.setUint32(8, MODEL_FORMAT_VERSION, true);
  view.setUint32(12, headerBytes.length, true);
  out.set(headerBytes, PREAMBLE);
  let offset = align4(PREAMBLE + headerBytes.length);
  for (const s of sections) {
    out.set(new Uint8Array(s.data.buffer, s.data.byteOffset, s.data.byteLength), offset);
    offset = align4(offset + s.data.byteLength);
  }
  view.setUint32(size - 4, crc32(out, size - 4), true);
  return out;
}

/** The kind a decoded header declares: "label" for the classifier's files, which carry none. */
function kindOf(header: Record<string, unknown>): string {
  return header.kind === undefined ? "label" : String(header.kind);
}

export interface DecodedContainer {
  header: Record<string, unknown>;
  sections: Map<string, SectionData>;
}

/** Checks magic, version and checksum; the parsed header and where it ends. */
function readHeader(bytes: Uint8Array): { header: Record<string, unknown>; headerLength: number } {
  if (bytes.length < PREAMBLE + 4) throw new ModelFileError(`not a model file: only ${bytes.length} bytes`);
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC.charCodeAt(i)) throw new ModelFileError("not an Apprentice model file (wrong magic bytes)");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version > MODEL_FORMAT_VERSION) {
    throw new ModelFileError(`model file format ${version} is newer than this Apprentice reads (${MODEL_FORMAT_VERSION}); upgrade Apprentice`);
  }
  if (version < 1) throw new ModelFileError(`unknown model file format ${version}`);
  const headerLength = view.getUint32(12, true);
  if (PREAMBLE + headerLength + 4 > bytes.length) throw new ModelFileError("model file is truncated (header runs past the end)");
  const stored = view.getUint32(bytes.length - 4, true);
  if (crc32(bytes, bytes.length - 4) !== stored) {
    throw new ModelFileError("model file is corrupt or truncated (checksum mismatch)");
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(PREAMBLE, PREAMBLE + headerLength)));
  } catch (e) {
    throw new ModelFileError(`model file header is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) throw new ModelFileError("model file header is invalid: not an object");
  return { header, headerLength };
}

/**
 * The kind of model a file holds, after the same checks as decoding it (magic, version, checksum),
 * so a reader can pick the decoder for a stored file of any kind. Refuses a kind it does not know.
 */
export function modelKindOf(bytes: Uint8Array): ModelKind {
  const kind = kindOf(readHeader(bytes).header);
  if (!(MODEL_KINDS as readonly string[]).includes(kind)) throw new ModelFileError(`model file holds a "${kind}" model, which this Apprentice does not read`);
  return kind as ModelKind;
}

/** Checks magic, version, checksum and layout; refuses a file whose kind is not `expected`. */
export function decodeContainer(bytes: Uint8Array, expected: ModelKind): DecodedContainer {
  const { header, headerLength } = readHeader(bytes);
  const kind = kindOf(header);
  if (kind !== expected) throw new ModelFileError(`model file holds a "${kind}" model, not a "${expected}" model`);
  if (!Array.isArray(header.sections)) throw new ModelFileError("model file header is invalid: sections");

  const sections = new Map<string, SectionData>();
  let offset = align4(PREAMBLE + headerLength);
  for (const s of header.sections as unknown[]) {
    // Own keys only: "toString" is `in` BYTES through its prototype.
    if (typeof s !== "object" || s === null) throw new ModelFileError("model file header is invalid: sections must be objects");
    const { name, type, length } = s as Partial<SectionInfo>;
    if (typeof type !== "string" || !Object.hasOwn(BYTES, type) || !Number.isInteger(length) || (length as number) < 0) {
      throw new ModelFileError(`model file header is invalid: section ${String(name)}`);
    }
    const byteLength = (length as number) * BYTES[type];
    if (offset + byteLength > bytes.length - 4) throw new ModelFileError(`model file is truncated (section ${String(name)})`);
    // Copy into a fresh, aligned buffer: the input may sit at any offset of a larger buffer.
    // Uint8Array's own slice, because Node's Buffer#slice returns a view of its shared pool.
    const copy = Uint8Array.prototype.slice.call(bytes, offset, offset + byteLength).buffer;
    sections.set(String(name), type === "i32" ? new Int32Array(copy) : type === "f32" ? new Float32Array(copy) : type === "f64" ? new Float64Array(copy) : new Int8Array(copy));
    offset = align4(offset + byteLength);
  }
  if (offset !== bytes.length - 4) throw new ModelFileError("model file has unexpected trailing bytes");
  return { header, sections };
}

/** A section of the decoded file with the expected type and length, or a clear error. */
export function requireSection<T extends SectionData>(c: DecodedContainer, name: string, type: new (n: number) => T, length: number): T {
  const s = c.sections.get(name);
  if (!s || !(s instanceof type) || s.length !== length) throw new ModelFileError(`model file section ${name} is missing or has the wrong size`);
  return s;
}
