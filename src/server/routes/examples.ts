// Labelled examples of a task: bulk import from a JSON array, JSONL or CSV body (paging through
// what is stored is example-page.ts's). Imports are all or nothing unless the caller asks for
// ?partial=true, and every row read is either accepted or listed with its line and reason;
// ?text_column= and ?label_column= name the columns (or fields) to read. A structured task's rows
// carry an object instead of a label — {"text", "output": {...}} in JSONL or JSON, a column per
// field in CSV — read and checked by ObjectDatasetReader, the checks a teacher's object goes
// through. The body is parsed as it arrives, and its byte and row caps are enforced while reading:
// a flood of rows is refused at the first row over the cap, without holding the body or the rows
// it would have become.
import type { Readable } from "node:stream";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import { DatasetReader, type Dataset, type DatasetFormat, type DatasetOptions, type Example } from "../../data/dataset.js";
import { DatasetError, RowLimitError, type BadRow } from "../../data/errors.js";
import { ObjectDatasetReader, type ObjectDataset } from "../../data/object-dataset.js";
import type { ApiKeyRecord } from "../../store/index.js";
import { answerLabels } from "../../task/definition.js";
import { isStructuredTask, outputFields, type AnyTask } from "../../task/structured.js";
import { StructuredObjectSchema } from "../http/api-schemas.js";
import { readBodyText } from "../http/body-stream.js";
import { badRequest, conflict, HttpError } from "../http/errors.js";
import { stringSchema } from "../http/query-params.js";
import { parsed, route } from "../http/route.js";
import type { TaskRuntime } from "../runtime/task-runtime.js";
import { registerExamplePageRoute } from "./example-page.js";
import { MAX_TEXT_CHARS, runtimeOf, textProblem, type RouteDeps } from "./tasks.js";

export const MAX_IMPORT_ROWS = 100_000;
/** A full 100,000-row import of long texts does not fit the app-wide 5 MiB default. */
export const IMPORT_BODY_LIMIT = 64 * 1024 * 1024;
/** How many rejected rows an error message names; `details` always lists them all. */
const REJECTED_IN_MESSAGE = 5;

export const IMPORT_MEDIA_TYPES: Readonly<Record<string, DatasetFormat>> = {
  "application/json": "json",
  "application/x-ndjson": "jsonl",
  "application/jsonl": "jsonl",
  "text/csv": "csv",
};

/** What the body parser makes of an import: labelled rows for a label task, objects for a structured one. */
type ImportBody = { kind: "labels"; dataset: Dataset } | { kind: "objects"; dataset: ObjectDataset };

// Strict itself: the hooks parse it before the body is read, ahead of route()'s own check.
const ImportQuery = z
  .object({
    partial: z
      .enum(["true", "false"], { error: 'must be "true" or "false"' })
      .default("false")
      .transform((value) => value === "true")
      .describe("`true`: import the valid rows and list the rejected ones in the reply."),
    text_column: stringSchema()
      .min(1, "must not be empty")
      .optional()
      .meta({ description: "The column (CSV) or field (JSONL, JSON) holding the text; an unknown one gives 400 naming the columns present.", default: "text" }),
    label_column: stringSchema().min(1, "must not be empty").optional().describe("The column or field holding the label; default the first of `label`, `category`, `intent`, `class`."),
  })
  .strict();

const LabelledTextSchema = z.object({ text: z.string(), label: z.string() }).meta({ id: "LabelledText" });
const StructuredTextSchema = z.object({ text: z.string(), output: StructuredObjectSchema }).meta({ id: "StructuredText" });

const ExampleImportSchema = z
  .object({
    format: z.enum([...new Set(Object.values(IMPORT_MEDIA_TYPES))]).describe("The body format that was read."),
    rows: z.number().int().describe("Rows read from the body."),
    accepted: z.number().int().describe("Rows that passed validation."),
    rejected: z
      .array(
        z.object({
          line: z.number().int().describe("The row's line in the body (for a JSON array: its position)."),
          reason: z.string().describe('Why; for a structured task\'s row it names the field, e.g. `output: field amount: "40" does not occur in the input`.'),
        }),
      )
      .describe("Invalid rows; with `partial=true` the valid ones are imported anyway."),
    added: z.number().int().describe("Texts stored for the first time."),
    unchanged_or_updated: z.number().int().describe("Accepted rows whose text was already stored."),
    examples: z.number().int().describe("The task's example count after the import."),
  })
  .meta({ id: "ExampleImport" });

export type ImportReply = z.output<typeof ExampleImportSchema>;

/** The import's bodies, one per media type it accepts (the same rows in each format). */
function importBodies() {
  const rows = [
    { text: "my card has not arrived", label: "card_arrival" },
    { text: "I lost my card", label: "lost_card" },
  ];
  const byFormat: Record<DatasetFormat, { schema: z.ZodType; example: unknown }> = {
    json: {
      schema: z.xor([z.array(LabelledTextSchema).min(1).describe("A label task's rows."), z.array(StructuredTextSchema).min(1).describe("A structured task's rows.")]),
      example: rows,
    },
    jsonl: {
      schema: z.string().describe("One JSON object a line: `{text, label}` for a label task, `{text, output: {...}}` for a structured task."),
      example: rows.map((r) => JSON.stringify(r)).join("\n") + "\n",
    },
    csv: {
      schema: z
        .string()
        .describe(
          "RFC 4180 CSV with a header row. A label task: `text` and `label` columns. A structured task: `text` and one column per field (an optional field's may be left out; no other columns): " +
            "tags and lists as `a|b`, booleans `true`/`false`, numbers as written, an empty cell for null (an empty list).",
        ),
      example: ["text,label", ...rows.map((r) => `${r.text},${r.label}`)].join("\n") + "\n",
    },
  };
  return Object.fromEntries(Object.entries(IMPORT_MEDIA_TYPES).map(([mediaType, format]) => [mediaType, byFormat[format]]));
}

/** The `:name` of the examples route, the only route in the import's scope. */
const taskName = (request: FastifyRequest): string => (request.params as { name: string }).name;

export function registerExampleRoutes(app: FastifyInstance, deps: RouteDeps): void {
  // Encapsulated, so that replacing the JSON parser with a raw-text one stays inside this plugin
  // and every other route keeps Fastify's JSON parsing.
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    // The parser gets the body as a stream (no parseAs) and turns it into a Dataset as it arrives;
    // an error here makes Fastify close the connection after the reply, so the rest is not read.
    scope.addContentTypeParser(Object.keys(IMPORT_MEDIA_TYPES), async (request: FastifyRequest, payload: Readable): Promise<ImportBody> => {
      const { format, columns } = importOptions(request);
      const { task } = await runtimeOf(deps.runtimes, taskName(request));
      const read = { maxTextLength: MAX_TEXT_CHARS, source: "the body", maxRows: MAX_IMPORT_ROWS };
      if (isStructuredTask(task)) {
        const reader = new ObjectDatasetReader(outputFields(task), { ...read, format, textField: columns.textColumn });
        return { kind: "objects", dataset: await readBody(payload, request.headers["content-length"], reader) };
      }
      const reader = new DatasetReader({ ...read, format, ...columns, onBadRow: "skip" });
      return { kind: "labels", dataset: await readBody(payload, request.headers["content-length"], reader) };
    });

    // Before the body is read: a wrong media type, query or task must not cost a 64 MiB upload.
    scope.addHook("preParsing", async (request) => {
      const { columns } = importOptions(request);
      const { task } = await runtimeOf(deps.runtimes, taskName(request));
      if (isStructuredTask(task) && columns.labelColumn !== undefined) {
        throw badRequest(`task "${task.name}" is a structured task: it takes no label column; send each row's object as "output" (JSONL, JSON) or one column per field (CSV)`);
      }
    });

    route(
      scope,
      {
        method: "POST",
        url: "/v1/tasks/:name/examples",
        access: "admin",
        tag: "Examples",
        summary: "Import labelled examples",
        description:
          "A JSON array of `{text, label}`, NDJSON/JSONL (one such object a line) or CSV with a header row naming `text` and `label` columns, in UTF-8. " +
          "For a structured task each row carries its object instead: `{text, output: {...}}` in JSON and JSONL, one column per field in CSV (e.g. `text,intent,amount,urgent`), " +
          "each object checked as a teacher's answer is (a row whose extracted value is not in its text is rejected, naming the field); `label_column` is refused. " +
          `At most ${MAX_IMPORT_ROWS} rows and ${IMPORT_BODY_LIMIT / 1024 / 1024} MiB per request. ` +
          "Without `partial=true` the import is all or nothing: any invalid row gives 400 with every bad row listed in `error.details`. " +
          "A text already stored keeps one example (a new human label replaces a teacher's).",
        query: ImportQuery,
        rawBody: importBodies(),
        bodyLimit: IMPORT_BODY_LIMIT,
        replies: {
          200: {
            description: "What was imported.",
            schema: ExampleImportSchema,
            example: { format: "json", rows: 1, accepted: 1, rejected: [], added: 1, unchanged_or_updated: 0, examples: 301 },
          },
        },
        errors: {
          400: "A query parameter is invalid, the body cannot be read (not UTF-8, malformed, no text or label column), or, without `partial=true`, a row is invalid (`error.details` lists every bad row); the message says which.",
          404: "No such task.",
          413: `The body is larger than ${IMPORT_BODY_LIMIT / 1024 / 1024} MiB or has more than ${MAX_IMPORT_ROWS} rows.`,
          415: "Not one of the accepted media types, or not UTF-8.",
        },
      },
      async ({ params, query, body }, request) => {
        const rt = await runtimeOf(deps.runtimes, params.name);
        // Set by the stream parser above, the only one in this scope (preParsing refused other media types).
        return importExamples(rt, body as ImportBody | undefined, formatOf(request.headers["content-type"]), query.partial, request.apiKey);
      },
    );
  });

  registerExamplePageRoute(app, deps.store);
}

async function importExamples(rt: TaskRuntime, body: ImportBody | undefined, format: DatasetFormat, partial: boolean, key: ApiKeyRecord | null): Promise<ImportReply> {
  if (body === undefined) throw badRequest("the body is empty: send the examples");
  const { rows, accepted, rejected } = checkBody(body, rt.task);
  if (rows === 0) throw badRequest("the body is empty: send the examples");
  if (rejected.length > 0 && !partial) throw badRequest(rejectedMessage(rejected, format), rejected);

  const before = rt.cascade.store.size;
  if (accepted.length > 0) {
    await rt.addHumanLabels(accepted, "import", key);
    rt.scheduleRetrain();
  }
  const added = rt.cascade.store.size - before;
  return { format, rows, accepted: accepted.length, rejected, added, unchanged_or_updated: accepted.length - added, examples: rt.cascade.store.size };
}

type ColumnMapping = Pick<DatasetOptions, "textColumn" | "labelColumn">;

/** The body's format and the query's columns, checked (400, 415) before anything is read. */
function importOptions(request: FastifyRequest): { format: DatasetFormat; columns: ColumnMapping } {
  const { text_column, label_column } = parsed(ImportQuery, request.query ?? {}, "query");
  const columns: ColumnMapping = { ...(text_column === undefined ? {} : { textColumn: text_column }), ...(label_column === undefined ? {} : { labelColumn: label_column }) };
  return { format: formatOf(request.headers["content-type"]), columns };
}

function formatOf(contentType: string | undefined): DatasetFormat {
  const accepted = Object.keys(IMPORT_MEDIA_TYPES).join(", ");
  const [mediaType = "", ...params] = (contentType ?? "").split(";").map((part) => part.trim().toLowerCase());
  if (!Object.hasOwn(IMPORT_MEDIA_TYPES, mediaType)) {
    const given = contentType === undefined ? "no Content-Type" : `Content-Type ${JSON.stringify(mediaType)}`;
    throw unsupportedMediaType(`${given}: send examples as one of ${accepted}`);
  }
  // The raw-text parser decodes UTF-8 only; another charset would be imported as mojibake.
  const charset = params.find((p) => p.startsWith("charset="))?.slice("charset=".length).replace(/"/g, "");
  if (charset !== undefined && charset !== "utf-8" && charset !== "utf8" && charset !== "us-ascii") {
    throw unsupportedMediaType(`charset ${JSON.stringify(charset)}: send the examples as UTF-8`);
  }
  return IMPORT_MEDIA_TYPES[mediaType];
}

const unsupportedMediaType = (message: string): HttpError => new HttpError(415, message, "invalid_request_error", "unsupported_media_type");

/**
 * Reads the body as it arrives into a Dataset, decoding UTF-8 strictly (a byte sequence that is
 * not UTF-8 would be stored as U+FFFD, which is not what was sent). The byte cap is checked
 * against Content-Length before reading and against the bytes received while reading; the row
 * cap by the parser, row by row. Either cap answers 413 and leaves the rest of the body unread.
 */
async function readBody<T>(payload: Readable, contentLength: string | undefined, reader: { push(text: string): void; end(): T }): Promise<T> {
  await readBodyText(payload, {
    contentLength,
    limit: IMPORT_BODY_LIMIT,
    tooLarge: bodyTooLarge,
    notUtf8: (bytes) => badRequest(`the body is not valid UTF-8 (an invalid byte sequence within its first ${bytes} bytes): send the examples as UTF-8; nothing was imported`),
    push: (text) => {
      try {
        reader.push(text);
      } catch (err) {
        throw importError(err);
      }
    },
  });
  try {
    return reader.end();
  } catch (err) {
    throw importError(err);
  }
}

const bodyTooLarge = (size: string) =>
  new HttpError(413, `the body ${size}, over the import limit of ${IMPORT_BODY_LIMIT / 1024 / 1024} MiB (${IMPORT_BODY_LIMIT} bytes); split the import; nothing was imported`, "invalid_request_error", "body_too_large");

/** The data layer's refusals as HTTP errors: 413 for the row cap, 400 naming the rows for the rest. */
function importError(err: unknown): unknown {
  if (err instanceof RowLimitError) {
    return new HttpError(413, `too many rows: reading stopped at row ${err.maxRows + 1}, over the limit of ${err.maxRows} rows per request; split the import; nothing was imported`, "invalid_request_error", "too_many_rows");
  }
  if (err instanceof DatasetError) return badRequest(httpWording(err.message), err.badRows.map(reworded));
  return err;
}

/** The rows to import and the rejected ones (by line), for the task the body was read for. */
function checkBody(body: ImportBody, task: AnyTask): { rows: number; accepted: { text: string; label: string }[]; rejected: BadRow[] } {
  // The body was read for the task as it was when the request arrived; it may have been replaced since.
  const replaced = () => conflict(`task "${task.name}" was replaced by a task of the other kind during the import; nothing was imported; send it again`);
  if (isStructuredTask(task)) {
    if (body.kind !== "objects") throw replaced();
    // Each object was checked by the reader, against the fields and its text.
    return splitRows(body.dataset.examples.map(({ text, answer, line }) => ({ text, label: answer, line })), body.dataset.badRows, () => null);
  }
  if (body.kind !== "labels") throw replaced();
  const labels = new Set(answerLabels(task));
  // readDataset requires a label by default, so `label` is always set here.
  return splitRows(body.dataset.examples, body.dataset.badRows, (label) => (label !== undefined && labels.has(label) ? null : `label ${JSON.stringify(label)} is not one of the task's labels`));
}

/**
 * Splits the rows read into the rows to import and the rejected ones (by line): the reader's bad
 * rows, rows whose text the gateway cannot store, and rows whose answer `answerProblem` refuses.
 */
function splitRows(read: readonly Example[], badRows: readonly BadRow[], answerProblem: (label: string | undefined) => string | null) {
  const accepted: { text: string; label: string }[] = [];
  const rejected = badRows.map(reworded);
  for (const { text, label, line } of read) {
    const problem = textProblem(text);
    const refused = problem === null ? answerProblem(label) : `text ${problem}`;
    if (refused !== null) rejected.push({ line, reason: refused });
    else accepted.push({ text, label: label! });
  }
  rejected.sort((a, b) => a.line - b.line);
  return { rows: read.length + badRows.length, accepted, rejected };
}

function rejectedMessage(rejected: BadRow[], format: DatasetFormat): string {
  const where = format === "json" ? "item" : "line";
  const named = rejected.slice(0, REJECTED_IN_MESSAGE).map((r) => `${where} ${r.line}: ${r.reason.replace(/\s*[\r\n]+\s*/g, " ")}`);
  const more = rejected.length > REJECTED_IN_MESSAGE ? `; and ${rejected.length - REJECTED_IN_MESSAGE} more` : "";
  const count = rejected.length === 1 ? "1 bad row" : `${rejected.length} bad rows`;
  return `${count}, nothing imported: ${named.join("; ")}${more} (fix them, or send ?partial=true to import the good rows)`;
}

/** The data layer names its library options; over HTTP the query parameters take their place. */
function httpWording(message: string): string {
  return message
    .replace(/; set labelColumn to name it, or labelRequired: false for unlabeled text/g, "; send ?label_column=<name> to name it")
    .replace(/ \(set text(Column|Field) to use another\)/g, " (send ?text_column=<name> to use another)")
    .replace(/ \(maxTextLength\)/g, "")
    .replace(/ \(fix them, or set onBadRow to "skip" to leave them out\)/g, "");
}

const reworded = (row: BadRow): BadRow => ({ line: row.line, reason: httpWording(row.reason) });
