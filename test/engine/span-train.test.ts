import { describe, expect, it } from "vitest";
import { ChainScratch, computeEmissions, expScaled, forwardBackward, isValidTagSequence, spanMarginal, tagCount, viterbi } from "../../src/engine/crf.js";
import { encodeContainer, ModelFileError, MODEL_FORMAT_VERSION } from "../../src/engine/model-container.js";
import { encodeModel, decodeModel } from "../../src/engine/model-file.js";
import { mulberry32 } from "../../src/engine/random.js";
import { evaluateSpans } from "../../src/engine/span-metrics.js";
import { decodeSpanModel, encodeSpanModel } from "../../src/engine/span-model-file.js";
import { tagsToTokenSpans, type SpanExtractor } from "../../src/engine/span-extractor.js";
import { TEMPLATE_COUNT, tokenizeForSpans } from "../../src/engine/span-features.js";
import { trainSpanExtractor, type SpanExample } from "../../src/engine/span-train.js";
import { trainClassifier } from "../../src/engine/train.js";

const NAMES = ["Ana", "Bob", "Chen Wei", "Dara", "Émile", "Fatima", "Gus", "Hiro"];
const CITIES = ["Paris", "New York", "Oslo", "São Paulo", "Lima", "Kyoto", "Cairo", "Perth"];
const DAYS = ["today", "tomorrow", "on monday", "next week"];

/**
 * "book a flight for NAME to CITY DAY" and variants. With `noise`, the destination is labelled
 * `origin` instead of `city` on that share of texts, at random: no model can tell which, so a
 * calibrated one must say so.
 */
function synthetic(n: number, seed: number, noise = 0): SpanExample[] {
  const r = mulberry32(seed);
  const pick = <T>(a: T[]) => a[Math.floor(r() * a.length)];
  const out: SpanExample[] = [];
  for (let i = 0; i < n; i++) {
    let text = pick(["book a flight for ", "please get ", "a ticket for "]);
    const spans = [];
    const name = pick(NAMES);
    spans.push({ start: text.length, end: text.length + name.length, label: "person" });
    text += name + pick([" to ", " going to ", " headed for "]);
    const city = pick(CITIES);
    spans.push({ start: text.length, end: text.length + city.length, label: r() < noise ? "origin" : "city" });
    text += city;
    if (r() < 0.7) {
      const day = pick(DAYS);
      text += " ";
      spans.push({ start: text.length, end: text.length + day.length, label: "date" });
      text += day;
    }
    out.push({ text: text + pick(["", ".", " please"]), spans });
  }
  return out;
}

/** Prediction through crf.ts's reference functions, as the extractor first did it. */
function referencePredict(model: SpanExtractor, text: string) {
  const x = tokenizeForSpans(text);
  const n = x.tokens.length;
  if (n === 0) return { spans: [], probability: 1 };
  const w = model.weights;
  const T = model.header.temperature;
  const s = new ChainScratch();
  s.ensure(n, tagCount(w.labelCount));
  computeEmissions(w, Int32Array.from(x.features, (v) => model.table.find(v)), 0, n, TEMPLATE_COUNT, 1, s.emit);
  const path = new Int32Array(n);
  const score = viterbi(w, n, s, path);
  const eT = expScaled(w.transition, T);
  const logZ = forwardBackward(w, n, s, eT, expScaled(w.start, T), T);
  const spans = tagsToTokenSpans(path, n, w.labelCount).map((sp) => ({ start: x.starts[sp.first], end: x.ends[sp.last], label: model.labels[sp.label], probability: spanMarginal(w, n, s, eT, sp.label, sp.first, sp.last) }));
  return { spans, probability: Math.min(1, Math.exp(score / T - logZ)) };
}

describe("span extractor", () => {
  const train = synthetic(300, 1);
  const model = trainSpanExtractor(train, { seed: 3 });

  it("learns a separable task and returns spans whose text is the slice", () => {
    const test = synthetic(100, 2);
    const predictions = test.map((e) => model.predict(e.text));
    const ev = evaluateSpans(
      test.map((e) => e.spans),
      predictions,
    );
    expect(ev.span_f1).toBeGreaterThan(0.98);
    for (let i = 0; i < test.length; i++) for (const s of predictions[i].spans) expect(s.text).toBe(test[i].text.slice(s.start, s.end));
    const p = model.predict("book a flight for Hiro to Kyoto tomorrow");
    expect(p.spans.map((s) => [s.label, s.text])).toEqual([
      ["person", "Hiro"],
      ["city", "Kyoto"],
      ["date", "tomorrow"],
    ]);
    expect(p.probability).toBeGreaterThan(0.5);
  });

  it("predicts what the reference decoding (crf.ts) predicts, to 1e-12", () => {
    const r = mulberry32(9);
    const words = ["book", "a", "flight", "for", "to", "tomorrow", "Kyoto", "São", "Paulo", "Ana", "Chen", "Wei", "please", ".", "'s", "😀", "x"];
    const texts = [...synthetic(40, 5, 0.3).map((e) => e.text), ...Array.from({ length: 60 }, () => Array.from({ length: 1 + Math.floor(r() * 12) }, () => words[Math.floor(r() * words.length)]).join(r() < 0.5 ? " " : ""))];
    for (const text of texts) {
      const fast = model.predict(text);
      const ref = referencePredict(model, text);
      expect(fast.spans.map((s) => [s.start, s.end, s.label])).toEqual(ref.spans.map((s) => [s.start, s.end, s.label]));
      expect(Math.abs(fast.probability - ref.probability)).toBeLessThan(1e-12);
      fast.spans.forEach((s, i) => expect(Math.abs(s.probability - ref.spans[i].probability)).toBeLessThan(1e-12));
    }
  });

  it("decodes valid tag sequences on any text, including ones far from its training data", () => {
    for (const text of ["", "   ", "to to to to", "😀 Kyoto 𝒳 e\u0301 ﬁ", "Paris Paris Paris Ana Ana tomorrow tomorrow"]) {
      const p = model.predict(text);
      expect(p.probability).toBeGreaterThanOrEqual(0);
      expect(p.probability).toBeLessThanOrEqual(1);
      for (const s of p.spans) expect(s.text).toBe(text.slice(s.start, s.end));
      const tokens = p.spans.length ? p.spans[p.spans.length - 1].end : 0;
      expect(tokens).toBeLessThanOrEqual(text.length);
    }
    model.predict("Paris Paris Paris Ana Ana tomorrow tomorrow");
    expect(isValidTagSequence(model.lastTags(7), model.labels.length)).toBe(true);
  });

  it("predicts identically after save and load, and nearly so from int8", () => {
    const again = decodeSpanModel(encodeSpanModel(model));
    const quantized = decodeSpanModel(encodeSpanModel(model, { quantize: "int8" }));
    for (const e of synthetic(50, 4)) {
      expect(again.predict(e.text)).toEqual(model.predict(e.text));
      expect(quantized.predict(e.text).spans.map((s) => [s.start, s.end, s.label])).toEqual(model.predict(e.text).spans.map((s) => [s.start, s.end, s.label]));
    }
    expect(again.header).toEqual(model.header);
  });

  it("refuses truncated, corrupted, newer and other-kind files with a message saying which", () => {
    const bytes = encodeSpanModel(model);
    expect(() => decodeSpanModel(bytes.subarray(0, bytes.length - 9))).toThrow(/corrupt or truncated/);
    const flipped = bytes.slice();
    flipped[bytes.length >> 1] ^= 0x10;
    expect(() => decodeSpanModel(flipped)).toThrow(ModelFileError);
    const newer = bytes.slice();
    new DataView(newer.buffer).setUint32(8, MODEL_FORMAT_VERSION + 1, true);
    expect(() => decodeSpanModel(newer)).toThrow(/newer than this Apprentice reads/);
    const classifier = trainClassifier(
      ["a b", "a c", "d e", "d f"].map((text, i) => ({ text, label: i < 2 ? "x" : "y" })),
      { refit: false },
    );
    expect(() => decodeSpanModel(encodeModel(classifier))).toThrow(/holds a "label" model, not a "spans" model/);
    expect(() => decodeModel(bytes)).toThrow(/holds a "spans" model, not a "label" model/);
    const futureKind = encodeContainer({ kind: "graph" }, []);
    expect(() => decodeSpanModel(futureKind)).toThrow(/"graph" model/);
  });

  it("refuses hostile headers with ModelFileError, never another error", () => {
    const bytes = encodeSpanModel(model);
    const headerLength = new DataView(bytes.buffer).getUint32(12, true);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + headerLength))) as Record<string, unknown>;
    const { sections: _s, ...rest } = header;
    for (const patch of [{ labels: [] }, { temperature: -1 }, { features: 3 }, { pairs: "x" }, { templates: ["a"] }, { quantization: "int4" }]) {
      // Sections stay as encoded, so only the header's claims are wrong.
      const sections = (header.sections as { name: string; type: "i32" | "f32" | "f64" | "i8"; length: number }[]).map((info) => ({ info, data: sliceSection(bytes, header, info.name) }));
      const hostile = encodeContainer({ ...rest, ...patch }, sections);
      expect(() => decodeSpanModel(hostile)).toThrow(ModelFileError);
    }
  });

  it("fits whole-answer probabilities that match how often answers are right (synthetic ambiguity)", () => {
    const noisy = trainSpanExtractor(synthetic(1500, 5, 0.3), { seed: 1 });
    const fresh = synthetic(1000, 6, 0.3);
    const predictions = fresh.map((e) => noisy.predict(e.text));
    const ev = evaluateSpans(
      fresh.map((e) => e.spans),
      predictions,
    );
    const meanProbability = predictions.reduce((a, p) => a + p.probability, 0) / predictions.length;
    expect(Math.abs(meanProbability - ev.exact_match)).toBeLessThan(0.04);
    // About 70% of answers can be right; the model must not claim near-certainty.
    expect(ev.exact_match).toBeGreaterThan(0.6);
    expect(ev.exact_match).toBeLessThan(0.8);
    expect(ev.answer_ece).toBeLessThan(0.08);
  });

  it("refuses training data with overlapping spans or no spans at all", () => {
    expect(() => trainSpanExtractor([{ text: "New York City", spans: [{ start: 0, end: 8, label: "a" }, { start: 4, end: 13, label: "b" }] }])).toThrow(/overlap/);
    expect(() => trainSpanExtractor([{ text: "nothing here", spans: [] }])).toThrow(/no spans/);
  });
});

/** The raw bytes of one section, re-read from the file layout (for building hostile files). */
function sliceSection(bytes: Uint8Array, header: Record<string, unknown>, name: string) {
  const headerLength = new DataView(bytes.buffer).getUint32(12, true);
  let offset = (16 + headerLength + 3) & ~3;
  const size = { i32: 4, f32: 4, f64: 8, i8: 1 } as const;
  for (const s of header.sections as { name: string; type: keyof typeof size; length: number }[]) {
    const n = s.length * size[s.type];
    if (s.name === name) {
      const copy = bytes.slice(offset, offset + n).buffer;
      return s.type === "i32" ? new Int32Array(copy) : s.type === "f32" ? new Float32Array(copy) : s.type === "f64" ? new Float64Array(copy) : new Int8Array(copy);
    }
    offset = (offset + n + 3) & ~3;
  }
  throw new Error(`no section ${name}`);
}
