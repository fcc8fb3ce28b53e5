// The span extractor's model file: the shared container (model-container.ts) with kind "spans".
// Sections: features (i32, the feature values in row order), rowStart (i32 × features + 1),
// pairTag (i32 × pairs), the pair weights (f32, or int8 with one f32 scale per feature row),
// transition (f64 × tags², only the graph's edges non-zero), start (f64 × tags) and edges (i32,
// the allowed transitions).
import { tagCount, transitionGraph, type CrfWeights } from "./crf.js";
import { decodeContainer, encodeContainer, ModelFileError, requireSection, type SectionData, type SectionInfo } from "./model-container.js";
import type { Quantization } from "./model-file.js";
import { RowTable } from "./span-features.js";
import { SpanExtractor, type SpanModelHeader } from "./span-extractor.js";

interface SpanFileHeader extends SpanModelHeader {
  quantization: Quantization;
  features: number;
  pairs: number;
  edges: number;
}

/** Int8 per feature row: a row's pairs are contiguous, so each gets the scale of its largest weight. */
function quantizePairs(w: CrfWeights): { q: Int8Array; scales: Float32Array } {
  const F = w.rowStart.length - 1;
  const q = new Int8Array(w.pairWeight.length);
  const scales = new Float32Array(F);
  for (let r = 0; r < F; r++) {
    let max = 0;
    for (let p = w.rowStart[r]; p < w.rowStart[r + 1]; p++) max = Math.max(max, Math.abs(w.pairWeight[p]));
    const scale = max > 0 ? max / 127 : 1;
    scales[r] = scale;
    for (let p = w.rowStart[r]; p < w.rowStart[r + 1]; p++) q[p] = Math.round(w.pairWeight[p] / scale);
  }
  return { q, scales };
}

export function encodeSpanModel(model: SpanExtractor, options: { quantize?: Quantization } = {}): Uint8Array {
  const quantization = options.quantize ?? "none";
  const w = model.weights;
  const F = model.table.values.length;
  const P = w.pairTag.length;
  const L = tagCount(w.labelCount);
  const sections: { info: SectionInfo; data: SectionData }[] = [
    { info: { name: "features", type: "i32", length: F }, data: model.table.values },
    { info: { name: "rowStart", type: "i32", length: F + 1 }, data: w.rowStart },
    { info: { name: "pairTag", type: "i32", length: P }, data: w.pairTag },
  ];
  if (quantization === "int8") {
    const { q, scales } = quantizePairs(w);
    sections.push({ info: { name: "scales", type: "f32", length: F }, data: scales });
    sections.push({ info: { name: "pairWeight", type: "i8", length: P }, data: q });
  } else {
    sections.push({ info: { name: "pairWeight", type: "f32", length: P }, data: Float32Array.from(w.pairWeight) });
  }
  sections.push(
    { info: { name: "transition", type: "f64", length: L * L }, data: w.transition },
    { info: { name: "start", type: "f64", length: L }, data: w.start },
    { info: { name: "edges", type: "i32", length: w.graph.edges.length }, data: w.graph.edges },
  );
  const header: SpanFileHeader = { ...model.header, quantization, features: F, pairs: P, edges: w.graph.edges.length };
  return encodeContainer(header, sections);
}

export function decodeSpanModel(bytes: Uint8Array): SpanExtractor {
  const file = decodeContainer(bytes, "spans");
  const h = file.header as unknown as SpanFileHeader & { sections: unknown };
  const fail = (what: string): never => {
    throw new ModelFileError(`model file header is invalid: ${what}`);
  };
  if (!Array.isArray(h.labels) || h.labels.length === 0 || h.labels.some((l) => typeof l !== "string")) fail("labels");
  if (!Array.isArray(h.templates) || h.templates.some((t) => typeof t !== "string")) fail("templates");
  if (!(typeof h.temperature === "number" && h.temperature > 0)) fail("temperature");
  if (h.quantization !== "none" && h.quantization !== "int8") fail(`quantization "${String(h.quantization)}"`);
  for (const key of ["features", "pairs", "edges"] as const) if (!Number.isInteger(h[key]) || h[key] < 0) fail(key);
  const K = h.labels.length;
  const L = tagCount(K);
  const F = h.features;
  const P = h.pairs;
  const rowStart = requireSection(file, "rowStart", Int32Array, F + 1);
  const pairTag = requireSection(file, "pairTag", Int32Array, P);
  if (rowStart[0] !== 0 || rowStart[F] !== P) throw new ModelFileError("model file section rowStart does not cover the pairs");
  for (let r = 0; r < F; r++) if (rowStart[r + 1] < rowStart[r]) throw new ModelFileError("model file section rowStart is not ascending");
  for (let p = 0; p < P; p++) if (!(pairTag[p] >= 0 && pairTag[p] < L)) throw new ModelFileError(`model file section pairTag has a tag out of range at ${p}`);
  let pairWeight: Float32Array;
  if (h.quantization === "int8") {
    const q = requireSection(file, "pairWeight", Int8Array, P);
    const scales = requireSection(file, "scales", Float32Array, F);
    pairWeight = new Float32Array(P);
    for (let r = 0; r < F; r++) for (let p = rowStart[r]; p < rowStart[r + 1]; p++) pairWeight[p] = q[p] * scales[r];
  } else {
    pairWeight = requireSection(file, "pairWeight", Float32Array, P);
  }
  try {
    const graph = transitionGraph(K, requireSection(file, "edges", Int32Array, h.edges));
    const weights: CrfWeights = {
      labelCount: K,
      rowStart,
      pairTag,
      pairWeight,
      transition: requireSection(file, "transition", Float64Array, L * L),
      start: requireSection(file, "start", Float64Array, L),
      graph,
    };
    const { quantization: _q, features: _f, pairs: _p, edges: _e, sections: _s, ...header } = h;
    return new SpanExtractor(header, new RowTable(requireSection(file, "features", Int32Array, F)), weights);
  } catch (e) {
    if (e instanceof ModelFileError) throw e;
    throw new ModelFileError(`model file is inconsistent: ${(e as Error).message}`);
  }
}
