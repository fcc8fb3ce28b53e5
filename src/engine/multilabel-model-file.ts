// The multi-label classifier's model file: the shared container (model-container.ts) with kind
// "multilabel" and the classifier's sections (buckets, idf, bias, weights as f32 or int8 per
// feature row; see linearSections in model-file.ts). The per-label calibration and thresholds and
// the set calibration are numbers in the JSON header, which round-trips doubles exactly.
import type { FeaturizerConfig } from "./featurizer.js";
import { MultiLabelClassifier, type MultiLabelModelHeader } from "./multilabel-classifier.js";
import { decodeContainer, encodeContainer, ModelFileError } from "./model-container.js";
import { linearSections, readLinearSections, type Quantization } from "./model-file.js";

interface MultiLabelFileHeader extends MultiLabelModelHeader {
  quantization: Quantization;
  features: number;
}

export function encodeMultiLabelModel(model: MultiLabelClassifier, options: { quantize?: Quantization } = {}): Uint8Array {
  const quantization = options.quantize ?? "none";
  const header: MultiLabelFileHeader = { ...model.header, quantization, features: model.linear.featureCount };
  return encodeContainer(header, linearSections(model.featurizer, model.linear, quantization));
}

const isNumberList = (v: unknown, length: number, valid: (x: number) => boolean) =>
  Array.isArray(v) && v.length === length && v.every((x) => typeof x === "number" && valid(x));

function checkHeader(h: MultiLabelFileHeader): void {
  const fail = (what: string): never => {
    throw new ModelFileError(`model file header is invalid: ${what}`);
  };
  if (!Array.isArray(h.labels) || h.labels.length === 0 || h.labels.some((l) => typeof l !== "string")) fail("labels");
  const K = h.labels.length;
  if (!Number.isInteger(h.features) || h.features < 0) fail("features");
  if (h.quantization !== "none" && h.quantization !== "int8") fail(`quantization "${String(h.quantization)}"`);
  if (typeof h.featurizer !== "object" || h.featurizer === null) fail("featurizer settings");
  const c = h.calibration as Partial<MultiLabelModelHeader["calibration"]> | undefined;
  if (typeof c !== "object" || c === null || !isNumberList(c.slope, K, Number.isFinite) || !isNumberList(c.intercept, K, Number.isFinite)) fail("calibration");
  if (!isNumberList(h.thresholds, K, (t) => t >= 0 && t <= 1)) fail("thresholds");
  const s = h.setCalibration as Partial<MultiLabelModelHeader["setCalibration"]> | undefined;
  if (typeof s !== "object" || s === null || !Number.isFinite(s.slope) || !Number.isFinite(s.intercept)) fail("setCalibration");
}

export function decodeMultiLabelModel(bytes: Uint8Array): MultiLabelClassifier {
  const file = decodeContainer(bytes, "multilabel");
  const h = file.header as unknown as MultiLabelFileHeader & { sections: unknown };
  checkHeader(h);
  const { featurizer, linear } = readLinearSections(file, h.featurizer as FeaturizerConfig, h.features, h.labels.length, h.quantization);
  const { quantization: _q, features: _f, sections: _s, ...header } = h;
  try {
    return new MultiLabelClassifier(header, featurizer, linear);
  } catch (e) {
    throw new ModelFileError(`model file is inconsistent: ${(e as Error).message}`);
  }
}
