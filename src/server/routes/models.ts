// Model versions of a task: list them (metrics, threshold, status; never the artifacts), promote
// one, or roll back to the previous one. After a promotion or rollback the task's runtime is
// reloaded, so the promoted version serves at once (TaskRuntime.load restores it).
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { StoreNotFoundError } from "../../store/index.js";
import { MODEL_STATUSES } from "../../store/schema.js";
import { epochMsSchema, taskNameSchema } from "../http/api-schemas.js";
import { conflict, notFound } from "../http/errors.js";
import { positiveIdSchema } from "../http/query-params.js";
import { route } from "../http/route.js";
import { NOT_FOUND_TASK, type RouteDeps } from "./tasks.js";

const ModelVersionSchema = z
  .object({
    task: z.string(),
    version: z.number().int(),
    status: z.enum(MODEL_STATUSES),
    metrics: z.record(z.string(), z.unknown()),
    threshold: z.number().nullable(),
    artifact_bytes: z.number().int(),
    created_at: epochMsSchema("Training time"),
    promoted_at: epochMsSchema("Promotion time").nullable(),
    looks: z.number().int().describe("How many times its routing threshold was chosen on new evidence (promotion, restarts, other instances, re-looks after an audit alarm); each spends a share of the error budget."),
  })
  .meta({ id: "ModelVersion" });

const ModelListSchema = z.object({ data: z.array(ModelVersionSchema), promoted: z.number().int().nullable().describe("The version that serves.") }).meta({ id: "ModelList" });

const PromoteReplySchema = z
  .object({ task: z.string(), promoted: z.number().int(), model_version: z.number().int().nullable().describe("The version the reloaded runtime serves.") })
  .meta({ id: "PromoteReply" });

const VersionParams = z.object({
  name: taskNameSchema,
  version: positiveIdSchema("A model version number.", 3),
});

export function registerModelRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { store, runtimes } = deps;

  async function requireTask(name: string): Promise<void> {
    if ((await store.tasks.get(name)) === null) throw notFound(`no task "${name}"`);
  }

  /** Drops the runtime and loads it again from the store; returns the version it serves. */
  async function reload(name: string): Promise<number | null> {
    await runtimes.drop(name);
    const rt = await runtimes.get(name);
    return rt === null || rt.modelVersion === 0 ? null : rt.modelVersion;
  }

  route(
    app,
    {
      method: "GET",
      url: "/v1/tasks/:name/models",
      access: "admin",
      tag: "Models",
      summary: "List a task's model versions (metrics, threshold, status)",
      replies: { 200: { description: "The versions, newest first.", schema: ModelListSchema } },
      errors: { 404: NOT_FOUND_TASK },
    },
    async ({ params: { name } }) => {
      await requireTask(name);
      const versions = await store.models.list(name);
      return { data: versions, promoted: versions.find((v) => v.status === "promoted")?.version ?? null };
    },
  );

  route(
    app,
    {
      method: "POST",
      url: "/v1/tasks/:name/models/:version/promote",
      access: "admin",
      tag: "Models",
      summary: "Promote a model version",
      description: "The promoted version serves at once.",
      params: VersionParams,
      replies: { 200: { description: "Promoted.", schema: PromoteReplySchema } },
      errors: { 400: "The version is not a positive integer.", 404: "No such task or version." },
    },
    async ({ params: { name, version } }) => {
      await requireTask(name);
      try {
        await store.models.promote(name, version);
      } catch (err) {
        if (err instanceof StoreNotFoundError) throw notFound(err.message);
        throw err;
      }
      return { task: name, promoted: version, model_version: await reload(name) };
    },
  );

  route(
    app,
    {
      method: "POST",
      url: "/v1/tasks/:name/rollback",
      access: "admin",
      tag: "Models",
      summary: "Roll back to the newest retired version older than the promoted one",
      replies: { 200: { description: "Rolled back.", schema: PromoteReplySchema } },
      errors: { 404: NOT_FOUND_TASK, 409: "There is no earlier version to roll back to." },
    },
    async ({ params: { name } }) => {
      await requireTask(name);
      let version: number;
      try {
        version = await store.models.rollback(name);
      } catch (err) {
        if (err instanceof StoreNotFoundError) throw conflict(err.message);
        throw err;
      }
      return { task: name, promoted: version, model_version: await reload(name) };
    },
  );
}
