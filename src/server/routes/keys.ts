// The gateway's API keys over HTTP (admin only), for the dashboard's Keys page: list, create (the
// secret is in the reply once; the store keeps its hash) and revoke. What each route answers is
// documented beside it (keyRouteDocs, keySchemas), and openapi.ts collects it.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import { textFault } from "../../data/text.js";
import type { ApiKeyRecord, Store } from "../../store/index.js";
import { API_KEY_ROLES } from "../../store/schema.js";
import { TeacherBudgetSchema } from "../../task/definition.js";
import { badRequest, HttpError, notFound } from "../http/errors.js";
import { arrayOf, bool, epochMs, fromZod, int, json, jsonReply, nullable, object, oneOfStrings, positiveIdParam, ref, str, type RouteDoc, type Schema } from "../docs/openapi-shapes.js";
import { positiveId, singleValues, type Query } from "../http/query-params.js";

export const MAX_KEY_NAME_CHARS = 100;

const KeyCreateSchema = z
  .object({
    name: z.string().trim().min(1, "must not be empty").max(MAX_KEY_NAME_CHARS),
    role: z.enum(API_KEY_ROLES as [string, ...string[]]),
    /** Default: true for admin keys, false for predict keys (as `apprentice keys create`). */
    force_teacher: z.boolean().optional(),
    teacher_budget: TeacherBudgetSchema.nullable().optional(),
  })
  .strict();

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

/** The body of POST /v1/keys, or a 400 naming the first field that is wrong. */
function keyToCreate(body: unknown): z.infer<typeof KeyCreateSchema> {
  const parsed = KeyCreateSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.join(".");
    throw badRequest(field === "" ? `the body ${issue.message.toLowerCase()}: it must be {"name", "role", "force_teacher"?, "teacher_budget"?}` : `${field}: ${issue.message}`);
  }
  const fault = textFault(parsed.data.name);
  if (fault !== null) throw badRequest(`name ${fault}`);
  return parsed.data;
}

export function registerKeyRoutes(app: FastifyInstance, store: Store): void {
  const admin = { config: { access: "admin" as const } };

  app.get<{ Querystring: Query }>("/v1/keys", admin, async (request) => {
    singleValues(request.query, []);
    return { data: (await store.apiKeys.list()).map((k) => keyView(k, request.apiKey)) };
  });

  app.post("/v1/keys", admin, async (request: FastifyRequest, reply) => {
    const { name, role, force_teacher, teacher_budget } = keyToCreate(request.body);
    const permissions = { ...(force_teacher === undefined ? {} : { force_teacher }), teacher_budget: teacher_budget ?? null };
    const { key, record } = await store.apiKeys.create(name, role as ApiKeyRecord["role"], permissions);
    return reply.code(201).send({ key, record: keyView(record, request.apiKey) });
  });

  app.delete<{ Params: { id: string } }>("/v1/keys/:id", admin, async (request) => {
    const id = positiveId(request.params.id, "the key id");
    const outcome = await store.apiKeys.revokeKeepingAnAdmin(id);
    if ("revoked" in outcome) return keyView(outcome.revoked, request.apiKey);
    if (outcome.refused === "not_found") throw notFound(`no API key with id ${id}`);
    if (outcome.refused === "already_revoked") throw new HttpError(409, `API key ${id} was already revoked at ${new Date(outcome.record!.revoked_at!).toISOString()}`, "invalid_request_error", "already_revoked");
    throw new HttpError(409, `API key ${id} is the last admin key that is not revoked: revoking it would leave nobody able to manage the gateway; create another admin key first`, "invalid_request_error", "last_admin_key");
  });
}

export function keySchemas(): Record<string, Schema> {
  return {
    ApiKey: object(
      {
        id: int(),
        name: str(),
        prefix: str("The key's first 8 characters, to recognise it; never enough to use it."),
        role: oneOfStrings(API_KEY_ROLES, "`admin`: every route; `predict`: predictions, chat completions, the model list."),
        created_at: epochMs("Creation time"),
        revoked_at: nullable(epochMs("Revocation time")),
        force_teacher: bool('May send `route: "teacher"` on predict.'),
        teacher_budget: nullable({ ...fromZod(TeacherBudgetSchema, "output"), description: "The key's own teacher budget across tasks, calendar UTC hours and days; null: none." }),
        from_config: bool("Installed from the configuration file, which installs it again at every start."),
        current: bool("The key this request was sent with."),
        note: str(`Configuration-file keys only: ${CONFIG_KEY_NOTE}.`),
      },
      ["note"],
    ),
    ApiKeyCreate: { ...fromZod(KeyCreateSchema, "input"), description: "`force_teacher` defaults to true for admin keys, false for predict keys." },
    ApiKeyCreated: object({ key: str("The secret, `apx_…`: shown in this reply only; the gateway keeps its SHA-256."), record: ref("ApiKey") }),
  };
}

export function keyRouteDocs(): RouteDoc[] {
  const idParam = positiveIdParam("The key's id (from GET /v1/keys).", 3);
  return [
    {
      method: "get",
      path: "/v1/keys",
      tag: "Keys",
      summary: "List the API keys, revoked ones included, oldest first",
      access: "admin",
      ok: { 200: jsonReply("The keys (never their secrets).", object({ data: arrayOf(ref("ApiKey")) })) },
      errors: { 400: "The route takes no query parameters." },
    },
    {
      method: "post",
      path: "/v1/keys",
      tag: "Keys",
      summary: "Create an API key; its secret is in this reply and nowhere else",
      access: "admin",
      body: json(ref("ApiKeyCreate"), { name: "batch jobs", role: "predict", force_teacher: false, teacher_budget: { calls_per_hour: 1000 } }),
      ok: { 201: jsonReply("Created.", ref("ApiKeyCreated")) },
      errors: { 400: "A field is missing or invalid; the message names it (e.g. `teacher_budget.calls_per_hour: …`)." },
    },
    {
      method: "delete",
      path: "/v1/keys/{id}",
      tag: "Keys",
      summary: "Revoke an API key",
      description:
        "The key stops working at once on this gateway process, and within 5 s on others sharing the database (their verified-key cache). " +
        "The last admin key that is not revoked cannot be revoked (409 `last_admin_key`): nobody could manage the gateway any more. " +
        `A configuration-file key can be revoked, but ${CONFIG_KEY_NOTE}.`,
      access: "admin",
      pathParams: idParam,
      ok: { 200: jsonReply("The revoked key.", ref("ApiKey")) },
      errors: { 400: "The id is not a positive integer.", 404: "No key with this id.", 409: "The key is already revoked (`already_revoked`), or it is the last admin key (`last_admin_key`)." },
    },
  ];
}
