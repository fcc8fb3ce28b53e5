// The demo's structured task (src/cli/demo/transfers.ts): its seed and traffic come from the
// bundled transfers-demo files without overlap, its simulated teacher answers the gold objects and
// any other text with a valid object, and the response_format it replays with names every field.
// `npm run demo` itself is run end to end in cli.test.ts.
import { describe, expect, it } from "vitest";
import { canonicalContent, loadTransfersData, transfersResponseFormat, transfersTeacher } from "../../src/cli/demo/transfers.js";
import { parseCanonical } from "../../src/engine/structured-answer.js";
import { checkStructuredObject } from "../../src/teacher/structured-parse.js";

describe("the demo's transfers task", () => {
  it("seeds with part of train.jsonl and replays the rest of it mixed with test.jsonl, on the simulated teacher", async () => {
    const data = await loadTransfersData(false);
    expect(data.task.name).toBe("transfers-demo");
    expect(data.task.teacher.name).toBe("sim");
    expect((await loadTransfersData(true)).task.teacher.name).toBe("default");
    expect(data.seed.length).toBeGreaterThan(0);
    expect(data.traffic.length).toBeGreaterThan(150);
    const seeded = new Set(data.seed.map((s) => s.text));
    expect(data.traffic.filter((t) => seeded.has(t.text))).toEqual([]);
    const gold = new Map(data.gold.map((g) => [g.text, g.answer]));
    for (const e of [...data.seed, ...data.traffic]) expect(e.label).toBe(gold.get(e.text));
  });

  it("has a teacher that answers gold texts from its key and other texts with a checked object", async () => {
    const data = await loadTransfersData(false);
    const teacher = transfersTeacher(data);
    const right = await Promise.all(data.gold.map(async (g) => (await teacher.classify(g.text)).label === g.answer));
    const share = right.filter(Boolean).length / right.length;
    expect(share).toBeGreaterThan(0.8);
    expect(share).toBeLessThan(0.9);
    const text = "please send 40 euros to Maria tomorrow";
    const other = await teacher.classify(text);
    expect(other.status).toBe("ok");
    const checked = checkStructuredObject(parseCanonical(other.label!), text, data.fields);
    expect("invalid" in checked ? checked.invalid : null).toBeNull();
  }, 30_000);

  it("asks for the object with a strict json_schema naming every field, and reads replies back canonically", async () => {
    const data = await loadTransfersData(false);
    const format = transfersResponseFormat(data);
    expect(format.type).toBe("json_schema");
    expect(format.json_schema.strict).toBe(true);
    const schema = format.json_schema.schema as { properties: object; required: string[]; additionalProperties: boolean };
    expect(Object.keys(schema.properties)).toEqual(["intent", "amount", "currency", "recipient", "when"]);
    expect(schema.required).toEqual(Object.keys(schema.properties));
    expect(schema.additionalProperties).toBe(false);
    const answer = data.seed[0].label;
    const reordered = JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(answer) as object).reverse()));
    expect(canonicalContent(data.fields, reordered)).toBe(answer);
    expect(canonicalContent(data.fields, "not json")).toBeNull();
    expect(canonicalContent(data.fields, null)).toBeNull();
  });
});
