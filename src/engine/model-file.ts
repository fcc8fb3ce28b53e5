// The classifier's model file, in the container of model-container.ts (magic, version, JSON
// header, sections, CRC-32). Its header is the ModelHeader plus { quantization, features,
// classes, sections } and, being the first kind, no `kind` field.
//
// Sections: buckets (i32 × features), idf (f32 × features), bias (f32 × classes), and the weights,
// either f32 × features·classes or, quantised, i8 × features·classes plus one f32 scale per feature
// row (each row is scaled so its largest weight maps to ±127).
import { TextClassifier, type ModelHeader } from "./classifier.js";
import { Featurizer, type FeaturizerConfig } from "./featurizer.js";
import { LinearModel } from "./linear-model.js";
import { decodeContainer, encodeContainer, ModelFileError, quantizeRows, requireSection, type DecodedContainer, type SectionData, type SectionInfo } from "./model-container.js";

export { crc32, ModelFileError, MODEL_FORMAT_VERSION } from "./model-container.js";

export type Quantization = "none" | "int8";

export interface EncodeOptions {
  quantize?: Quantization;
}

interface FileHeader extends ModelHeader {
  quantization: Quantization;
  features: number;
  classes: number;
}

/**
 * The sections of a featurizer and a linear model over its features: buckets, idf, bias and the
 * weights, float32 or int8 with one scale per feature row. The multi-label file stores the same.
 */
export function linearSections(featurizer: Featurizer, linear: LinearModel, quantization: Quantization): { info: SectionInfo; data: SectionData }[] {
  const F = linear.featureCount;
  const K = linear.classCount;
  const arrays: { info: SectionInfo; data: SectionData }[] = [
    { info: { name: "buckets", type: "i32", length: F }, data: featurizer.buckets },
    { info: { name: "idf", type: "f32", length: F }, data: featurizer.idf },
    { info: { name: "bias", type: "f32", length: K }, data: linear.bias },
  ];
  if (quantization === "int8") {
    const { q, scales } = quantizeRows(linear.toCompact(), F, K);
    arrays.push({ info: { name: "scales", type: "f32", length: F }, data: scales });
    arrays.push({ info: { name: "weights", type: "i8", length: F * K }, data: q });
  } else {
    arrays.push({ info: { name: "weights", type: "f32", length: F * K }, data: linear.toCompact() });
  }
  return arrays;
}

/** The featurizer and linear model that linearSections stored, F features × K classes. */
export function readLinearSections(
  file: DecodedContainer,
  config: FeaturizerConfig,
  F: number,
  K: number,
  quantization: Quantization,
): { featurizer: Featurizer; linear: LinearModel } {
  let weights: Float32Array;
  if (quantization === "int8") {
    const q = requireSection(file, "weights", Int8Array, F * K);
    const scales = requireSection(file, "scales", Float32Array, F);
    weights = new Float32Array(F * K);
    for (let r = 0; r < F; r++) for (let k = 0; k < K; k++) weights[r * K + k] = q[r * K + k] * scales[r];
  } else {
    weights = requireSection(file, "weights", Float32Array, F * K);
  }
  try {
    const featurizer = new Featurizer({
      config,
      buckets: requireSection(file, "buckets", Int32Array, F),
      idf: requireSection(file, "idf", Float32Array, F),
    });
    return { featurizer, linear: LinearModel.fromCompact(F, K, weights, requireSection(file, "bias", Float32Array, K)) };
  } catch (e) {
    if (e instanceof ModelFileError) throw e;
    throw new ModelFileError(`model file is inconsistent: ${(e as Error).message}`);
  }
}

export function encodeModel(model: TextClassifier, options: EncodeOptions = {}): Uint8Array {
  const quantization = options.quantize ?? "none";
  const header: FileHeader = { ...model.header, quantization, features: model.linear.featureCount, classes: model.linear.classCount };
  return encodeContainer(header, linearSections(model.featurizer, model.linear, quantization));
}

export function decodeModel(bytes: Uint8Array): TextClassifier {
  const file = decodeContainer(bytes, "label");
  const header = file.header as unknown as FileHeader & { sections: unknown };
  checkHeader(header);
  const { featurizer, linear } = readLinearSections(file, header.featurizer, header.features, header.classes, header.quantization);
  const { quantization: _q, features: _f, classes: _c, sections: _s, ...modelHeader } = header;
  try {
    return new TextClassifier(modelHeader, featurizer, linear);
  } catch (e) {
    throw new ModelFileError(`model file is inconsistent: ${(e as Error).message}`);
  }
}

function checkHeader(h: FileHeader): void {
  const fail = (what: string) => {
    throw new ModelFileError(`model file header is invalid: ${what}`);
  };
  if (!Array.isArray(h.labels) || h.labels.some((l) => typeof l !== "string")) fail("labels");
  if (!Number.isInteger(h.features) || h.features < 0) fail("features");
  if (!Number.isInteger(h.classes) || h.classes !== h.labels.length) fail("classes");
  if (!(typeof h.temperature === "number" && h.temperature > 0)) fail("temperature");
  if (h.quantization !== "none" && h.quantization !== "int8") fail(`quantization "${String(h.quantization)}"`);
  const config = h.featurizer as FeaturizerConfig | undefined;
  if (typeof config !== "object" || config === null) fail("featurizer settings");
}
