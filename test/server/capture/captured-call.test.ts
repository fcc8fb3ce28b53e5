// Which forwarded calls are captured, what their input is, and the fingerprint that names their task.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fingerprintOf, readCapturedCall } from "../../../src/server/capture/captured-call.js";
import { readUpstreamReply } from "../../../src/server/capture/upstream-reply.js";
import { SYSTEM_PROMPT, TRANSFER_SCHEMA, transferCall } from "./transfer-calls.js";

const callOf = (body: Record<string, unknown>, header?: string) => {
  const r = readCapturedCall(body, header);
  if (r === null || "skip" in r) throw new Error(`not captured: ${JSON.stringify(r)}`);
  return r.call;
};

/** The same JSON value with its object keys in another order. */
function shuffledKeys(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((v, i) => shuffledKeys(v, seed + i));
  if (typeof value !== "object" || value === null) return value;
  const keys = Object.keys(value);
  const order = keys.map((k, i) => [k, ((i + 1) * (seed + 7919)) % 104729] as const).sort((a, b) => a[1] - b[1]);
  return Object.fromEntries(order.map(([k]) => [k, shuffledKeys((value as Record<string, unknown>)[k], seed + 1)]));
}

describe("readCapturedCall", () => {
  it("reads a json_schema call: the last user message is the input, system and developer messages the prompt", () => {
    const call = callOf({
      ...transferCall("first"),
      messages: [
        { role: "system", content: SYSTEM_PROMPT },
        { role: "developer", content: [{ type: "text", text: "Be exact." }] },
        { role: "user", content: "first" },
        { role: "assistant", content: "{}" },
        { role: "user", content: [{ type: "text", text: "Send 5 euros" }, { type: "image_url", image_url: { url: "x" } }, { type: "text", text: "to Anna" }] },
      ],
    });
    expect(call).toMatchObject({ input: "Send 5 euros\nto Anna", system: `${SYSTEM_PROMPT}\n\nBe exact.`, via: "response_format", schemaName: "transfer", model: "gpt-sim", header: null, earlierTurns: 2 });
    expect(call.schema).toEqual(TRANSFER_SCHEMA);
  });

  it("reads a forced tool: by tool_choice, or required with one tool", () => {
    const tools = [
      { type: "function", function: { name: "a", parameters: TRANSFER_SCHEMA } },
      { type: "function", function: { name: "b", parameters: { type: "object", properties: {} } } },
    ];
    const body = { model: "m", messages: [{ role: "user", content: "hi" }], tools };
    expect(callOf({ ...body, tool_choice: { type: "function", function: { name: "a" } } })).toMatchObject({ via: "tool", schemaName: "a", schema: TRANSFER_SCHEMA });
    expect(callOf({ ...body, tools: tools.slice(0, 1), tool_choice: "required" })).toMatchObject({ via: "tool", schemaName: "a" });
    expect(readCapturedCall({ ...body, tool_choice: "required" }, undefined)).toEqual({ skip: "not_forced_tool" });
    expect(readCapturedCall({ ...body, tool_choice: "auto" }, undefined)).toEqual({ skip: "not_forced_tool" });
  });

  it("leaves plain chat alone and says why a structured call cannot be captured", () => {
    expect(readCapturedCall({ model: "m", messages: [{ role: "user", content: "hi" }] }, undefined)).toBeNull();
    expect(readCapturedCall({ ...transferCall("x"), response_format: { type: "json_object" } }, undefined)).toBeNull();
    expect(readCapturedCall({ ...transferCall("x"), n: 3 }, undefined)).toEqual({ skip: "several_choices" });
    expect(readCapturedCall({ ...transferCall("x"), messages: [{ role: "system", content: "only a prompt" }] }, undefined)).toEqual({ skip: "no_user_text" });
    expect(readCapturedCall({ ...transferCall("x"), messages: [{ role: "user", content: "   " }] }, undefined)).toEqual({ skip: "no_user_text" });
    expect(readCapturedCall({ model: "m", messages: [{ role: "user", content: "hi" }] }, "Not A Name!")).toEqual({ skip: "bad_header" });
  });

  it("takes the header's task name, with or without a schema", () => {
    expect(callOf({ model: "m", messages: [{ role: "user", content: "hi" }] }, "tickets")).toMatchObject({ header: "tickets", schema: null });
    expect(callOf(transferCall("x"), " tickets ")).toMatchObject({ header: "tickets", schemaName: "transfer" });
  });
});

describe("fingerprints", () => {
  const base = callOf(transferCall("a message"));

  it("are stable across key order, whitespace in the prompt, and the input", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.constantFrom(" ", "\n", "\t", "  \n "), fc.string(), (seed, space, input) => {
        const body = transferCall(input.trim() === "" ? "x" : input, {}) as unknown as Record<string, unknown>;
        const rf = body.response_format as { json_schema: { schema: unknown } };
        const changed = {
          ...body,
          messages: [
            { role: "system", content: `${space}${SYSTEM_PROMPT.replace(/ /g, space)}${space}` },
            { role: "user", content: input.trim() === "" ? "x" : input },
          ],
          response_format: { ...rf, json_schema: { ...rf.json_schema, schema: shuffledKeys(rf.json_schema.schema, seed) } },
        };
        expect(callOf(changed).fingerprint).toBe(base.fingerprint);
      }),
      { numRuns: 50 },
    );
  });

  it("differ for a changed prompt, schema, schema name, model or way of asking", () => {
    const parts = { model: base.model, system: base.system, via: base.via, schemaName: base.schemaName, schema: base.schema };
    expect(fingerprintOf(parts)).toBe(base.fingerprint);
    const variants = [
      { ...parts, system: `${parts.system} Be brief.` },
      { ...parts, schema: { ...TRANSFER_SCHEMA, required: ["amount"] } },
      { ...parts, schema: { ...TRANSFER_SCHEMA, properties: { ...TRANSFER_SCHEMA.properties, currency: { type: "string", enum: ["EUR", "USD", "GBP"] } } } },
      { ...parts, schemaName: "payment" },
      { ...parts, model: "gpt-other" },
      { ...parts, via: "tool" },
    ];
    const prints = variants.map(fingerprintOf);
    expect(new Set([base.fingerprint, ...prints]).size).toBe(variants.length + 1);
  });

  it("take the turns before the last user message as part of the prompt, and leave a call without any as it was", () => {
    const fewShot = [
      { role: "user", content: "Send 3 euros to Bo" },
      { role: "assistant", content: '{"amount":"3"}' },
    ];
    const withTurns = (input: string, turns: unknown[]) => callOf({ ...transferCall(input), messages: [{ role: "system", content: SYSTEM_PROMPT }, ...turns, { role: "user", content: input }] });
    const parts = { model: base.model, system: base.system, via: base.via, schemaName: base.schemaName, schema: base.schema };
    // Twice each, so the second comes out of the cache.
    for (let round = 0; round < 2; round++) {
      const a = withTurns("first input", fewShot);
      expect(a.earlierTurns).toBe(2);
      expect(a.fingerprint).toBe(withTurns("another input", fewShot).fingerprint);
      expect(a.fingerprint).toBe(fingerprintOf({ ...parts, turns: fewShot }));
      expect(a.fingerprint).not.toBe(base.fingerprint);
      expect(withTurns("first input", [fewShot[0], { ...fewShot[1], content: '{"amount":"4"}' }]).fingerprint).not.toBe(a.fingerprint);
      expect(withTurns("first input", [fewShot[1], fewShot[0]]).fingerprint).not.toBe(a.fingerprint);
      // A forced tool's call and its result are turns too.
      const toolTurns = [{ role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "transfer", arguments: "{}" } }] }, { role: "tool", tool_call_id: "c1", content: "ok" }];
      expect(withTurns("x", toolTurns).fingerprint).not.toBe(withTurns("x", [toolTurns[0], { ...toolTurns[1], tool_call_id: "c2" }]).fingerprint);
    }
    expect(callOf(transferCall("x")).earlierTurns).toBe(0);
  });

  it("come out of the cache of repeated calls as fingerprintOf gives them, never another call's", () => {
    const prompts = ["Read the transfer.", "Read the transfer!", "Read the  transfer.", "Read the transfer. "];
    for (let round = 0; round < 3; round++)
      for (const prompt of prompts) {
        const call = callOf({ ...(transferCall("send 5 EUR to Ann", {}) as unknown as Record<string, unknown>), messages: [{ role: "system", content: prompt }, { role: "user", content: "send 5 EUR to Ann" }] });
        expect(call.fingerprint).toBe(fingerprintOf({ model: call.model, system: call.system, via: call.via, schemaName: call.schemaName, schema: call.schema }));
      }
    // Whitespace runs are one space, so four prompts are two tasks.
    const prints = prompts.map((prompt) => callOf({ ...(transferCall("x", {}) as unknown as Record<string, unknown>), messages: [{ role: "system", content: prompt }, { role: "user", content: "x" }] }).fingerprint);
    expect(new Set(prints).size).toBe(2);
  });
  it("come out of the cache as fingerprintOf gives them when only the schema, its name, the model or the way of asking differs", () => {
    // Schemas alike but for one JSON value: a type, a number against its string, an array against an object, a key more.
    const schemas = [
      TRANSFER_SCHEMA,
      { ...TRANSFER_SCHEMA, required: ["amount", "currency"] },
      { ...TRANSFER_SCHEMA, required: { 0: "amount", 1: "currency", 2: "recipient" } },
      { ...TRANSFER_SCHEMA, properties: { ...TRANSFER_SCHEMA.properties, amount: { type: "string", description: "The amount, digits only.", maxLength: 12 } } },
      { ...TRANSFER_SCHEMA, properties: { ...TRANSFER_SCHEMA.properties, amount: { type: "string", description: "The amount, digits only.", maxLength: "12" } } },
      { ...TRANSFER_SCHEMA, additionalProperties: null },
      { ...TRANSFER_SCHEMA, extra: false },
    ];
    const bodyOf = (schema: unknown, name: string, model: string, tool: boolean): Record<string, unknown> => ({
      model,
      messages: [
        { role: "system", content: SYSTEM_PROMPT },
        { role: "user", content: "send 5 EUR to Ann" },
      ],
      ...(tool ? { tools: [{ type: "function", function: { name, parameters: schema } }], tool_choice: "required" } : { response_format: { type: "json_schema", json_schema: { name, strict: true, schema } } }),
    });
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(schemas.length - 1), fc.constantFrom("transfer", "payment"), fc.constantFrom("gpt-4o-mini", "gpt-other"), fc.boolean(), fc.nat(1000)), { minLength: 1, maxLength: 30 }), (calls) => {
        for (const [i, name, model, tool, seed] of calls) {
          const call = callOf(bodyOf(shuffledKeys(schemas[i], seed), name, model, tool));
          expect(call.fingerprint).toBe(fingerprintOf({ model, system: SYSTEM_PROMPT, via: tool ? "tool" : "response_format", schemaName: name, schema: schemas[i] }));
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe("readUpstreamReply", () => {
  const completion = (message: object, finish = "stop") => JSON.stringify({ id: "x", choices: [{ index: 0, message, finish_reason: finish }], usage: { prompt_tokens: 12, completion_tokens: 5 } });
  const sse = (deltas: object[], finish = "stop", usage?: object) =>
    [...deltas.map((delta) => ({ choices: [{ index: 0, delta, finish_reason: null }] })), { choices: [{ index: 0, delta: {}, finish_reason: finish }] }, ...(usage ? [{ choices: [], usage }] : [])].map((c) => `data: ${JSON.stringify(c)}\n\n`).join("") + "data: [DONE]\n\n";

  it("reads the content or the tool call's arguments of a plain reply, with its usage", () => {
    expect(readUpstreamReply(completion({ role: "assistant", content: '{"a":1}' }), false, "response_format")).toEqual({ json: '{"a":1}', usage: { prompt_tokens: 12, completion_tokens: 5 } });
    const tool = completion({ role: "assistant", content: null, tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: '{"b":2}' } }] }, "tool_calls");
    expect(readUpstreamReply(tool, false, "tool").json).toBe('{"b":2}');
  });

  it("assembles a stream's deltas, content or arguments, and its usage chunk", () => {
    expect(readUpstreamReply(sse([{ role: "assistant", content: "" }, { content: '{"a"' }, { content: ":1}" }], "stop", { prompt_tokens: 3, completion_tokens: 4 }), true, "response_format")).toEqual({ json: '{"a":1}', usage: { prompt_tokens: 3, completion_tokens: 4 } });
    const args = sse([{ role: "assistant", tool_calls: [{ index: 0, id: "c", function: { name: "f", arguments: "" } }] }, { tool_calls: [{ index: 0, function: { arguments: '{"b"' } }] }, { tool_calls: [{ index: 0, function: { arguments: ":2}" } }] }], "tool_calls");
    expect(readUpstreamReply(args, true, "tool").json).toBe('{"b":2}');
  });

  it("says why there is no answer: cut short, empty, not a completion", () => {
    expect(readUpstreamReply(completion({ content: '{"a":' }, "length"), false, "response_format")).toMatchObject({ json: null, problem: expect.stringMatching(/cut short/) });
    expect(readUpstreamReply(completion({ content: "" }), false, "response_format")).toMatchObject({ json: null, problem: expect.stringMatching(/no content/) });
    expect(readUpstreamReply(completion({ content: '{"a":1}' }), false, "tool")).toMatchObject({ json: null, problem: expect.stringMatching(/no tool call/) });
    expect(readUpstreamReply("<html>", false, "response_format")).toMatchObject({ json: null, problem: expect.stringMatching(/not an OpenAI chat completion/) });
    expect(readUpstreamReply("data: {oops\n\n", true, "response_format")).toMatchObject({ json: null });
  });
});
