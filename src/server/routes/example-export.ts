// A task's examples as a file (admin only): CSV or JSONL, with the filters of GET …/examples,
// streamed a chunk of rows at a time in id order, so a task of a million examples costs one
// chunk of memory and the reply starts at once. CSV cells are safe to open in a spreadsheet
// (csv-write.ts: formula-looking cells get a leading `'`); JSONL lines are the API's example objects.
import { Readable } from "node:stream";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { csvRow } from "../../data/csv-write.js";
import type { ExampleFilter, ExampleRecord } from "../../store/examples.js";
import type { Store } from "../../store/index.js";
import { notFound } from "../http/errors.js";
import { str } from "../docs/openapi-shapes.js";
import { enumSchema } from "../http/query-params.js";
import { route } from "../http/route.js";
import { exampleFilter, ExampleFilterQuery, exampleView } from "./example-page.js";

/** Rows read from the store per query while exporting. */
export const EXPORT_CHUNK = 1000;
export const EXPORT_FORMATS = ["csv", "jsonl"] as const;
type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** The CSV columns, in order; times as ISO 8601 (UTC), which spreadsheets read as dates. */
export const CSV_COLUMNS = ["id", "text", "label", "source", "origin", "holdout", "audited", "key_name", "created_at", "updated_at"] as const;

const MEDIA_TYPES: Record<ExportFormat, string> = { csv: "text/csv; charset=utf-8", jsonl: "application/x-ndjson; charset=utf-8" };

function csvLine(e: ExampleRecord): string {
  return csvRow([e.id, e.text, e.label, e.source, e.origin, e.holdout, e.audited, e.key_name, new Date(e.created_at).toISOString(), new Date(e.updated_at).toISOString()]);
}

const jsonLine = (e: ExampleRecord): string => `${JSON.stringify(exampleView(e))}\n`;

/** The export's text, a chunk of rows at a time, read only as fast as the client takes it. */
async function* exportChunks(store: Store, task: string, filter: ExampleFilter, format: ExportFormat): AsyncGenerator<string> {
  if (format === "csv") yield csvRow(CSV_COLUMNS);
  const line = format === "csv" ? csvLine : jsonLine;
  for (let after = 0; ; ) {
    const rows = await store.examples.page(task, { ...filter, after, limit: EXPORT_CHUNK });
    if (rows.length > 0) yield rows.map(line).join("");
    if (rows.length < EXPORT_CHUNK) return;
    after = rows[rows.length - 1].id;
  }
}

const ExportQuery = z.object({ format: enumSchema("File format.", EXPORT_FORMATS, "csv"), ...ExampleFilterQuery.shape });

export function registerExampleExportRoute(app: FastifyInstance, store: Store): void {
  route(
    app,
    {
      method: "GET",
      url: "/v1/tasks/:name/examples/export",
      access: "admin",
      tag: "Examples",
      summary: "Download a task's examples as CSV or JSONL",
      description:
        `Every example matching the filters, in id order, streamed. CSV columns: ${CSV_COLUMNS.join(", ")} (times in ISO 8601, UTC). ` +
        "A CSV cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading single quote, so that a spreadsheet shows it as text instead of running it as a formula; strip it to read the original value. " +
        "JSONL: one Example object per line.",
      query: ExportQuery,
      replies: {
        200: {
          description: "The file, as an attachment.",
          content: { "text/csv": { schema: str("CSV, RFC 4180, CRLF line ends, a header row.") }, "application/x-ndjson": { schema: str("One Example per line.") } },
        },
      },
      errors: { 404: "No such task." },
    },
    async ({ params: { name }, query: { format, ...filters } }, _request, reply) => {
      // The task row, not its runtime: an export must not load every example into memory.
      if ((await store.tasks.get(name)) === null) throw notFound(`no task "${name}"`);
      // Task names are [a-z0-9_-], safe in a header as they are.
      return reply
        .type(MEDIA_TYPES[format])
        .header("content-disposition", `attachment; filename="${name}-examples.${format}"`)
        .send(Readable.from(exportChunks(store, name, exampleFilter(filters), format)));
    },
  );
}
