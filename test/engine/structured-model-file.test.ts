import { describe, expect, it } from "vitest";
import { decodeContainer, encodeContainer, modelKindOf, type SectionData } from "../../src/engine/model-container.js";
import type { TextClassifier } from "../../src/engine/classifier.js";
import { decodeModel, encodeModel, ModelFileError } from "../../src/engine/model-file.js";
import type { MultiLabelClassifier } from "../../src/engine/multilabel-classifier.js";
import { encodeMultiLabelModel } from "../../src/engine/multilabel-model-file.js";
import { encodeSpanModel } from "../../src/engine/span-model-file.js";
import type { OutputField } from "../../src/engine/structured-answer.js";
import { decodeStructuredModel, encodeStructuredModel } from "../../src/engine/structured-model-file.js";
import type { StructuredSpecialist } from "../../src/engine/structured-specialist.js";
import { trainStructuredSpecialist } from "../../src/engine/structured-train.js";
import { TRANSFER_FIELDS, transferRequests } from "../helpers/transfer-requests.js";

// Every kind of part: classifiers (intent, currency, urgent), a multi-label classifier (flags),
// a constant choice (channel), a constant tags field (marks) and the span extractor.
const FIELDS: OutputField[] = [
  ...TRANSFER_FIELDS,
  { name: "flags", kind: "tags", values: ["big", "foreign"], description: "Worth a second look." },
  { name: "channel", kind: "choice", values: ["app", "web"] },
  { name: "marks", kind: "tags", values: ["x", "y"] },
];
const examples = transferRequests(300, 1).map((t) => ({
  text: t.text,
  object: { ...t.object, flags: [...(Number(t.object.amount) > 1000 ? ["big"] : []), ...(t.object.currency === "USD" ? ["foreign"] : [])], channel: "app", marks: ["x"] },
}));
const model = trainStructuredSpecialist(FIELDS, examples);
// The trained sub-models, to encode on their own.
const intent = (model.parts.choices.get("intent") as { classifier: TextClassifier }).classifier;
const flags = (model.parts.tags.get("flags") as { classifier: MultiLabelClassifier }).classifier;
const probes = [...transferRequests(40, 7).map((t) => t.text), "", "completely unrelated words", "😀"];

function expectSamePredictions(a: StructuredSpecialist, b: StructuredSpecialist): void {
  // The whole prediction: labels, confidences, unknown shares, each field's value and spans.
  for (const t of probes) expect(b.predict(t)).toEqual(a.predict(t));
}

/** Re-encodes a file with one section rewritten (outer checksum fixed), so only that part is wrong. */
function withSection(bytes: Uint8Array, name: string, edit: (s: Uint8Array) => Uint8Array): Uint8Array {
  const { header, sections } = decodeContainer(bytes, "structured");
  const { sections: infos, ...rest } = header as { sections: { name: string }[] };
  const out = infos.map((info) => {
    let data = sections.get(info.name)!;
    if (info.name === name) {
      const e = edit(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      data = new Int8Array(e.buffer, e.byteOffset, e.length);
    }
    return { info: { name: info.name, type: "i8" as const, length: data.length }, data: data as SectionData };
  });
  return encodeContainer(rest, out);
}

describe("structured model file", () => {
  it("covers every kind of part", () => {
    expect("classifier" in model.parts.choices.get("intent")!).toBe(true);
    expect("constant" in model.parts.choices.get("channel")!).toBe(true);
    expect("classifier" in model.parts.tags.get("flags")!).toBe(true);
    expect("constant" in model.parts.tags.get("marks")!).toBe(true);
    expect(model.parts.spans).not.toBeNull();
  });

  it("save → load gives the same fields and identical predictions", () => {
    const loaded = decodeStructuredModel(encodeStructuredModel(model));
    expect(loaded.fields).toEqual(model.fields);
    expect(loaded.parts.choices.get("channel")).toEqual(model.parts.choices.get("channel"));
    expect(loaded.parts.tags.get("marks")).toEqual(model.parts.tags.get("marks"));
    expectSamePredictions(model, loaded);
    const known = model.predict("send 12 euros to Anna").label;
    expect(loaded.knows(known)).toBe(true);
    expect(loaded.knows(known.replace("send_money", "close_account"))).toBe(false);
  });

  it("keeps which choice fields offer none of these, and reads files written before the flag", () => {
    const offering = FIELDS.map((f) => (f.kind === "choice" ? { ...f, offersNone: true } : f));
    const withNone = trainStructuredSpecialist(offering, examples.slice(0, 60));
    expect(decodeStructuredModel(encodeStructuredModel(withNone)).fields.filter((f) => f.offersNone).map((f) => f.name)).toEqual(["intent", "currency", "channel"]);
    expect(decodeStructuredModel(encodeStructuredModel(model)).fields.some((f) => "offersNone" in f)).toBe(false);
  });

  it("loads from a view at an odd offset of a larger buffer", () => {
    const bytes = encodeStructuredModel(model);
    const big = new Uint8Array(bytes.length + 3);
    big.set(bytes, 3);
    expectSamePredictions(model, decodeStructuredModel(big.subarray(3)));
  });

  it("int8 weights in every part make the file smaller and keep the answers", () => {
    const full = encodeStructuredModel(model);
    const small = encodeStructuredModel(model, { quantize: "int8" });
    // Each part saves what its own int8 file saves (give or take the sections' padding to 4 bytes).
    const currency = (model.parts.choices.get("currency") as { classifier: TextClassifier }).classifier;
    const urgent = (model.parts.choices.get("urgent") as { classifier: TextClassifier }).classifier;
    const saving = (encode: (o: { quantize: "none" | "int8" }) => Uint8Array) => encode({ quantize: "none" }).length - encode({ quantize: "int8" }).length;
    const parts = [...[intent, currency, urgent].map((c) => saving((o) => encodeModel(c, o))), saving((o) => encodeMultiLabelModel(flags, o)), saving((o) => encodeSpanModel(model.parts.spans!, o))];
    expect(Math.abs(full.length - small.length - parts.reduce((a, b) => a + b))).toBeLessThanOrEqual(4 * parts.length);
    const q = decodeStructuredModel(small);
    const same = probes.filter((t) => q.predict(t).label === model.predict(t).label).length;
    expect(same).toBeGreaterThanOrEqual(probes.length - 2);
  });

  it("round-trips a model without extract fields, whose extractor is null", () => {
    const fields = FIELDS.filter((f) => f.kind !== "extract");
    const m = trainStructuredSpecialist(fields, examples);
    expect(m.parts.spans).toBeNull();
    expectSamePredictions(m, decodeStructuredModel(encodeStructuredModel(m)));
    // And one with an extract field whose value was never seen: the extractor is null too.
    const never = trainStructuredSpecialist(FIELDS, examples.map((e) => ({ ...e, object: { ...e.object, amount: null, recipient: null } })));
    expect(never.parts.spans).toBeNull();
    expectSamePredictions(never, decodeStructuredModel(encodeStructuredModel(never)));
  });

  it("refuses a truncated file", () => {
    const bytes = encodeStructuredModel(model);
    for (const cut of [0, 10, 20, 100, Math.floor(bytes.length / 2), bytes.length - 1]) {
      expect(() => decodeStructuredModel(bytes.subarray(0, cut))).toThrow(ModelFileError);
    }
    expect(() => decodeStructuredModel(bytes.subarray(0, bytes.length - 8))).toThrow(/truncated|corrupt/);
  });

  it("refuses a file with a flipped byte, in the header or inside a part", () => {
    const bytes = encodeStructuredModel(model);
    for (const at of [20, Math.floor(bytes.length / 2), bytes.length - 10, bytes.length - 1]) {
      const bad = bytes.slice();
      bad[at] ^= 0x04;
      expect(() => decodeStructuredModel(bad)).toThrow(/corrupt/);
    }
  });

  it("refuses a part that is bad under a good outer checksum by the part's own checks, naming its field", () => {
    const bytes = encodeStructuredModel(model);
    const flipped = withSection(bytes, "field:intent", (s) => {
      const c = s.slice();
      c[c.length >> 1] ^= 0x04;
      return c;
    });
    expect(() => decodeStructuredModel(flipped)).toThrow(/field "intent": model file is corrupt/);
    const wrongKind = withSection(bytes, "field:flags", () => encodeModel(intent));
    expect(() => decodeStructuredModel(wrongKind)).toThrow(/field "flags": model file holds a "label" model, not a "multilabel" model/);
    const truncated = withSection(bytes, "spans", (s) => s.subarray(0, 100));
    expect(() => decodeStructuredModel(truncated)).toThrow(/extracted fields: model file is truncated/);
  });

  it("refuses a file of another kind, and is refused by the other kinds' readers, saying which kind it holds", () => {
    expect(() => decodeStructuredModel(encodeModel(intent))).toThrow(/holds a "label" model, not a "structured" model/);
    expect(() => decodeModel(encodeStructuredModel(model))).toThrow(/holds a "structured" model, not a "label" model/);
  });

  it("modelKindOf tells a file's kind after checking it", () => {
    expect(modelKindOf(encodeStructuredModel(model))).toBe("structured");
    expect(modelKindOf(encodeModel(intent))).toBe("label");
    expect(modelKindOf(encodeMultiLabelModel(flags))).toBe("multilabel");
    expect(modelKindOf(encodeSpanModel(model.parts.spans!))).toBe("spans");
    const bytes = encodeStructuredModel(model);
    expect(() => modelKindOf(bytes.subarray(0, 50))).toThrow(ModelFileError);
    const unknown = encodeContainer({ kind: "hologram" }, []);
    expect(() => modelKindOf(unknown)).toThrow(/holds a "hologram" model, which this Apprentice does not read/);
    const bad = bytes.slice();
    bad[bad.length - 1] ^= 1;
    expect(() => modelKindOf(bad)).toThrow(/checksum/);
  });

  it("refuses a header whose parts do not fit its fields", () => {
    const bytes = encodeStructuredModel(model);
    const { header, sections } = decodeContainer(bytes, "structured");
    const { sections: infos, ...rest } = header as { sections: { name: string; type: "i8"; length: number }[]; parts: Record<string, unknown>; fields: unknown[] };
    const reencode = (h: object) => encodeContainer(h, infos.map((info) => ({ info, data: sections.get(info.name)! })));
    const edits: [RegExp, (h: typeof rest) => object][] = [
      [/part of field "channel"/, (h) => ({ ...h, parts: { ...h.parts, channel: undefined } })],
      [/part of field "marks"/, (h) => ({ ...h, parts: { ...h.parts, marks: { constant: { value: "x", probability: 0.9 } } } })],
      [/part of field "channel"/, (h) => ({ ...h, parts: { ...h.parts, channel: { constant: { value: "app", probability: 2 } } } })],
      [/header is invalid: field 0/, (h) => ({ ...h, fields: [{ name: "intent", kind: "essay" }, ...h.fields.slice(1)] })],
      [/a name twice/, (h) => ({ ...h, fields: [...h.fields, h.fields[0]] })],
      [/section field:urgent2 is missing/, (h) => ({ ...h, fields: [...h.fields, { name: "urgent2", kind: "boolean" }], parts: { ...h.parts, urgent2: "classifier" } })],
    ];
    for (const [message, edit] of edits) expect(() => decodeStructuredModel(reencode(edit(rest)))).toThrow(message);
  });
});
