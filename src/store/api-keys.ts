// API keys: `apx_` + 32 random bytes in base64url, shown once. Only the SHA-256 of the key is
// stored, with its first 8 characters for display.
//
// Why looking a key up by its hash is safe: the lookup (an index search, whose timing may depend on
// how many leading bytes match) compares the SHA-256 of what the caller sent, not the key. Timing
// could at most reveal bytes of the stored hash, and a hash does not lead back to a key: finding
// a key with a given SHA-256 is a preimage attack, and the key has 256 random bits, so it cannot
// be guessed either. The constant-time comparison of the whole stored hash after the lookup is
// defence in depth: the final decision never rests on the database's comparison rules (collation,
// padding) or on an early-exit string comparison.
import { randomBytes, timingSafeEqual } from "node:crypto";
import { inTransaction, toNullableNumber, toNumber, type StoreContext } from "./context.js";
import { StoreError } from "./errors.js";
import { sha256Hex } from "./hash.js";
import { TeacherBudgetSchema, zodProblems, type TeacherBudget } from "../task/definition.js";
import { API_KEY_ROLES, type ApiKeyRole } from "./schema.js";

export const API_KEY_PREFIX = "apx_";
/**
 * `apx_` + base64url: 43 characters (32 bytes) for keys made here; keys installed from a
 * deployment's secrets (the configuration file) need at least 32 characters (192 bits).
 */
const KEY_PATTERN = /^apx_[A-Za-z0-9_-]{32,256}$/;

export interface ApiKeyRecord {
  id: number;
  name: string;
  /** The key's first 8 characters, e.g. `apx_Zk3q`. */
  prefix: string;
  role: ApiKeyRole;
  /** Epoch milliseconds. */
  created_at: number;
  revoked_at: number | null;
  /** May send `route: "teacher"` (README "Teacher spend"). */
  force_teacher: boolean;
  /** The key's own teacher budget, across tasks; null: none. */
  teacher_budget: TeacherBudget | null;
  /** Installed from the configuration file, which installs it again at every start (install()). */
  from_config: boolean;
}

/** What revokeKeepingAnAdmin() did. */
export type RevokeOutcome = { revoked: ApiKeyRecord } | { refused: "not_found" | "already_revoked" | "last_admin"; record: ApiKeyRecord | null };

/** What a key may do beyond its role, set when it is created or installed. */
export interface ApiKeyPermissions {
  /** Default: true for admin keys, false for predict keys. */
  force_teacher?: boolean;
  teacher_budget?: TeacherBudget | null;
}

const RECORD_COLUMNS = ["id", "name", "prefix", "role", "created_at", "revoked_at", "force_teacher", "teacher_budget", "from_config"] as const;

/** The stored values of `permissions` for a key of `role`. */
function permissionColumns(role: ApiKeyRole, permissions: ApiKeyPermissions): { force_teacher: 0 | 1; teacher_budget: string | null } {
  const budget = permissions.teacher_budget ?? null;
  if (budget !== null) {
    const parsed = TeacherBudgetSchema.safeParse(budget);
    if (!parsed.success) throw new StoreError(`teacher budget: ${zodProblems(parsed.error, "(budget)")}`);
  }
  return { force_teacher: (permissions.force_teacher ?? role === "admin") ? 1 : 0, teacher_budget: budget === null ? null : JSON.stringify(budget) };
}

/**
 * How long a verified key is trusted without asking the database again. Every request verifies its
 * key, and the lookup was a sixth of a prediction's cost. Revoking through this store clears the
 * entry at once; a key revoked by another gateway process on a shared database keeps working here
 * for at most this long.
 */
export const VERIFIED_KEY_TTL_MS = 5_000;

/**
 * How long a key verified once counts as known to be valid (knownValid) after its trust above
 * lapsed: the gateway looks it up again but does not count it against its address's failed
 * authentications, so an anonymous flood from the same address (one proxy for everyone) cannot
 * lock out the keys in use there.
 */
export const KNOWN_KEY_TTL_MS = 24 * 3_600_000;

/** The SHA-256 of what may be a key; null for what cannot be one. */
function keyHash(key: string): string | null {
  return typeof key === "string" && KEY_PATTERN.test(key) ? sha256Hex(key) : null;
}

export class ApiKeyRepository {
  /** SHA-256 of a verified key → its record and when it was last verified (this.ctx.now()). */
  readonly #verified = new Map<string, { record: ApiKeyRecord; at: number }>();

  constructor(private readonly ctx: StoreContext) {}

  /** Creates a key. `key` is returned only here: store it now, it cannot be recovered. */
  async create(name: string, role: ApiKeyRole, permissions: ApiKeyPermissions = {}): Promise<{ key: string; record: ApiKeyRecord }> {
    if (!API_KEY_ROLES.includes(role)) throw new StoreError(`API key role ${JSON.stringify(role)} is not one of ${API_KEY_ROLES.join(", ")}`);
    const columns = permissionColumns(role, permissions);
    const key = API_KEY_PREFIX + randomBytes(32).toString("base64url");
    const now = this.ctx.now();
    const row = await this.ctx.db
      .insertInto("api_keys")
      .values({ name, prefix: key.slice(0, 8), key_hash: sha256Hex(key), role, created_at: now, ...columns })
      .returning(RECORD_COLUMNS)
      .executeTakeFirstOrThrow();
    return { key, record: toRecord(row) };
  }

  /**
   * Installs a key made elsewhere (a deployment secret), once: if it is already installed, its
   * record is returned, with its permissions set to `permissions` (the deployment's declaration
   * is the reference) and marked as installed from the configuration. A revoked key stays
   * revoked; a known key with another role is an error.
   */
  async install(key: string, name: string, role: ApiKeyRole, permissions: ApiKeyPermissions = {}): Promise<{ record: ApiKeyRecord; created: boolean }> {
    if (!KEY_PATTERN.test(key)) throw new StoreError(`API key "${name}" must be "${API_KEY_PREFIX}" followed by 32 to 256 characters A-Z, a-z, 0-9, "_" or "-"`);
    if (!API_KEY_ROLES.includes(role)) throw new StoreError(`API key role ${JSON.stringify(role)} is not one of ${API_KEY_ROLES.join(", ")}`);
    const columns = permissionColumns(role, permissions);
    const hash = sha256Hex(key);
    const existing = await this.ctx.db.selectFrom("api_keys").select(RECORD_COLUMNS).where("key_hash", "=", hash).executeTakeFirst();
    if (existing !== undefined) {
      const record = toRecord(existing);
      if (record.revoked_at !== null) throw new StoreError(`API key "${name}" (${record.prefix}…) was revoked; issue a new key`);
      if (record.role !== role) throw new StoreError(`API key "${name}" (${record.prefix}…) is installed with role ${record.role}, not ${role}; revoke it and install a new key`);
      if (existing.force_teacher === columns.force_teacher && existing.teacher_budget === columns.teacher_budget && record.from_config) return { record, created: false };
      const updated = await this.ctx.db.updateTable("api_keys").set({ ...columns, from_config: 1 }).where("id", "=", record.id).returning(RECORD_COLUMNS).executeTakeFirstOrThrow();
      for (const [h, entry] of this.#verified) if (entry.record.id === record.id) this.#verified.delete(h);
      return { record: toRecord(updated), created: false };
    }
    const now = this.ctx.now();
    const row = await this.ctx.db
      .insertInto("api_keys")
      .values({ name, prefix: key.slice(0, 8), key_hash: hash, role, created_at: now, ...columns, from_config: 1 })
      .returning(RECORD_COLUMNS)
      .executeTakeFirstOrThrow();
    return { record: toRecord(row), created: true };
  }

  /** The record of a valid, unrevoked key; null for anything else. */
  async verify(key: string): Promise<ApiKeyRecord | null> {
    const hash = keyHash(key);
    if (hash === null) return null;
    const known = this.#cached(hash);
    if (known !== undefined) return known;
    const now = this.ctx.now();
    const record = await this.#lookup(hash);
    if (record !== null) this.#verified.set(hash, { record, at: now });
    else this.#verified.delete(hash);
    return record;
  }

  /**
   * verify() without the database: the record of a key verified less than VERIFIED_KEY_TTL_MS ago,
   * null for what cannot be a key, undefined when only the database can tell. Synchronous, so the
   * gateway's authentication hook needs no promise for a known key.
   */
  verifyCached(key: string): ApiKeyRecord | null | undefined {
    const hash = keyHash(key);
    return hash === null ? null : this.#cached(hash);
  }

  /**
   * Whether `key` was found valid in the last KNOWN_KEY_TTL_MS and not found invalid since: worth a
   * database lookup even when its address has spent its failed authentications. Only keys that
   * exist get here, so the map holds at most one entry per key of the store.
   */
  knownValid(key: string): boolean {
    const hash = keyHash(key);
    const entry = hash === null ? undefined : this.#verified.get(hash);
    if (entry === undefined) return false;
    if (this.ctx.now() - entry.at < KNOWN_KEY_TTL_MS) return true;
    this.#verified.delete(hash!);
    return false;
  }

  #cached(hash: string): ApiKeyRecord | undefined {
    const cached = this.#verified.get(hash);
    return cached !== undefined && this.ctx.now() - cached.at < VERIFIED_KEY_TTL_MS ? cached.record : undefined;
  }

  async #lookup(hash: string): Promise<ApiKeyRecord | null> {
    const row = await this.ctx.db
      .selectFrom("api_keys")
      .select([...RECORD_COLUMNS, "key_hash"])
      .where("key_hash", "=", hash)
      .executeTakeFirst();
    if (row === undefined) return null;
    // The exact stored text, not a database comparison (which a collation could make looser).
    const stored = Buffer.from(row.key_hash, "utf8");
    const given = Buffer.from(hash, "utf8");
    if (stored.length !== given.length || !timingSafeEqual(stored, given)) return null;
    if (row.revoked_at !== null) return null;
    return toRecord(row);
  }

  /** Every key, revoked ones included, oldest first. */
  async list(): Promise<ApiKeyRecord[]> {
    const rows = await this.ctx.db.selectFrom("api_keys").select(RECORD_COLUMNS).orderBy("id").execute();
    return rows.map(toRecord);
  }

  /** Revokes a key; returns false if there is no such key or it was already revoked. */
  async revoke(id: number): Promise<boolean> {
    for (const [hash, entry] of this.#verified) if (entry.record.id === id) this.#verified.delete(hash);
    const result = await this.ctx.db
      .updateTable("api_keys")
      .set({ revoked_at: this.ctx.now() })
      .where("id", "=", id)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /**
   * Revokes a key unless it is the last unrevoked admin key: without one, nobody could manage the
   * gateway through its API any more (only `apprentice keys create` on the database would). The
   * count and the update are one transaction, with the admin rows locked on PostgreSQL, so two
   * admins revoking each other's keys at once cannot both succeed.
   */
  async revokeKeepingAnAdmin(id: number): Promise<RevokeOutcome> {
    const outcome = await inTransaction(this.ctx.db, async (trx): Promise<RevokeOutcome> => {
      const admins = trx.selectFrom("api_keys").select("id").where("role", "=", "admin").where("revoked_at", "is", null);
      // SQLite: the transaction already holds the database's write lock (BEGIN IMMEDIATE).
      const adminIds = (await (this.ctx.dialect === "postgres" ? admins.forUpdate() : admins).execute()).map((r) => toNumber(r.id));
      const row = await trx.selectFrom("api_keys").select(RECORD_COLUMNS).where("id", "=", id).executeTakeFirst();
      if (row === undefined) return { refused: "not_found", record: null };
      const record = toRecord(row);
      if (record.revoked_at !== null) return { refused: "already_revoked", record };
      if (record.role === "admin" && adminIds.length <= 1) return { refused: "last_admin", record };
      const updated = await trx.updateTable("api_keys").set({ revoked_at: this.ctx.now() }).where("id", "=", id).returning(RECORD_COLUMNS).executeTakeFirstOrThrow();
      return { revoked: toRecord(updated) };
    });
    if ("revoked" in outcome) for (const [hash, entry] of this.#verified) if (entry.record.id === id) this.#verified.delete(hash);
    return outcome;
  }

  /** Keys not revoked (e.g. to know whether an admin key must be bootstrapped). */
  async count(role?: ApiKeyRole): Promise<number> {
    let q = this.ctx.db
      .selectFrom("api_keys")
      .select((eb) => eb.fn.countAll<number | string>().as("n"))
      .where("revoked_at", "is", null);
    if (role !== undefined) q = q.where("role", "=", role);
    const row = await q.executeTakeFirst();
    return toNumber(row?.n);
  }
}

function toRecord(row: {
  id: number | string;
  name: string;
  prefix: string;
  role: ApiKeyRole;
  created_at: number | string;
  revoked_at: number | string | null;
  force_teacher: number;
  teacher_budget: string | null;
  from_config: number;
}): ApiKeyRecord {
  return {
    id: toNumber(row.id),
    name: row.name,
    prefix: row.prefix,
    role: row.role,
    created_at: toNumber(row.created_at),
    revoked_at: toNullableNumber(row.revoked_at),
    force_teacher: row.force_teacher === 1,
    teacher_budget: row.teacher_budget === null ? null : (JSON.parse(row.teacher_budget) as TeacherBudget),
    from_config: row.from_config === 1,
  };
}
