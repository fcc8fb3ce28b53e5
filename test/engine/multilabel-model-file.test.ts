import { describe, expect, it } from "vitest";
import { crc32, decodeModel, encodeModel, ModelFileError, MODEL_FORMAT_VERSION } from "../../src/engine/model-file.js";
import { decodeMultiLabelModel, encodeMultiLabelModel } from "../../src/engine/multilabel-model-file.js";
import { trainMultiLabelClassifier } from "../../src/engine/multilabel-train.js";
import { decodeSpanModel } from "../../src/engine/span-model-file.js";
import { trainClassifier } from "../../src/engine/train.js";
import { syntheticIntents } from "../helpers/synthetic-intents.js";
import { syntheticMultiLabel } from "../helpers/synthetic-multilabel.js";

const model = trainMultiLabelClassifier(syntheticMultiLabel(600, 1), { labels: ["never"] });
const probes = [...syntheticMultiLabel(40, 9).map((e) => e.text), "", "completely unrelated words", "😀"];

/** Rewrites the JSON header of an encoded file with `edit`, fixing the checksum, so only the content is wrong. */
function withHeader(bytes: Uint8Array, edit: (h: Record<string, unknown>) => void): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(12, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + length))) as Record<string, unknown>;
  edit(header);
  const json = new TextEncoder().encode(JSON.stringify(header));
  if (json.length > length) throw new Error("the edit made the header longer; pick one that does not");
  const out = bytes.slice();
  out.set(new TextEncoder().encode(JSON.stringify(header).padEnd(length, " ")), 16);
  new DataView(out.buffer).setUint32(out.length - 4, crc32(out, out.length - 4), true);
  return out;
}

describe("multi-label model file", () => {
  it("save → load gives the same header and identical predictions", () => {
    const loaded = decodeMultiLabelModel(encodeMultiLabelModel(model));
    expect(loaded.header).toEqual(model.header);
    for (const t of probes) expect(loaded.predict(t)).toEqual(model.predict(t));
  });

  it("int8 weights make the file smaller and keep the predicted sets", () => {
    const full = encodeMultiLabelModel(model);
    const small = encodeMultiLabelModel(model, { quantize: "int8" });
    // Each weight shrinks from 4 bytes to 1; each feature row gains a 4-byte scale.
    const F = model.linear.featureCount;
    const K = model.linear.classCount;
    expect(full.length - small.length).toBeGreaterThanOrEqual(3 * F * K - 4 * F - 64);
    const q = decodeMultiLabelModel(small);
    let same = 0;
    for (const t of probes) {
      const a = model.predict(t);
      const b = q.predict(t);
      if (JSON.stringify(a.labels.map((l) => l.label)) === JSON.stringify(b.labels.map((l) => l.label))) same++;
      expect(Math.abs(a.probability - b.probability)).toBeLessThan(0.05);
    }
    expect(same).toBeGreaterThanOrEqual(probes.length - 2);
  });

  it("refuses a truncated file", () => {
    const bytes = encodeMultiLabelModel(model);
    for (const cut of [0, 10, 20, 100, bytes.length - 1]) expect(() => decodeMultiLabelModel(bytes.subarray(0, cut))).toThrow(ModelFileError);
    expect(() => decodeMultiLabelModel(bytes.subarray(0, bytes.length - 8))).toThrow(/truncated|corrupt/);
  });

  it("refuses a file with a flipped bit", () => {
    const bytes = encodeMultiLabelModel(model);
    for (const at of [9, 20, Math.floor(bytes.length / 2), bytes.length - 10]) {
      const bad = bytes.slice();
      bad[at] ^= 0x04;
      expect(() => decodeMultiLabelModel(bad)).toThrow(ModelFileError);
    }
  });

  it("refuses a file of another kind, and is refused by the other kinds' readers, saying which kind it holds", () => {
    const classifier = encodeModel(trainClassifier(syntheticIntents({ labels: 3, perLabel: 20, seed: 1 })));
    expect(() => decodeMultiLabelModel(classifier)).toThrow(/holds a "label" model, not a "multilabel" model/);
    const bytes = encodeMultiLabelModel(model);
    expect(() => decodeModel(bytes)).toThrow(/holds a "multilabel" model, not a "label" model/);
    expect(() => decodeSpanModel(bytes)).toThrow(/holds a "multilabel" model, not a "spans" model/);
  });

  it("refuses a newer format", () => {
    const newer = encodeMultiLabelModel(model);
    new DataView(newer.buffer).setUint32(8, MODEL_FORMAT_VERSION + 1, true);
    new DataView(newer.buffer).setUint32(newer.length - 4, crc32(newer, newer.length - 4), true);
    expect(() => decodeMultiLabelModel(newer)).toThrow(/newer than this Apprentice reads/);
  });

  it("refuses a header whose calibration, thresholds or set calibration do not fit the labels", () => {
    const bytes = encodeMultiLabelModel(model);
    const edits: [string, (h: Record<string, unknown>) => void][] = [
      ["thresholds", (h) => (h.thresholds = (h.thresholds as number[]).slice(1))],
      ["thresholds", (h) => ((h.thresholds as number[])[0] = 2)],
      ["calibration", (h) => ((h.calibration as { slope: unknown[] }).slope[0] = "x")],
      ["setCalibration", (h) => (h.setCalibration = { slope: 1 })],
      ["labels", (h) => (h.labels = [])],
    ];
    for (const [what, edit] of edits) expect(() => decodeMultiLabelModel(withHeader(bytes, edit))).toThrow(new RegExp(`header is invalid: ${what}`));
  });
});
