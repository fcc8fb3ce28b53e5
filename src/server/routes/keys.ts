// The gateway's API keys over HTTP (admin only), for the dashboard's Keys page: list, create (the
// secret is in the reply once; the store keeps its hash) and revoke. What each route answers is
// declared once beside its handler (http/route.ts): the zod schemas check, type and document it.
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { textFault } from "../../data/text.js";
import type { ApiKeyRecord, Store } from "../../store/index.js";
import { API_KEY_ROLES } from "../../store/schema.js";
import { TeacherBudgetSchema } from "../../task/definition.js";
import { badRequest, HttpError, notFound } from "../http/errors.js";
import { positiveIdSchema } from "../http/query-params.js";
import { route } from "../http/route.js";
import { epochMsSchema } from "../http/api-schemas.js";

export const MAX_KEY_NAME_CHARS = 100;

const KeyCreateSchema = z
  .object({
    name: z.string().trim().min(1, "must not be empty").max(MAX_KEY_NAME_CHARS),
    role: z.enum(API_KEY_ROLES),
    /** Default: true for admin keys, false for predict keys (as `apprentice keys create`). */
    force_teacher: z.boolean().optional(),
    teacher_budget: TeacherBudgetSchema.nullable().optional(),
  })
  .strict()
  .meta({ id: "ApiKeyCreate", description: "`force_teacher` defaults to true for admin keys, false for predict keys." });

/**
 * Why revoking a configuration-file key is not the end of it: bootstrap.ts installs the file's
 * keys at every start, and install() refuses a revoked one, so the start fails until the file
 * stops declaring it or its variable holds a new secret.
 */
export const CONFIG_KEY_NOTE =
  "installed from the configuration file: while the file still declares this key, the next start of the gateway stops with an error saying it was revoked; remove it from the file, or set its variable to a new secret";

/** A key as the API shows it: never its secret or hash; `current` marks the caller's own key. */
function keyView(record: ApiKeyRecord, caller: ApiKeyRecord | null) {
  return { ...record, current: record.id === caller?.id, ...(record.from_config ? { note: CONFIG_KEY_NOTE } : {}) };
}

const KeyIdParams = z.object({ id: positiveIdSchema("The key's id (from GET /v1/keys).", 3) });

const ApiKeySchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    prefix: z.string().describe("The key's first 8 characters, to recognise it; never enough to use it."),
    role: z.enum(API_KEY_ROLES).describe("`admin`: every route; `predict`: predictions, chat completions, the model list."),
    created_at: epochMsSchema("Creation time"),
    revoked_at: epochMsSchema("Revocation time").nullable(),
    force_teacher: z.boolean().describe('May send `route: "teacher"` on predict.'),
    teacher_budget: TeacherBudgetSchema.nullable().describe("The key's own teacher budget across tasks, calendar UTC hours and days; null: none."),
    from_config: z.boolean().describe("Installed from the configuration file, which installs it again at every start."),
    current: z.boolean().describe("The key this request was sent with."),
    note: z.string().optional().describe(`Configuration-file keys only: ${CONFIG_KEY_NOTE}.`),
  })
  .meta({ id: "ApiKey" });

const ApiKeyCreated = z
  .object({ key: z.string().describe("The secret, `apx_…`: shown in this reply only; the gateway keeps its SHA-256."), record: ApiKeySchema })
  .meta({ id: "ApiKeyCreated" });

export function registerKeyRoutes(app: FastifyInstance, store: Store): void {
  route(
    app,
    {
      method: "GET",
      url: "/v1/keys",
      access: "admin",
      tag: "Keys",
      summary: "List the API keys, revoked ones included, oldest first",
      replies: { 200: { description: "The keys (never their secrets).", schema: z.object({ data: z.array(ApiKeySchema) }) } },
    },
    async (_input, request) => ({ data: (await store.apiKeys.list()).map((k) => keyView(k, request.apiKey)) }),
  );

  route(
    app,
    {
      method: "POST",
      url: "/v1/keys",
      access: "admin",
      tag: "Keys",
      summary: "Create an API key; its secret is in this reply and nowhere else",
      body: KeyCreateSchema,
      bodyExample: { name: "batch jobs", role: "predict", force_teacher: false, teacher_budget: { calls_per_hour: 1000 } },
      replies: { 201: { description: "Created.", schema: ApiKeyCreated } },
      errors: { 400: "A field is missing or invalid; the message names it (e.g. `teacher_budget.calls_per_hour: …`)." },
    },
    async ({ body }, request, reply) => {
      const { name, role, force_teacher, teacher_budget } = body;
      const fault = textFault(name);
      if (fault !== null) throw badRequest(`name ${fault}`);
      const permissions = { ...(force_teacher === undefined ? {} : { force_teacher }), teacher_budget: teacher_budget ?? null };
      const { key, record } = await store.apiKeys.create(name, role, permissions);
      return reply.code(201).send({ key, record: keyView(record, request.apiKey) });
    },
  );

  route(
    app,
    {
      method: "DELETE",
      url: "/v1/keys/:id",
      access: "admin",
      tag: "Keys",
      summary: "Revoke an API key",
      description:
        "The key stops working at once on this gateway process, and within 5 s on others sharing the database (their verified-key cache). " +
        "The last admin key that is not revoked cannot be revoked (409 `last_admin_key`): nobody could manage the gateway any more. " +
        `A configuration-file key can be revoked, but ${CONFIG_KEY_NOTE}.`,
      params: KeyIdParams,
      replies: { 200: { description: "The revoked key.", schema: ApiKeySchema } },
      errors: { 400: "The id is not a positive integer.", 404: "No key with this id.", 409: "The key is already revoked (`already_revoked`), or it is the last admin key (`last_admin_key`)." },
    },
    async ({ params: { id } }, request) => {
      const outcome = await store.apiKeys.revokeKeepingAnAdmin(id);
      if ("revoked" in outcome) return keyView(outcome.revoked, request.apiKey);
      if (outcome.refused === "not_found") throw notFound(`no API key with id ${id}`);
      if (outcome.refused === "already_revoked") throw new HttpError(409, `API key ${id} was already revoked at ${new Date(outcome.record!.revoked_at!).toISOString()}`, "invalid_request_error", "already_revoked");
      throw new HttpError(409, `API key ${id} is the last admin key that is not revoked: revoking it would leave nobody able to manage the gateway; create another admin key first`, "invalid_request_error", "last_admin_key");
    },
  );
}
