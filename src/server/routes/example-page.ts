// A task's stored examples, a page at a time in id order, with the filters its export
// (example-export.ts) takes too; and an example as the API shows it, which the edit routes
// (example-edits.ts) reply with. The examples' import is examples.ts's.
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { ExampleFilter, ExampleRecord } from "../../store/examples.js";
import type { Store } from "../../store/index.js";
import { EXAMPLE_ORIGINS, EXAMPLE_SOURCES } from "../../store/schema.js";
import { ExampleSchema } from "../http/api-schemas.js";
import { notFound } from "../http/errors.js";
import { integerSchema, stringSchema } from "../http/query-params.js";
import { route } from "../http/route.js";
import { MAX_TEXT_CHARS } from "./tasks.js";

export const DEFAULT_PAGE_LIMIT = 100;
export const MAX_PAGE_LIMIT = 1000;

/** A filter of GET …/examples and its export: one of `values`, or absent (no filter). */
const oneOf = <const T extends readonly string[]>(values: T, description: string) =>
  z
    .enum(values, { error: `must be one of ${values.join(", ")}` })
    .optional()
    .describe(description);

/** `origin=none`: examples whose cause was not recorded (stored before migration 004). */
const ORIGIN_FILTERS = [...EXAMPLE_ORIGINS, "none"] as const;

/** The filters GET …/examples and its export take; each absent one filters nothing. */
export const ExampleFilterQuery = z.object({
  source: oneOf(EXAMPLE_SOURCES, "Only examples from this source."),
  origin: oneOf(ORIGIN_FILTERS, "Only examples of this origin (`none`: not recorded, stored before origins were)."),
  label: stringSchema().min(1, "must not be empty").optional().describe("Only examples with this label."),
  holdout: oneOf(["true", "false"], "Only held-out (`true`) or training (`false`) examples."),
  q: stringSchema()
    .max(MAX_TEXT_CHARS, `is longer than ${MAX_TEXT_CHARS} characters`)
    .optional()
    .describe("Text the example contains, case-insensitive (ASCII letters only on SQLite)."),
});

/** The store's filter for the query's. */
export function exampleFilter({ source, origin, label, holdout, q }: z.output<typeof ExampleFilterQuery>): ExampleFilter {
  return {
    ...(source === undefined ? {} : { source }),
    ...(origin === undefined ? {} : { origin: origin === "none" ? null : origin }),
    ...(label === undefined ? {} : { label }),
    ...(holdout === undefined ? {} : { holdout: holdout === "true" }),
    ...(q === undefined || q === "" ? {} : { text: q }),
  };
}

const PageQuery = z
  .object({
    limit: integerSchema(`Page size, at most ${MAX_PAGE_LIMIT}.`, 1, MAX_PAGE_LIMIT, DEFAULT_PAGE_LIMIT),
    after: integerSchema("Return examples with an id greater than this.", 0, Number.MAX_SAFE_INTEGER, 0),
    ...ExampleFilterQuery.shape,
  });

const ExamplePageSchema = z
  .object({
    data: z.array(ExampleSchema),
    next_after: z.number().int().nullable().describe("Pass as `after` for the next page; null on the last page."),
    total: z.number().int().describe("Examples matching the filters."),
  })
  .meta({ id: "ExamplePage" });

/** An example as the API shows it (the store's record without its task, hash and revision). */
export type ExampleView = Pick<ExampleRecord, "id" | "text" | "label" | "source" | "holdout" | "audited" | "created_at" | "updated_at" | "origin" | "key_id" | "key_name">;

export const exampleView = ({ id, text, label, source, holdout, audited, created_at, updated_at, origin, key_id, key_name }: ExampleRecord): ExampleView => ({
  id,
  text,
  label,
  source,
  holdout,
  audited,
  created_at,
  updated_at,
  origin,
  key_id,
  key_name,
});

export function registerExamplePageRoute(app: FastifyInstance, store: Store): void {
  route(
    app,
    {
      method: "GET",
      url: "/v1/tasks/:name/examples",
      access: "admin",
      tag: "Examples",
      summary: "Page through a task's examples",
      description: "Ordered by id; pass the reply's `next_after` as `after` for the next page.",
      query: PageQuery,
      replies: { 200: { description: "A page of examples.", schema: ExamplePageSchema } },
      errors: { 404: "No such task." },
    },
    async ({ params: { name }, query: { after, limit, ...filters } }) => {
      // The task row, not its runtime: paging must not load every example into memory.
      if ((await store.tasks.get(name)) === null) throw notFound(`no task "${name}"`);
      const filter = exampleFilter(filters);
      // One row more than asked tells whether another page exists without a second query.
      const rows = await store.examples.page(name, { after, limit: limit + 1, ...filter });
      const data = rows.slice(0, limit).map(exampleView);
      return { data, next_after: rows.length > limit ? data[data.length - 1].id : null, total: await store.examples.count(name, filter) };
    },
  );
}
