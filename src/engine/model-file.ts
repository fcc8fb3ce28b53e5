// The model file: one self-describing binary, readable in Node and in a browser (DataView,
// TextEncoder/TextDecoder, typed arrays only).
//
//   offset 0   magic "APPRMODL" (8 bytes)
//          8   u32 format version
//         12   u32 header length H (bytes of UTF-8 JSON)
//         16   header JSON: ModelHeader + { quantization, features, classes, sections }
//     16 + H   padding to a multiple of 4, then the sections in the order the header lists them
//    end − 4   u32 CRC-32 of every byte before it
//
// Sections: buckets (i32 × features), idf (f32 × features), bias (f32 × classes), and the weights,
// either f32 × features·classes or, quantised, i8 × features·classes plus one f32 scale per feature
// row (each row is scaled so its largest weight maps to ±127).
// A file that is truncated, corrupted or from a newer format is refused with a message saying
// which; it is never half-read into a model that would predict wrongly.
import { TextClassifier, type ModelHeader } from "./classifier.js";
import { Featurizer, type FeaturizerConfig } from "./featurizer.js";
import { LinearModel } from "./linear-model.js";

export const MODEL_FORMAT_VERSION = 1;
const MAGIC = "APPRMODL";
const PREAMBLE = 16;

export type Quantization = "none" | "int8";

export interface EncodeOptions {
  quantize?: Quantization;
}

export class ModelFileError extends Error {
  override name = "ModelFileError";
}

interface SectionInfo {
  name: "buckets" | "idf" | "bias" | "weights" | "scales";
  type: "i32" | "f32" | "i8";
  length: number;
}

interface FileHeader extends ModelHeader {
  quantization: Quantization;
  features: number;
  classes: number;
  sections: SectionInfo[];
}

const BYTES = { i32: 4, f32: 4, i8: 1 } as const;

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

function quantizeRows(weights: Float32Array, rows: number, cols: number): { q: Int8Array; scales: Float32Array } {
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

export function encodeModel(model: TextClassifier, options: EncodeOptions = {}): Uint8Array {
  const quantization = options.quantize ?? "none";
  const F = model.linear.featureCount;
  const K = model.linear.classCount;
  const arrays: { info: SectionInfo; data: Int32Array | Float32Array | Int8Array }[] = [
    { info: { name: "buckets", type: "i32", length: F }, data: model.featurizer.buckets },
    { info: { name: "idf", type: "f32", length: F }, data: model.featurizer.idf },
    { info: { name: "bias", type: "f32", length: K }, data: model.linear.bias },
  ];
  if (quantization === "int8") {
    const { q, scales } = quantizeRows(model.linear.toCompact(), F, K);
    arrays.push({ info: { name: "scales", type: "f32", length: F }, data: scales });
    arrays.push({ info: { name: "weights", type: "i8", length: F * K }, data: q });
  } else {
    arrays.push({ info: { name: "weights", type: "f32", length: F * K }, data: model.linear.toCompact() });
  }
  const header: FileHeader = { ...model.header, quantization, features: F, classes: K, sections: arrays.map((a) => a.info) };
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  let size = align4(PREAMBLE + headerBytes.length);
  for (const a of arrays) size = align4(size + a.info.length * BYTES[a.info.type]);
  size += 4;

  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  for (let i = 0; i < MAGIC.length; i++) out[i] = MAGIC.charCodeAt(i);
  view.setUint32(8, MODEL_FORMAT_VERSION, true);
  view.setUint32(12, headerBytes.length, true);
  out.set(headerBytes, PREAMBLE);
  let offset = align4(PREAMBLE + headerBytes.length);
  for (const a of arrays) {
    out.set(new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength), offset);
    offset = align4(offset + a.data.byteLength);
  }
  view.setUint32(size - 4, crc32(out, size - 4), true);
  return out;
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

export function decodeModel(bytes: Uint8Array): TextClassifier {
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
  let header: FileHeader;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(PREAMBLE, PREAMBLE + headerLength)));
  } catch (e) {
    throw new ModelFileError(`model file header is not valid JSON: ${(e as Error).message}`);
  }
  checkHeader(header);

  const sections = new Map<string, Int32Array | Float32Array | Int8Array>();
  let offset = align4(PREAMBLE + headerLength);
  for (const s of header.sections) {
    const byteLength = s.length * BYTES[s.type];
    if (offset + byteLength > bytes.length - 4) throw new ModelFileError(`model file is truncated (section ${s.name})`);
    // Copy into a fresh, aligned buffer: the input may sit at any offset of a larger buffer.
    // Uint8Array's own slice, because Node's Buffer#slice returns a view of its shared pool.
    const copy = Uint8Array.prototype.slice.call(bytes, offset, offset + byteLength).buffer;
    sections.set(s.name, s.type === "i32" ? new Int32Array(copy) : s.type === "f32" ? new Float32Array(copy) : new Int8Array(copy));
    offset = align4(offset + byteLength);
  }
  if (offset !== bytes.length - 4) throw new ModelFileError("model file has unexpected trailing bytes");

  const F = header.features;
  const K = header.classes;
  const section = <T>(name: string, length: number): T => {
    const s = sections.get(name);
    if (!s || s.length !== length) throw new ModelFileError(`model file section ${name} is missing or has the wrong size`);
    return s as T;
  };
  let weights: Float32Array;
  if (header.quantization === "int8") {
    const q = section<Int8Array>("weights", F * K);
    const scales = section<Float32Array>("scales", F);
    weights = new Float32Array(F * K);
    for (let r = 0; r < F; r++) for (let k = 0; k < K; k++) weights[r * K + k] = q[r * K + k] * scales[r];
  } else {
    weights = section<Float32Array>("weights", F * K);
  }
  try {
    const featurizer = new Featurizer({ config: header.featurizer, buckets: section("buckets", F), idf: section("idf", F) });
    const linear = LinearModel.fromCompact(F, K, weights, section("bias", K));
    const { quantization: _q, features: _f, classes: _c, sections: _s, ...modelHeader } = header;
    return new TextClassifier(modelHeader, featurizer, linear);
  } catch (e) {
    if (e instanceof ModelFileError) throw e;
    throw new ModelFileError(`model file is inconsistent: ${(e as Error).message}`);
  }
}

function checkHeader(h: FileHeader): void {
  const fail = (what: string) => {
    throw new ModelFileError(`model file header is invalid: ${what}`);
  };
  if (typeof h !== "object" || h === null) fail("not an object");
  if (!Array.isArray(h.labels) || h.labels.some((l) => typeof l !== "string")) fail("labels");
  if (!Number.isInteger(h.features) || h.features < 0) fail("features");
  if (!Number.isInteger(h.classes) || h.classes !== h.labels.length) fail("classes");
  if (!(typeof h.temperature === "number" && h.temperature > 0)) fail("temperature");
  if (h.quantization !== "none" && h.quantization !== "int8") fail(`quantization "${String(h.quantization)}"`);
  if (!Array.isArray(h.sections)) fail("sections");
  const config = h.featurizer as FeaturizerConfig | undefined;
  if (typeof config !== "object" || config === null) fail("featurizer settings");
  for (const s of h.sections as unknown[]) {
    // Own keys only: "toString" is `in` BYTES through its prototype.
    if (typeof s !== "object" || s === null) fail("sections must be objects");
    const { name, type, length } = s as Partial<SectionInfo>;
    if (typeof type !== "string" || !Object.hasOwn(BYTES, type) || !Number.isInteger(length) || (length as number) < 0) fail(`section ${String(name)}`);
  }
}
