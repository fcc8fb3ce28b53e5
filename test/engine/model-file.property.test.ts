// Property tests of the model loader: truncated, bit-flipped, spliced and random bytes, and
// headers that are valid JSON with a correct checksum but hostile content, are all refused with a
// ModelFileError (never a RangeError or TypeError from deep inside, never a hang); an intact file
// always loads. Fixed seeds: a failure prints its seed and path.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { crc32, decodeModel, encodeModel, ModelFileError } from "../../src/engine/model-file.js";
import { trainClassifier } from "../../src/engine/train.js";
import { syntheticIntents } from "../helpers/synthetic-intents.js";

const SEED = 7_654_321;
const model = trainClassifier(syntheticIntents({ labels: 3, perLabel: 30, seed: 5 }), { seed: 2 });
const files = { none: encodeModel(model), int8: encodeModel(model, { quantize: "int8" }) };
// Keys rather than the bytes, so that a counterexample prints short.
const fileArb = fc.constantFrom("none" as const, "int8" as const).map((k) => files[k], (v) => (v === files.int8 ? "int8" : "none"));

/** decodeModel either returns a model or throws ModelFileError; anything else fails the property. */
function decodeOrModelFileError(bytes: Uint8Array): "ok" | "refused" {
  try {
    decodeModel(bytes);
    return "ok";
  } catch (err) {
    if (!(err instanceof ModelFileError)) throw new Error(`expected a ModelFileError, got ${String(err)}`, { cause: err });
    expect(err.message.length).toBeGreaterThan(10);
    return "refused";
  }
}

function headerOf(bytes: Uint8Array): { length: number; json: Record<string, unknown> } {
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(12, true);
  return { length, json: JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + length))) };
}

/** Rewrites the header (keeping the layout's arithmetic honest) and re-seals the checksum. */
function withHeader(bytes: Uint8Array, header: unknown): Uint8Array {
  const old = headerOf(bytes).length;
  const json = new TextEncoder().encode(JSON.stringify(header));
  const oldStart = (16 + old + 3) & ~3;
  const newStart = (16 + json.length + 3) & ~3;
  const body = bytes.subarray(oldStart, bytes.length - 4);
  const out = new Uint8Array(newStart + body.length + 4);
  out.set(bytes.subarray(0, 16));
  new DataView(out.buffer).setUint32(12, json.length, true);
  out.set(json, 16);
  out.set(body, newStart);
  new DataView(out.buffer).setUint32(out.length - 4, crc32(out, out.length - 4), true);
  return out;
}

function reseal(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  if (out.length >= 4) new DataView(out.buffer).setUint32(out.length - 4, crc32(out, out.length - 4), true);
  return out;
}

describe("decodeModel on damaged files", () => {
  it("loads an intact file, and its header rewritten unchanged", () => {
    for (const bytes of Object.values(files)) {
      expect(decodeOrModelFileError(bytes)).toBe("ok");
      expect(decodeOrModelFileError(withHeader(bytes, headerOf(bytes).json))).toBe("ok");
    }
  });

  it("refuses every truncation", () => {
    fc.assert(
      fc.property(fileArb, fc.nat(), (bytes, n) => {
        expect(decodeOrModelFileError(bytes.subarray(0, n % bytes.length))).toBe("refused");
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it("refuses any set of flipped bits (the checksum catches them)", () => {
    fc.assert(
      fc.property(fileArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 4 }), (bytes, flips) => {
        const bad = bytes.slice();
        for (const [at, bit] of flips) bad[at % bad.length] ^= 1 << bit;
        // Flips that cancel each other out leave the file intact.
        const same = bad.every((b, i) => b === bytes[i]);
        expect(decodeOrModelFileError(bad)).toBe(same ? "ok" : "refused");
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it("never fails other than with ModelFileError on bytes damaged and then re-sealed with a valid checksum", () => {
    fc.assert(
      fc.property(fileArb, fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 6 }), fc.nat(), fc.boolean(), (bytes, writes, cut, truncate) => {
        let bad = bytes.slice();
        for (const [at, value] of writes) bad[at % bad.length] = value;
        if (truncate) bad = bad.slice(0, Math.max(20, cut % bad.length));
        decodeOrModelFileError(reseal(bad));
      }),
      { seed: SEED, numRuns: 500 },
    );
  });

  it("refuses random bytes, with or without the magic and a valid checksum", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.boolean(), fc.boolean(), fc.nat({ max: 0xffff }), (random, magic, sealed, headerLength) => {
        let bytes: Uint8Array = random;
        if (magic) {
          bytes = new Uint8Array(Math.max(random.length, 24));
          bytes.set(random);
          bytes.set(new TextEncoder().encode("APPRMODL"));
          new DataView(bytes.buffer).setUint32(8, 1, true);
          new DataView(bytes.buffer).setUint32(12, headerLength % bytes.length, true);
        }
        if (sealed) bytes = reseal(bytes);
        expect(decodeOrModelFileError(bytes)).toBe("refused");
      }),
      { seed: SEED, numRuns: 500 },
    );
  });
});

describe("decodeModel on hostile headers with a valid checksum", () => {
  const original = headerOf(files.none).json;
  const keys = Object.keys(original);
  // Values of every JSON type, plus ones near the fields' real shapes.
  const hostileValue = fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.constantFrom(null, -1, 0, 1.5, 1e308, "none", "int8", [], {}, [null], [{}], [{ name: "weights", type: "toString", length: 1 }], [{ name: "weights", type: "f32", length: -1 }], [{ name: "weights", type: "f32", length: 1e12 }], ["a", "a", "a"], { dimensions: 1 << 30 }),
  );

  it("refuses with ModelFileError when top-level fields are replaced or removed", () => {
    fc.assert(
      fc.property(fileArb, fc.dictionary(fc.constantFrom(...keys), fc.option(hostileValue, { nil: undefined }), { minKeys: 1, maxKeys: 3 }), (bytes, edits) => {
        const header: Record<string, unknown> = { ...headerOf(bytes).json };
        for (const [k, v] of Object.entries(edits)) {
          if (v === undefined) delete header[k];
          else header[k] = v;
        }
        decodeOrModelFileError(withHeader(bytes, header));
      }),
      { seed: SEED, numRuns: 400 },
    );
  });

  it("refuses with ModelFileError when featurizer settings or sections are hostile", () => {
    const featurizerKeys = Object.keys(original.featurizer as object);
    fc.assert(
      fc.property(
        fileArb,
        fc.dictionary(fc.constantFrom(...featurizerKeys), hostileValue, { maxKeys: 2 }),
        fc.option(fc.array(fc.oneof(hostileValue, fc.record({ name: fc.constantFrom("buckets", "idf", "bias", "weights", "scales", "x"), type: fc.constantFrom("i32", "f32", "i8", "toString", "__proto__"), length: fc.oneof(fc.nat({ max: 400 }), fc.constantFrom(-1, 0.5, 1e9)) })), { maxLength: 6 }), { nil: undefined }),
        (bytes, featurizerEdits, sections) => {
          const header = headerOf(bytes).json;
          header.featurizer = { ...(header.featurizer as object), ...featurizerEdits };
          if (sections !== undefined) header.sections = sections;
          decodeOrModelFileError(withHeader(bytes, header));
        },
      ),
      { seed: SEED, numRuns: 400 },
    );
  });

  it("names what is wrong for a header that is not an object", () => {
    for (const value of [null, 5, "x", [], true]) {
      expect(() => decodeModel(withHeader(files.none, value))).toThrow(ModelFileError);
    }
  });
});
