// The operator's corrections to a task's examples (admin only), for the dashboard's Examples tab:
// relabel one (a person's label, like feedback: origin `edit`), delete one, and what a retrain
// would change since the live version was trained. Both writes go through the task's runtime, so
// the specialist's memory and the store change together (and other instances follow at their
// next sync): a deleted example is neither trained nor evaluated on by the next retrain, and does
// not come back from the store.
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { ExampleRecord, Store } from "../../store/index.js";
import { isStructuredTask } from "../../task/structured.js";
import { givenAnswer } from "../runtime/answers.js";
import { epochMsSchema, ExampleSchema, StructuredObjectSchema, taskNameSchema } from "../http/api-schemas.js";
import { badRequest, notFound } from "../http/errors.js";
import { integerSchema, positiveIdSchema } from "../http/query-params.js";
import { route } from "../http/route.js";
import { exampleView } from "./example-page.js";
import { runtimeOf, type RouteDeps } from "./tasks.js";
import type { TaskRuntime } from "../runtime/task-runtime.js";

/** How many of the most recently changed examples the live model is asked about, at most. */
export const MAX_DISAGREEMENT_SCAN = 2000;
export const DEFAULT_DISAGREEMENT_SCAN = 500;

const ExampleParams = z.object({ name: taskNameSchema, id: positiveIdSchema("The example's id (from GET …/examples).", 42) });

const ExampleEditSchema = z.xor(
  [
    z.object({ label: z.string().describe("One of the task's labels (a label task).") }).strict(),
    z.object({ output: StructuredObjectSchema.describe("The corrected object (a structured task), checked against the example's text as a teacher's answer is.") }).strict(),
  ],
  { error: 'must be {"label": "..."} (a label task) or {"output": {...}} (a structured task)' },
);

const ExampleChangesSchema = z
  .object({
    live_version: z.number().int().nullable().describe("The live version; null before the first."),
    trained_at: epochMsSchema("When it was trained (null: no live version, and every stored example counts as added)").nullable(),
    added: z.number().int().describe("Examples stored for the first time since, still stored: the next retrain trains (or, held out, evaluates) on them and the live version never saw them."),
    relabelled: z.number().int().describe("Examples stored before whose label or source changed since (an edit, feedback, an import or a relabelled teacher answer)."),
    deleted: z.number().int().describe("Examples deleted since."),
    retrain_due: z.boolean().describe("Whether enough changed for the gateway to retrain on its own at the next request."),
  })
  .meta({ id: "ExampleChanges" });

const ExampleDisagreementsSchema = z
  .object({
    live_version: z.number().int().nullable().describe("The live version asked; null: none yet (nothing to compare)."),
    scanned: z.number().int().describe("Examples added or relabelled since it was trained that were looked at, most recent change first."),
    data: z
      .array(z.intersection(ExampleSchema, z.object({ predicted: z.string().describe("What the live version predicts for the text."), confidence: z.number().describe("Its calibrated confidence.") })))
      .describe("The scanned examples whose label the live version would not predict."),
  })
  .meta({ id: "ExampleDisagreements" });

/** The example `id` of the task, or 404. */
async function storedExample(store: Store, task: string, id: number): Promise<ExampleRecord> {
  const example = await store.examples.byId(task, id);
  if (example === null) throw notFound(`no example ${id} in task "${task}"`);
  return example;
}

/** The corrected answer in the body: {"label"} for a label task, {"output"} for a structured one (checked against `text`). */
function newAnswer(body: z.output<typeof ExampleEditSchema>, rt: TaskRuntime, text: string): string {
  const key = isStructuredTask(rt.task) ? "output" : "label";
  if (!(key in body)) throw badRequest(key === "label" ? 'the body must be {"label": "..."}' : 'the body must be {"output": {...}}');
  return givenAnswer(rt.task, body, text);
}

/** When the live version was trained (its creation), or null without one. */
async function liveTrainedAt(store: Store, rt: TaskRuntime): Promise<number | null> {
  if (rt.modelVersion === 0) return null;
  const live = (await store.models.list(rt.task.name)).find((m) => m.version === rt.modelVersion);
  return live?.created_at ?? null;
}

export function registerExampleEditRoutes(app: FastifyInstance, { store, runtimes }: RouteDeps): void {
  const notFoundExample = "No such task, or no example with this id in it.";

  route(
    app,
    {
      method: "PATCH",
      url: "/v1/tasks/:name/examples/:id",
      access: "admin",
      tag: "Examples",
      summary: "Relabel an example",
      description:
        "A person's label (`source: human`, `origin: edit`, the key recorded): it replaces a teacher's and is never replaced by one, as feedback is. " +
        "The example keeps its id and its side of the holdout split; the running specialist's examples change with the store, and the next retrain uses the new label.",
      params: ExampleParams,
      body: ExampleEditSchema,
      bodyExample: { label: "card_arrival" },
      replies: { 200: { description: "The example as stored now.", schema: ExampleSchema } },
      errors: { 400: "The id is not a positive integer, or the body is not `{label}` with one of the task's labels (`{output}` with a valid object for a structured task).", 404: notFoundExample },
    },
    async ({ params, body }, request) => {
      const rt = await runtimeOf(runtimes, params.name);
      const example = await storedExample(store, rt.task.name, params.id);
      const label = newAnswer(body, rt, example.text);
      await rt.addHumanLabels([{ text: example.text, label }], "human", request.apiKey, "edit");
      rt.scheduleRetrain();
      // Read back: the store applied the label (a relabel keeps the example's id and side).
      return exampleView((await store.examples.byId(rt.task.name, example.id)) ?? example);
    },
  );

  route(
    app,
    {
      method: "DELETE",
      url: "/v1/tasks/:name/examples/:id",
      access: "admin",
      tag: "Examples",
      summary: "Delete an example",
      description:
        "The running specialist forgets it at once (the next retrain neither trains nor evaluates on it; the live threshold stays until then) and the store deletes it, keeping only its text's hash and when, so other gateway instances forget it within a second. " +
        "If the same text arrives again (say a teacher answer), it becomes a new example.",
      params: ExampleParams,
      replies: { 204: { description: "Deleted." } },
      errors: { 400: "The id is not a positive integer.", 404: notFoundExample },
    },
    async ({ params }, _request, reply) => {
      const rt = await runtimeOf(runtimes, params.name);
      const example = await storedExample(store, rt.task.name, params.id);
      await rt.deleteExamples([example.text]);
      rt.scheduleRetrain();
      return reply.code(204).send();
    },
  );

  route(
    app,
    {
      method: "GET",
      url: "/v1/tasks/:name/examples/changes",
      access: "admin",
      tag: "Examples",
      summary: "What a retrain would change: examples added, relabelled and deleted since the live version was trained",
      replies: { 200: { description: "The counts.", schema: ExampleChangesSchema } },
      errors: { 404: "No such task." },
    },
    async ({ params }) => {
      const rt = await runtimeOf(runtimes, params.name);
      const trainedAt = await liveTrainedAt(store, rt);
      const changes = await store.examples.changesAfter(rt.task.name, trainedAt ?? 0);
      return { live_version: rt.modelVersion === 0 ? null : rt.modelVersion, trained_at: trainedAt, ...changes, retrain_due: rt.cascade.retrainDue() };
    },
  );

  route(
    app,
    {
      method: "GET",
      url: "/v1/tasks/:name/examples/changes/disagreements",
      access: "admin",
      tag: "Examples",
      summary: "The examples added or relabelled since the live version was trained whose label it would predict differently",
      description: "Runs the live version on up to `scan` of the most recently changed examples (no teacher call, nothing logged).",
      query: z.object({ scan: integerSchema(`How many changed examples to look at, at most ${MAX_DISAGREEMENT_SCAN}.`, 1, MAX_DISAGREEMENT_SCAN, DEFAULT_DISAGREEMENT_SCAN) }),
      replies: { 200: { description: "The disagreements.", schema: ExampleDisagreementsSchema } },
      errors: { 400: "`scan` is out of range.", 404: "No such task." },
    },
    async ({ params, query: { scan } }) => {
      const rt = await runtimeOf(runtimes, params.name);
      const model = rt.cascade.specialist;
      const trainedAt = await liveTrainedAt(store, rt);
      if (model === null || trainedAt === null) return { live_version: null, scanned: 0, data: [] };
      const changed = await store.examples.changedAfter(rt.task.name, trainedAt, scan);
      const data = [];
      for (const example of changed) {
        const { label, confidence } = model.predict(example.text);
        if (label !== example.label) data.push({ ...exampleView(example), predicted: label, confidence });
      }
      return { live_version: rt.modelVersion, scanned: changed.length, data };
    },
  );
}
