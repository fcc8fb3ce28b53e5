// Model versions per task: numbered 1, 2, 3…; at most one promoted (the one that serves).
// Promotion and rollback change two rows in one transaction, so a reader sees the old promoted
// version or the new one, never none (and a partial unique index forbids two).
import type { Kysely } from "kysely";
import { inTransaction, lockTask, toNullableNumber, toNumber, type StoreContext } from "./context.js";
import { StoreError, StoreNotFoundError } from "./errors.js";
import { MODEL_STATUSES, type Database, type ModelStatus } from "./schema.js";

/** Evaluation metrics of a version: any JSON object. */
export type ModelMetrics = Record<string, unknown>;

export interface NewModelVersion {
  /** The model file bytes. */
  artifact: Uint8Array;
  metrics: ModelMetrics;
  threshold: number | null;
  /** Default `candidate`. `promoted` promotes it in the same transaction (the previous one is retired). */
  status?: ModelStatus;
  /** Threshold choices it has had already (default 0; a version promoted where it was chosen had one). */
  looks?: number;
  /** The unknown-share cut the threshold was chosen under (1: none); absent or null: not recorded. */
  scope_cut?: number | null;
}

export interface ModelVersionInfo {
  task: string;
  version: number;
  status: ModelStatus;
  metrics: ModelMetrics;
  /** The threshold it was promoted with, or the one its latest look chose since (see addLooks). */
  threshold: number | null;
  /** Size of the artifact in bytes (the artifact itself is not read). */
  artifact_bytes: number;
  /** Threshold choices on new evidence it has had, on every instance and across restarts (see addLooks). */
  looks: number;
  /** Epoch milliseconds. */
  created_at: number;
  promoted_at: number | null;
}

export interface PromotedModel {
  version: number;
  artifact: Uint8Array;
  metrics: ModelMetrics;
  /** The threshold its latest look chose (see addLooks): what every instance serving it adopts. */
  threshold: number | null;
  /** Threshold choices it has had, on every instance and across restarts. */
  looks: number;
  /** The unknown-share cut its threshold was chosen under (1: none); null: not recorded. */
  scope_cut: number | null;
  /** Epoch milliseconds: it served no request before this. */
  created_at: number;
}

export class ModelRepository {
  constructor(private readonly ctx: StoreContext) {}

  /**
   * Stores a new version and returns its number (one more than the task's highest). Safe under
   * concurrency: the task row is locked for the transaction, so concurrent adds, on one gateway or
   * several, get distinct consecutive numbers.
   */
  async add(task: string, model: NewModelVersion): Promise<number> {
    const status = model.status ?? "candidate";
    if (!MODEL_STATUSES.includes(status)) throw new StoreError(`model status ${JSON.stringify(status)} is not one of ${MODEL_STATUSES.join(", ")}`);
    checkThreshold(model.threshold);
    checkScopeCut(model.scope_cut ?? null);
    if (!(model.artifact instanceof Uint8Array)) throw new StoreError("model artifact must be a Uint8Array");
    const looks = model.looks ?? 0;
    if (!Number.isInteger(looks) || looks < 0) throw new StoreError(`model looks must be an integer ≥ 0, got ${looks}`);
    const now = this.ctx.now();
    return inTransaction(this.ctx.db, async (trx) => {
      if (!(await lockTask(trx, this.ctx.dialect, task))) throw new StoreNotFoundError(`no task "${task}"`);
      const top = await trx
        .selectFrom("model_versions")
        .select((eb) => eb.fn.max("version").as("v"))
        .where("task", "=", task)
        .executeTakeFirst();
      const version = toNumber(top?.v) + 1;
      if (status === "promoted") await retirePromoted(trx, task);
      await trx
        .insertInto("model_versions")
        .values({
          task,
          version,
          artifact: Buffer.from(model.artifact.buffer, model.artifact.byteOffset, model.artifact.byteLength),
          metrics: JSON.stringify(model.metrics),
          threshold: model.threshold,
          status,
          created_at: now,
          promoted_at: status === "promoted" ? now : null,
          looks,
          scope_cut: model.scope_cut ?? null,
        })
        .execute();
      return version;
    });
  }

  /** Makes `version` the promoted one and retires the previous, atomically. Promoting the promoted version is a no-op. */
  async promote(task: string, version: number): Promise<void> {
    await inTransaction(this.ctx.db, async (trx) => {
      if (!(await lockTask(trx, this.ctx.dialect, task))) throw new StoreNotFoundError(`no task "${task}"`);
      await this.#promoteLocked(trx, task, version);
    });
  }

  /**
   * Promotes the most recent retired version older than the promoted one (or the most recent
   * retired version if none is promoted); the current one becomes retired. Returns the version now
   * promoted. Throws StoreNotFoundError if there is nothing to roll back to.
   */
  async rollback(task: string): Promise<number> {
    return inTransaction(this.ctx.db, async (trx) => {
      if (!(await lockTask(trx, this.ctx.dialect, task))) throw new StoreNotFoundError(`no task "${task}"`);
      const current = await trx
        .selectFrom("model_versions")
        .select("version")
        .where("task", "=", task)
        .where("status", "=", "promoted")
        .executeTakeFirst();
      let q = trx.selectFrom("model_versions").select("version").where("task", "=", task).where("status", "=", "retired");
      if (current !== undefined) q = q.where("version", "<", current.version);
      const target = await q.orderBy("version", "desc").limit(1).executeTakeFirst();
      if (target === undefined) {
        throw new StoreNotFoundError(
          current === undefined
            ? `task "${task}" has no retired model version to roll back to`
            : `task "${task}" has no retired model version before version ${current.version} to roll back to`,
        );
      }
      await this.#promoteLocked(trx, task, target.version);
      return target.version;
    });
  }

  /**
   * Counts `n` more threshold choices of a version, and stores the threshold the latest one chose
   * and the scope cut it was chosen under (1: none; null: not recorded), atomically; returns how
   * many it had before. Each choice spends its own share of the error budget
   * (src/cascade/threshold.ts lookLevel). A restart or another instance serving the version adopts
   * the stored threshold and cut instead of looking again (Cascade.restore).
   */
  async addLooks(task: string, version: number, n: number, threshold: number | null, scopeCut: number | null = null): Promise<number> {
    if (!Number.isInteger(n) || n < 1) throw new StoreError(`looks to add must be a positive integer, got ${n}`);
    checkThreshold(threshold);
    checkScopeCut(scopeCut);
    const row = await this.ctx.db
      .updateTable("model_versions")
      .set((eb) => ({ looks: eb("looks", "+", n), threshold, scope_cut: scopeCut }))
      .where("task", "=", task)
      .where("version", "=", version)
      .returning("looks")
      .executeTakeFirst();
    if (row === undefined) throw new StoreNotFoundError(`task "${task}" has no model version ${version}`);
    return toNumber(row.looks) - n;
  }

  /** Stores the threshold a version's latest look chose and its scope cut, as addLooks (a look counted by addLooks before they were known). */
  async setThreshold(task: string, version: number, threshold: number | null, scopeCut: number | null = null): Promise<void> {
    checkThreshold(threshold);
    checkScopeCut(scopeCut);
    const result = await this.ctx.db.updateTable("model_versions").set({ threshold, scope_cut: scopeCut }).where("task", "=", task).where("version", "=", version).executeTakeFirst();
    if (result.numUpdatedRows === 0n) throw new StoreNotFoundError(`task "${task}" has no model version ${version}`);
  }

  /** Marks a candidate as rejected (it will not be promoted by a rollback). */
  async reject(task: string, version: number): Promise<void> {
    const result = await this.ctx.db
      .updateTable("model_versions")
      .set({ status: "rejected" })
      .where("task", "=", task)
      .where("version", "=", version)
      .where("status", "=", "candidate")
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) throw new StoreNotFoundError(`task "${task}" has no candidate model version ${version}`);
  }

  /** The version that serves, with its artifact, or null if none is promoted. */
  async promoted(task: string): Promise<PromotedModel | null> {
    const row = await this.ctx.db
      .selectFrom("model_versions")
      .select(["version", "artifact", "metrics", "threshold", "looks", "scope_cut", "created_at"])
      .where("task", "=", task)
      .where("status", "=", "promoted")
      .executeTakeFirst();
    if (row === undefined) return null;
    return { version: row.version, artifact: row.artifact, metrics: parseMetrics(row.metrics), threshold: row.threshold, looks: toNumber(row.looks), scope_cut: row.scope_cut === null ? null : toNumber(row.scope_cut), created_at: toNumber(row.created_at) };
  }

  /** One version with its artifact, or null. */
  async get(task: string, version: number): Promise<(ModelVersionInfo & { artifact: Uint8Array }) | null> {
    const row = await this.ctx.db
      .selectFrom("model_versions")
      .selectAll()
      .where("task", "=", task)
      .where("version", "=", version)
      .executeTakeFirst();
    if (row === undefined) return null;
    return { ...toInfo({ ...row, artifact_bytes: row.artifact.byteLength }), artifact: row.artifact };
  }

  /** Every version of the task, newest first, without artifacts. */
  async list(task: string): Promise<ModelVersionInfo[]> {
    const rows = await this.ctx.db
      .selectFrom("model_versions")
      .select((eb) => [
        "task",
        "version",
        "status",
        "metrics",
        "threshold",
        "created_at",
        "promoted_at",
        "looks",
        // length() of a BLOB / BYTEA is its size in bytes on both dialects.
        eb.fn<number | string>("length", ["artifact"]).as("artifact_bytes"),
      ])
      .where("task", "=", task)
      .orderBy("version", "desc")
      .execute();
    return rows.map(toInfo);
  }

  async #promoteLocked(trx: Kysely<Database>, task: string, version: number): Promise<void> {
    const target = await trx
      .selectFrom("model_versions")
      .select("status")
      .where("task", "=", task)
      .where("version", "=", version)
      .executeTakeFirst();
    if (target === undefined) throw new StoreNotFoundError(`task "${task}" has no model version ${version}`);
    if (target.status === "promoted") return;
    // Retire first: the partial unique index allows one promoted row per task at every statement.
    await retirePromoted(trx, task);
    await trx
      .updateTable("model_versions")
      .set({ status: "promoted", promoted_at: this.ctx.now() })
      .where("task", "=", task)
      .where("version", "=", version)
      .execute();
  }
}

async function retirePromoted(trx: Kysely<Database>, task: string): Promise<void> {
  await trx.updateTable("model_versions").set({ status: "retired" }).where("task", "=", task).where("status", "=", "promoted").execute();
}

function parseMetrics(text: string): ModelMetrics {
  const value: unknown = JSON.parse(text);
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as ModelMetrics) : {};
}

function toInfo(row: {
  task: string;
  version: number;
  status: ModelStatus;
  metrics: string;
  threshold: number | null;
  created_at: number | string;
  promoted_at: number | string | null;
  artifact_bytes: number | string;
  looks: number | string;
}): ModelVersionInfo {
  return {
    task: row.task,
    version: row.version,
    status: row.status,
    metrics: parseMetrics(row.metrics),
    threshold: row.threshold,
    artifact_bytes: toNumber(row.artifact_bytes),
    created_at: toNumber(row.created_at),
    promoted_at: toNullableNumber(row.promoted_at),
    looks: toNumber(row.looks),
  };
}

function checkThreshold(threshold: number | null): void {
  if (threshold !== null && !Number.isFinite(threshold)) throw new StoreError(`model threshold must be a finite number or null, got ${threshold}`);
}

function checkScopeCut(cut: number | null): void {
  if (cut !== null && !(cut >= 0 && cut <= 1)) throw new StoreError(`model scope cut must be a number in [0, 1] or null, got ${cut}`);
}
