// Captured tasks over HTTP (admin only), for the console's "Discovered" page: list them with what
// shadow mode measured, read one, switch its mode, rename it, describe its fields, merge it into
// another captured task, delete it (also on a gateway without an upstream, which keeps the tasks
// another instance captured). Every other task route (examples, models, requests) works for them
// as for any task. Each route is declared once with its schemas (http/route.ts).
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { Store } from "../../store/index.js";
import { CAPTURE_MODES, CaptureBlockSchema, MAX_FINGERPRINTS } from "../../task/capture.js";
import { TaskNameSchema } from "../../task/definition.js";
import { MAX_DESCRIPTION_CHARS } from "../../task/output-fields.js";
import { isCapturedTask } from "../../task/structured.js";
import { epochMsSchema, StructuredObjectSchema } from "../http/api-schemas.js";
import { notFound } from "../http/errors.js";
import { route } from "../http/route.js";
import type { TaskRuntimes } from "../runtime/task-runtime.js";
import type { Capture } from "./capture.js";
import { changeCapturedTask } from "./capture-mode.js";
import { MOVE_BATCH_ROWS, type RequestLogMover } from "./request-log-mover.js";
import { deleteCaptured, MERGE_MOVED_REQUESTS_MAX, mergeCaptured, renameCaptured, withDescriptions, type CapturedEditDeps } from "./captured-task-edits.js";
import { discoveredTask } from "./discovered.js";

const CapturedTaskChangeSchema = z
  .object({
    mode: z.enum(CAPTURE_MODES).optional(),
    /** The task's own auto_serve (null: follow the gateway's capture.auto_serve). */
    auto_serve: z.boolean().optional(),
    /** A new name: the task moves with its examples, versions, request log and fingerprints. */
    name: TaskNameSchema.optional(),
    /** Output field → its new description ("" removes it); only existing fields, kinds and values unchanged. */
    descriptions: z.record(z.string(), z.string().max(MAX_DESCRIPTION_CHARS)).optional(),
    /** The task's own description ("" removes it). */
    description: z.string().max(MAX_DESCRIPTION_CHARS).optional(),
  })
  .strict()
  .refine((b) => b.mode !== undefined || b.auto_serve !== undefined || b.name !== undefined || b.descriptions !== undefined || b.description !== undefined, "give mode, auto_serve, name, descriptions or description (any of them together)")
  .meta({
    id: "CapturedTaskChange",
    description:
      "Any of: `mode` (`serve`: the specialist answers where its threshold allows; `shadow`: it only watches; `off`: calls pass through untouched); `auto_serve`; `name`, a new name the task moves to with all its data, its calls following it; `descriptions`, new descriptions of existing output fields (their kinds and values stay); `description`, the task's own. Everything is checked before anything changes, and the definition changes in one write.",
  });

const MergeSchema = z
  .object({
    /** The captured task that takes this one's examples and calls. */
    into: TaskNameSchema,
  })
  .strict()
  .meta({ id: "CapturedTaskMerge", description: "The captured task to merge into: it must answer with the same fields (names, kinds, choice values, null-ness), in any order." });

const ShadowSummarySchema = z
  .object({
    requests: z.number().int().describe("Calls answered in shadow mode."),
    judged: z.number().int().describe("Of those, the ones the LLM answered validly."),
    would_answer: z.number().int().describe("Calls the router would have let the specialist answer."),
    would_answer_judged: z.number().int().describe("Of those, the ones the LLM answered validly."),
    disagreements: z.number().int().describe("Of those, the ones where the LLM's answer differed from the specialist's."),
    cost: z.number().describe("The LLM's cost of the shadow calls (capture.prices)."),
    would_answer_cost: z.number().describe("The LLM's cost of the calls the specialist would have answered."),
    would_answer_share: z.number().nullable().describe("would_answer / requests."),
    disagreement_bound: z.number().nullable().describe("Clopper–Pearson upper bound on the disagreement, at confidence_level."),
    max_error: z.number(),
    confidence_level: z.number(),
    proven: z.boolean().describe("The bound is within max_error."),
  })
  .meta({ id: "ShadowSummary" });

const DiscoveredTaskSchema = z
  .object({
    name: z.string(),
    description: z.string().optional(),
    capture: CaptureBlockSchema,
    created_at: epochMsSchema("When the first call was captured"),
    fields: z.array(z.object({ name: z.string(), kind: z.string(), values: z.array(z.string()).optional(), description: z.string().optional().describe("What the teacher is told the field is (PATCH `descriptions` changes it).") })),
    privacy: z.enum(["keep_inputs", "hash_inputs"]),
    model_version: z.number().int().nullable(),
    threshold: z.number().nullable(),
    examples: z.number().int(),
    served: z.object({
      requests: z.number().int().describe("Calls answered in serve mode over the window."),
      by_specialist: z.number().int().describe("Of them, answered by the specialist (not sent to the LLM)."),
      cost: z.number().describe("What the LLM calls among them cost."),
    }),
    shed_calls: z.number().int().describe("Calls this instance relayed since it started without learning them (its learning queue was full): not in the shadow figures."),
    shadow: ShadowSummarySchema,
    shadow_live_version: ShadowSummarySchema.nullable(),
    per_day: z.object({ calls: z.number(), cost: z.number(), saving: z.number(), saved_calls: z.number() }),
    samples: z.array(z.object({ text: z.string(), output: StructuredObjectSchema })),
  })
  .meta({ id: "DiscoveredTask" });

const CapturedTaskMergedSchema = z
  .object({
    merged: z.string().describe("The task merged away (now deleted)."),
    into: z.string(),
    moved: z.number().int().describe("Examples moved into the target."),
    kept_existing: z.number().int().describe("Examples whose text the target had already: the target's label was kept."),
    rewritten: z.boolean().describe("The fields were in another order: the moved answers were rewritten in the target's."),
    requests_moved: z.number().int().describe("Logged requests of the merged task now the target's (its newest)."),
    requests_left: z.number().int().describe(`Its older logged requests past the ${MERGE_MOVED_REQUESTS_MAX} moved: they move to the target after this reply, ${MOVE_BATCH_ROWS} a transaction (a gateway stopped meanwhile leaves the rest under the old name, where retention deletes it in time).`),
    task: DiscoveredTaskSchema,
  })
  .meta({ id: "CapturedTaskMerged" });

export function registerCaptureRoutes(app: FastifyInstance, deps: { store: Store; runtimes: TaskRuntimes; capture?: Capture | undefined; logMover: RequestLogMover }): void {
  const { store, runtimes } = deps;
  const edits: CapturedEditDeps = { store, runtimes, capture: deps.capture, flush: () => app.requestLog.flush(), logMover: deps.logMover };
  const shedCalls = (name: string) => deps.capture?.shedCalls(name) ?? 0;
  const noSuchTask = "No captured task of this name.";

  async function capturedRecord(name: string) {
    const record = await store.tasks.get(name);
    if (record === null || !isCapturedTask(record.definition)) throw notFound(`no captured task "${name}"`);
    return { ...record, definition: record.definition };
  }

  route(
    app,
    {
      method: "GET",
      url: "/v1/captured",
      access: "admin",
      tag: "Capture",
      summary: "List the captured tasks with what shadow mode measured",
      description: 'Tasks the gateway found in forwarded chat completions that ask for a structured answer (README "Capture"). Shadow figures cover the last 7 days; `per_day` averages them.',
      replies: { 200: { description: "The captured tasks.", schema: z.object({ data: z.array(DiscoveredTaskSchema) }) } },
    },
    async () => {
      // Shadow figures are read from the request log: rows still in its buffer count too.
      await app.requestLog.flush();
      const records = (await store.tasks.list()).filter((r) => isCapturedTask(r.definition));
      const data = [];
      for (const r of records) data.push(await discoveredTask(store, { ...r, definition: r.definition as never }, await runtimes.get(r.name), shedCalls(r.name)));
      return { data };
    },
  );

  route(
    app,
    {
      method: "GET",
      url: "/v1/captured/:name",
      access: "admin",
      tag: "Capture",
      summary: "One captured task",
      replies: { 200: { description: "The task.", schema: DiscoveredTaskSchema } },
      errors: { 404: noSuchTask },
    },
    async ({ params }) => {
      const record = await capturedRecord(params.name);
      await app.requestLog.flush();
      return discoveredTask(store, record, await runtimes.get(record.name), shedCalls(record.name));
    },
  );

  route(
    app,
    {
      method: "PATCH",
      url: "/v1/captured/:name",
      access: "admin",
      tag: "Capture",
      summary: "Switch a captured task's mode, rename it, or describe it and its fields",
      description:
        "A rename moves the task with its examples, example deletions, model versions, request log and teacher spend in one transaction; its fingerprints go with it, so the app's next call lands in the renamed task. Descriptions change nothing but descriptions, the task's and its fields' together (PATCH /v1/tasks/{name} can change anything).",
      body: CapturedTaskChangeSchema,
      bodyExample: { name: "transfers", description: "Money transfer requests.", descriptions: { amount: "The amount, digits only." } },
      replies: { 200: { description: "The task after the change (under its new name).", schema: DiscoveredTaskSchema } },
      errors: { 400: "The body is invalid, or names an output field the task does not have; the message names it.", 404: noSuchTask, 409: "The new name is taken." },
    },
    async ({ params, body: change }) => {
      const record = await capturedRecord(params.name);
      // Everything is checked before anything changes: a bad description never leaves a renamed task.
      const output = change.descriptions === undefined ? undefined : withDescriptions(record.definition, change.descriptions);
      let name = record.name;
      if (change.name !== undefined && change.name !== name) {
        await renameCaptured(edits, name, change.name);
        name = change.name;
      }
      if (output !== undefined || change.description !== undefined || change.mode !== undefined || change.auto_serve !== undefined) {
        const edit = { mode: change.mode, auto_serve: change.auto_serve, output, description: change.description };
        if ((await changeCapturedTask(store, runtimes, name, edit)) === null) throw notFound(`no captured task "${name}"`);
      }
      await app.requestLog.flush();
      return discoveredTask(store, await capturedRecord(name), await runtimes.get(name), shedCalls(name));
    },
  );

  route(
    app,
    {
      method: "POST",
      url: "/v1/captured/:name/merge",
      access: "admin",
      tag: "Capture",
      summary: "Merge a captured task into another captured task",
      description:
        `Its examples move into the target (origin and source kept; a text the target has already keeps the target's label; when the fields are alike but in another order, their answers are rewritten in the target's order), its newest ${MERGE_MOVED_REQUESTS_MAX.toLocaleString("en")} logged requests move to the target, its fingerprints join the target's so later calls go there, and it is deleted, in one transaction; its older logged requests move after the reply, in batches. A declared (non-captured) target is refused.`,
      body: MergeSchema,
      bodyExample: { into: "transfer-3fa2c1d04b" },
      replies: { 200: { description: "What moved, and the target after the merge.", schema: CapturedTaskMergedSchema } },
      errors: {
        400: "The body is invalid, or names the task itself.",
        404: "No captured task of this name, or no target.",
        409: `The target is not a captured structured task, its fields differ other than in order (the message names the first difference), or the fingerprints would exceed ${MAX_FINGERPRINTS}.`,
      },
    },
    async ({ params, body: { into } }) => {
      const record = await capturedRecord(params.name);
      const counts = await mergeCaptured(edits, record.definition, into);
      await app.requestLog.flush();
      const target = await capturedRecord(into);
      return { merged: record.name, into, ...counts, task: await discoveredTask(store, target, await runtimes.get(into), shedCalls(into)) };
    },
  );

  route(
    app,
    {
      method: "DELETE",
      url: "/v1/captured/:name",
      access: "admin",
      tag: "Capture",
      summary: "Delete a captured task with its examples and model versions",
      description: "As DELETE /v1/tasks/{name}, for captured tasks only; the request log stays. The app's next call of the task founds it again, empty, in shadow mode.",
      replies: { 204: { description: "Deleted." } },
      errors: { 404: noSuchTask },
    },
    async ({ params }, _request, reply) => {
      const record = await capturedRecord(params.name);
      await deleteCaptured(edits, record.name);
      return reply.code(204).send();
    },
  );
}
