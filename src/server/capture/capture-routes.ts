// Captured tasks over HTTP (admin only), for the console's "Discovered" page: list them with what
// shadow mode measured, read one, and switch its mode (also on a gateway without an upstream,
// which keeps the tasks another instance captured). Every other task route (examples, models,
// requests, deletion) works for them as for any task. Documented beside the routes
// (captureRouteDocs, captureSchemas); openapi.ts collects them.
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { Store } from "../../store/index.js";
import { CAPTURE_MODES } from "../../task/capture.js";
import { isCapturedTask } from "../../task/structured.js";
import { arrayOf, bool, epochMs, fromZod, int, jsonReply, json, nullable, num, object, oneOfStrings, ref, str, type RouteDoc, type Schema } from "../docs/openapi-shapes.js";
import { badRequest, notFound } from "../http/errors.js";
import type { TaskRuntimes } from "../runtime/task-runtime.js";
import { setCaptureMode } from "./capture-mode.js";
import { discoveredTask } from "./discovered.js";

const ModeChangeSchema = z
  .object({
    mode: z.enum(CAPTURE_MODES).optional(),
    /** The task's own auto_serve (null: follow the gateway's capture.auto_serve). */
    auto_serve: z.boolean().optional(),
  })
  .strict()
  .refine((b) => b.mode !== undefined || b.auto_serve !== undefined, "give mode, auto_serve or both");

type NameParams = { Params: { name: string } };

export function registerCaptureRoutes(app: FastifyInstance, deps: { store: Store; runtimes: TaskRuntimes }): void {
  const { store, runtimes } = deps;
  const admin = { config: { access: "admin" as const } };

  async function capturedRecord(name: string) {
    const record = await store.tasks.get(name);
    if (record === null || !isCapturedTask(record.definition)) throw notFound(`no captured task "${name}"`);
    return { ...record, definition: record.definition };
  }

  app.get("/v1/captured", admin, async () => {
    // Shadow figures are read from the request log: rows still in its buffer count too.
    await app.requestLog.flush();
    const records = (await store.tasks.list()).filter((r) => isCapturedTask(r.definition));
    const data = [];
    for (const r of records) data.push(await discoveredTask(store, { ...r, definition: r.definition as never }, await runtimes.get(r.name)));
    return { data };
  });

  app.get<NameParams>("/v1/captured/:name", admin, async (request) => {
    const record = await capturedRecord(request.params.name);
    await app.requestLog.flush();
    return discoveredTask(store, record, await runtimes.get(record.name));
  });

  app.patch<NameParams>("/v1/captured/:name", admin, async (request) => {
    const record = await capturedRecord(request.params.name);
    const parsed = ModeChangeSchema.safeParse(request.body);
    if (!parsed.success) throw badRequest(parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; "));
    const { mode = record.definition.capture.mode, auto_serve } = parsed.data;
    await setCaptureMode(store, runtimes, record.name, mode, auto_serve);
    await app.requestLog.flush();
    return discoveredTask(store, await capturedRecord(record.name), await runtimes.get(record.name));
  });
}

export function captureSchemas(): Record<string, Schema> {
  const shadow = object({
    requests: int("Calls answered in shadow mode."),
    judged: int("Of those, the ones the LLM answered validly."),
    would_answer: int("Calls the router would have let the specialist answer."),
    would_answer_judged: int("Of those, the ones the LLM answered validly."),
    disagreements: int("Of those, the ones where the LLM's answer differed from the specialist's."),
    cost: num("The LLM's cost of the shadow calls (capture.prices)."),
    would_answer_cost: num("The LLM's cost of the calls the specialist would have answered."),
    would_answer_share: nullable(num("would_answer / requests.")),
    disagreement_bound: nullable(num("Clopper–Pearson upper bound on the disagreement, at confidence_level.")),
    max_error: num(),
    confidence_level: num(),
    proven: bool("The bound is within max_error."),
  });
  return {
    ShadowSummary: shadow,
    DiscoveredTask: object(
      {
        name: str(),
        description: str(),
        capture: object({ mode: oneOfStrings(CAPTURE_MODES), fingerprints: arrayOf(str()), model: str(), via: oneOfStrings(["response_format", "tool"]) }, [], { additionalProperties: true }),
        created_at: epochMs("When the first call was captured"),
        fields: arrayOf(object({ name: str(), kind: str(), values: arrayOf(str()) }, ["values"])),
        privacy: oneOfStrings(["keep_inputs", "hash_inputs"]),
        model_version: nullable(int()),
        threshold: nullable(num()),
        examples: int(),
        shadow: ref("ShadowSummary"),
        shadow_live_version: nullable(ref("ShadowSummary")),
        per_day: object({ calls: num(), cost: num(), saving: num(), saved_calls: num() }),
        samples: arrayOf(object({ text: str(), output: { type: "object", additionalProperties: true } })),
      },
      ["description"],
    ),
    CaptureModeChange: { ...fromZod(ModeChangeSchema, "input"), description: "`serve`: the specialist answers where its threshold allows; `shadow`: it only watches; `off`: calls pass through untouched." },
  };
}

export function captureRouteDocs(): RouteDoc[] {
  return [
    {
      method: "get",
      path: "/v1/captured",
      tag: "Capture",
      summary: "List the captured tasks with what shadow mode measured",
      description: "Tasks the gateway found in forwarded chat completions that ask for a structured answer (README \"Capture\"). Shadow figures cover the last 7 days; `per_day` averages them.",
      access: "admin",
      ok: { 200: jsonReply("The captured tasks.", object({ data: arrayOf(ref("DiscoveredTask")) })) },
      errors: {},
    },
    {
      method: "get",
      path: "/v1/captured/{name}",
      tag: "Capture",
      summary: "One captured task",
      access: "admin",
      ok: { 200: jsonReply("The task.", ref("DiscoveredTask")) },
      errors: { 404: "No captured task of this name." },
    },
    {
      method: "patch",
      path: "/v1/captured/{name}",
      tag: "Capture",
      summary: "Switch a captured task between shadow, serve and off",
      access: "admin",
      body: json(ref("CaptureModeChange"), { mode: "serve" }),
      ok: { 200: jsonReply("The task after the change.", ref("DiscoveredTask")) },
      errors: { 400: "The body is invalid; the message names the field.", 404: "No captured task of this name." },
    },
  ];
}
