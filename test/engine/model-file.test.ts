import { describe, expect, it } from "vitest";
import { decodeModel, encodeModel, ModelFileError, MODEL_FORMAT_VERSION, crc32 } from "../../src/engine/model-file.js";
import { trainClassifier } from "../../src/engine/train.js";
import { syntheticIntents } from "../helpers/synthetic-intents.js";

const data = syntheticIntents({ labels: 4, perLabel: 50, seed: 3 });
const model = trainClassifier(data, { seed: 1 });
const probes = syntheticIntents({ labels: 4, perLabel: 20, seed: 4 }).map((e) => e.text);
probes.push("", "completely unrelated words", "😀");

describe("model file", () => {
  it("save → load gives identical predictions and header", () => {
    const loaded = decodeModel(encodeModel(model));
    expect(loaded.header).toEqual(model.header);
    for (const t of probes) expect(loaded.probabilities(t)).toEqual(model.probabilities(t));
  });

  it("loads from a view at an odd offset of a larger buffer", () => {
    const bytes = encodeModel(model);
    const big = new Uint8Array(bytes.length + 3);
    big.set(bytes, 3);
    const loaded = decodeModel(big.subarray(3));
    expect(loaded.predict(probes[0])).toEqual(model.predict(probes[0]));
  });

  it("int8 quantisation shrinks the file and keeps predictions close", () => {
    const full = encodeModel(model);
    const small = encodeModel(model, { quantize: "int8" });
    // Each weight shrinks from 4 bytes to 1; each feature row gains a 4-byte scale.
    const F = model.linear.featureCount;
    const K = model.linear.classCount;
    expect(full.length - small.length).toBeGreaterThanOrEqual(3 * F * K - 4 * F - 64);
    const q = decodeModel(small);
    let same = 0;
    for (const t of probes) {
      const a = model.predict(t);
      const b = q.predict(t);
      if (a.label === b.label) same++;
      expect(Math.abs(a.confidence - b.confidence)).toBeLessThan(0.02);
    }
    expect(same).toBeGreaterThanOrEqual(probes.length - 1);
  });

  it("loads from a Node Buffer (whose slice shares memory)", () => {
    const bytes = encodeModel(model);
    const pooled = Buffer.concat([Buffer.from([1, 2, 3]), Buffer.from(bytes)]).subarray(3);
    expect(decodeModel(pooled).predict(probes[0])).toEqual(model.predict(probes[0]));
  });

  it("refuses a truncated file", () => {
    const bytes = encodeModel(model);
    for (const cut of [0, 10, 20, 100, bytes.length - 1]) {
      expect(() => decodeModel(bytes.subarray(0, cut))).toThrow(ModelFileError);
    }
    expect(() => decodeModel(bytes.subarray(0, bytes.length - 8))).toThrow(/truncated|corrupt/);
  });

  it("refuses a file with any flipped bit", () => {
    const bytes = encodeModel(model);
    for (const at of [8, 13, 20, Math.floor(bytes.length / 2), bytes.length - 10, bytes.length - 1]) {
      const bad = bytes.slice();
      bad[at] ^= 0x10;
      expect(() => decodeModel(bad)).toThrow(ModelFileError);
    }
  });

  it("refuses other files and newer formats with a clear message", () => {
    expect(() => decodeModel(new TextEncoder().encode("text,label\nhello,world\n"))).toThrow(/not an Apprentice model file/);
    const newer = encodeModel(model);
    new DataView(newer.buffer).setUint32(8, MODEL_FORMAT_VERSION + 1, true);
    new DataView(newer.buffer).setUint32(newer.length - 4, crc32(newer, newer.length - 4), true);
    expect(() => decodeModel(newer)).toThrow(/newer than this Apprentice reads/);
  });

  it("refuses a header that is consistent in checksum but wrong in content", () => {
    const bytes = encodeModel(model);
    const view = new DataView(bytes.buffer);
    const headerLength = view.getUint32(12, true);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + headerLength)));
    header.classes = header.classes + 1;
    const json = new TextEncoder().encode(JSON.stringify(header).padEnd(headerLength, " "));
    if (json.length !== headerLength) return; // the edit changed the length; covered by other tests
    bytes.set(json, 16);
    view.setUint32(bytes.length - 4, crc32(bytes, bytes.length - 4), true);
    expect(() => decodeModel(bytes)).toThrow(ModelFileError);
  });
});
