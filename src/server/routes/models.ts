// Model versions of a task: list them (metrics, threshold, status; never the artifacts), promote
// one, or roll back to the previous one. After a promotion or rollback the task's runtime is
// reloaded, so the promoted version serves at once (TaskRuntime.load restores it).
import type { FastifyInstance } from "fastify";
import { StoreNotFoundError } from "../../store/index.js";
import { badRequest, conflict, notFound } from "../http/errors.js";
import type { NameParams, RouteDeps } from "./tasks.js";

type VersionParams = { Params: { name: string; version: string } };

export function registerModelRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { store, runtimes } = deps;
  const admin = { config: { access: "admin" as const } };

  async function requireTask(name: string): Promise<void> {
    if ((await store.tasks.get(name)) === null) throw notFound(`no task "${name}"`);
  }

  /** Drops the runtime and loads it again from the store; returns the version it serves. */
  async function reload(name: string): Promise<number | null> {
    await runtimes.drop(name);
    const rt = await runtimes.get(name);
    return rt === null || rt.modelVersion === 0 ? null : rt.modelVersion;
  }

  app.get<NameParams>("/v1/tasks/:name/models", admin, async (request) => {
    const { name } = request.params;
    await requireTask(name);
    const versions = await store.models.list(name);
    return { data: versions, promoted: versions.find((v) => v.status === "promoted")?.version ?? null };
  });

  app.post<VersionParams>("/v1/tasks/:name/models/:version/promote", admin, async (request) => {
    const { name } = request.params;
    if (!/^[1-9][0-9]{0,9}$/.test(request.params.version)) throw badRequest(`model version must be a positive integer, got "${request.params.version}"`);
    const version = Number(request.params.version);
    await requireTask(name);
    try {
      await store.models.promote(name, version);
    } catch (err) {
      if (err instanceof StoreNotFoundError) throw notFound(err.message);
      throw err;
    }
    return { task: name, promoted: version, model_version: await reload(name) };
  });

  app.post<NameParams>("/v1/tasks/:name/rollback", admin, async (request) => {
    const { name } = request.params;
    await requireTask(name);
    let version: number;
    try {
      version = await store.models.rollback(name);
    } catch (err) {
      if (err instanceof StoreNotFoundError) throw conflict(err.message);
      throw err;
    }
    return { task: name, promoted: version, model_version: await reload(name) };
  });
}
