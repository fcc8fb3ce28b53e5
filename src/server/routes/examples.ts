// Labelled examples of a task: bulk import from a JSON array, JSONL or CSV body, and keyset paging
// through what is stored. Imports are all or nothing unless the caller asks for ?partial=true, and
// every row read is either accepted or listed with its line and reason; ?text_column= and
// ?label_column= name the columns (or fields) to read. A structured task's rows carry an object
// instead of a label — {"text", "output": {...}} in JSONL or JSON, a column per field in CSV — read
// and checked by ObjectDatasetReader, the checks a teacher's object goes through. The body is parsed as it arrives, and its
// byte and row caps are enforced while reading: a flood of rows is refused at the first row over
// the cap, without holding the body or the rows it would have become.
import type { Readable } from "node:stream";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { DatasetReader, type Dataset, type DatasetFormat, type DatasetOptions, type Example } from "../../data/dataset.js";
import { DatasetError, RowLimitError, type BadRow } from "../../data/errors.js";
import { ObjectDatasetReader, type ObjectDataset } from "../../data/object-dataset.js";
import type { ExampleFilter, ExampleRecord } from "../../store/examples.js";
import { EXAMPLE_ORIGINS, EXAMPLE_SOURCES } from "../../store/schema.js";
import { answerLabels } from "../../task/definition.js";
import { isStructuredTask, outputFields, type AnyTask } from "../../task/structured.js";
import { readBodyText } from "../http/body-stream.js";
import { badRequest, conflict, HttpError, notFound } from "../http/errors.js";
import { oneOfStrings, str, type ParameterDoc } from "../docs/openapi-shapes.js";
import { enumParam, integerParam, singleValues, type Query } from "../http/query-params.js";
import { MAX_TEXT_CHARS, runtimeOf, textProblem, type RouteDeps } from "./tasks.js";

export const MAX_IMPORT_ROWS = 100_000;
/** A full 100,000-row import of long texts does not fit the app-wide 5 MiB default. */
export const IMPORT_BODY_LIMIT = 64 * 1024 * 1024;
export const DEFAULT_PAGE_LIMIT = 100;
export const MAX_PAGE_LIMIT = 1000;
/** How many rejected rows an error message names; `details` always lists them all. */
const REJECTED_IN_MESSAGE = 5;

export const IMPORT_MEDIA_TYPES: Readonly<Record<string, DatasetFormat>> = {
  "application/json": "json",
  "application/x-ndjson": "jsonl",
  "application/jsonl": "jsonl",
  "text/csv": "csv",
};

type ExamplesRoute = { Params: { name: string }; Querystring: Query };

/** What the body parser makes of an import: labelled rows for a label task, objects for a structured one. */
type ImportBody = { kind: "labels"; dataset: Dataset } | { kind: "objects"; dataset: ObjectDataset };

export interface ImportReply {
  format: DatasetFormat;
  rows: number;
  accepted: number;
  rejected: BadRow[];
  added: number;
  unchanged_or_updated: number;
  examples: number;
}

export type ExampleView = Pick<ExampleRecord, "id" | "text" | "label" | "source" | "holdout" | "audited" | "created_at" | "updated_at" | "origin" | "key_id" | "key_name">;

export interface ExamplesPage {
  data: ExampleView[];
  next_after: number | null;
  total: number;
}

export function registerExampleRoutes(app: FastifyInstance, deps: RouteDeps): void {
  // Encapsulated, so that replacing the JSON parser with a raw-text one stays inside this plugin
  // and every other route keeps Fastify's JSON parsing.
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    // The parser gets the body as a stream (no parseAs) and turns it into a Dataset as it arrives;
    // an error here makes Fastify close the connection after the reply, so the rest is not read.
    scope.addContentTypeParser(Object.keys(IMPORT_MEDIA_TYPES), async (request: FastifyRequest, payload: Readable): Promise<ImportBody> => {
      // Only the examples route is in this scope.
      const route = request as FastifyRequest<ExamplesRoute>;
      const { format, columns } = importOptions(route);
      const { task } = await runtimeOf(deps.runtimes, route.params.name);
      const read = { maxTextLength: MAX_TEXT_CHARS, source: "the body", maxRows: MAX_IMPORT_ROWS };
      if (isStructuredTask(task)) {
        const reader = new ObjectDatasetReader(outputFields(task), { ...read, format, textField: columns.textColumn });
        return { kind: "objects", dataset: await readBody(payload, request.headers["content-length"], reader) };
      }
      const reader = new DatasetReader({ ...read, format, ...columns, onBadRow: "skip" });
      return { kind: "labels", dataset: await readBody(payload, request.headers["content-length"], reader) };
    });

    scope.post<ExamplesRoute>(
      "/v1/tasks/:name/examples",
      {
        config: { access: "admin" },
        bodyLimit: IMPORT_BODY_LIMIT,
        // Before the body is read: a wrong media type, query or task must not cost a 64 MiB upload.
        preParsing: async (request) => {
          const { columns } = importOptions(request);
          const { task } = await runtimeOf(deps.runtimes, request.params.name);
          if (isStructuredTask(task) && columns.labelColumn !== undefined) {
            throw badRequest(`task "${task.name}" is a structured task: it takes no label column; send each row's object as "output" (JSONL, JSON) or one column per field (CSV)`);
          }
        },
      },
      async (request) => importExamples(request, deps),
    );

    scope.get<ExamplesRoute>("/v1/tasks/:name/examples", { config: { access: "admin" } }, async (request) => pageExamples(request, deps));
  });
}

async function pageExamples(request: FastifyRequest<ExamplesRoute>, deps: RouteDeps): Promise<ExamplesPage> {
  const { after, limit, filter } = pageOptions(request.query);
  const { name } = request.params;
  // The task row, not its runtime: paging must not load every example into memory.
  if ((await deps.store.tasks.get(name)) === null) throw notFound(`no task "${name}"`);
  // One row more than asked tells whether another page exists without a second query.
  const rows = await deps.store.examples.page(name, { after, limit: limit + 1, ...filter });
  const data = rows.slice(0, limit).map(exampleView);
  return { data, next_after: rows.length > limit ? data[data.length - 1].id : null, total: await deps.store.examples.count(name, filter) };
}

/** An example as the API shows it (the store's record without its task, hash and revision). */
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

async function importExamples(request: FastifyRequest<ExamplesRoute>, deps: RouteDeps): Promise<ImportReply> {
  const { format, partial } = importOptions(request);
  const rt = await runtimeOf(deps.runtimes, request.params.name);
  // Set by the stream parser above, the only one in this scope (preParsing refused other media types).
  const body = request.body as ImportBody | undefined;
  if (body === undefined) throw badRequest("the body is empty: send the examples");
  const { rows, accepted, rejected } = checkBody(body, rt.task);
  if (rows === 0) throw badRequest("the body is empty: send the examples");
  if (rejected.length > 0 && !partial) throw badRequest(rejectedMessage(rejected, format), rejected);

  const before = rt.cascade.store.size;
  if (accepted.length > 0) {
    await rt.addHumanLabels(accepted, "import", request.apiKey);
    rt.scheduleRetrain();
  }
  const added = rt.cascade.store.size - before;
  return { format, rows, accepted: accepted.length, rejected, added, unchanged_or_updated: accepted.length - added, examples: rt.cascade.store.size };
}

type ColumnMapping = Pick<DatasetOptions, "textColumn" | "labelColumn">;

function importOptions(request: FastifyRequest<ExamplesRoute>): { format: DatasetFormat; partial: boolean; columns: ColumnMapping } {
  const params = singleValues(request.query, ["partial", "text_column", "label_column"]);
  const partial = params.get("partial");
  if (partial !== undefined && partial !== "true" && partial !== "false") throw badRequest(`partial must be "true" or "false", got ${JSON.stringify(partial)}`);
  return { format: formatOf(request.headers["content-type"]), partial: partial === "true", columns: columnMapping(params) };
}

/** `?text_column=` and `?label_column=`: which columns (CSV) or fields (JSONL, JSON) hold the text and the label. */
function columnMapping(params: Map<string, string>): ColumnMapping {
  const columns: ColumnMapping = {};
  for (const [param, option] of [["text_column", "textColumn"], ["label_column", "labelColumn"]] as const) {
    const name = params.get(param);
    if (name === undefined) continue;
    if (name === "") throw badRequest(`${param} must not be empty`);
    columns[option] = name;
  }
  return columns;
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

/** The filters GET …/examples and its export take. */
export const FILTER_PARAMS = ["source", "origin", "label", "holdout", "q"] as const;
/** `origin=none`: examples whose cause was not recorded (stored before migration 004). */
export const ORIGIN_FILTERS = [...EXAMPLE_ORIGINS, "none"] as const;

/** FILTER_PARAMS as the OpenAPI document describes them. */
export function exampleFilterDocs(): ParameterDoc[] {
  return [
    { name: "source", description: "Only examples from this source.", schema: oneOfStrings(EXAMPLE_SOURCES) },
    { name: "origin", description: "Only examples of this origin (`none`: not recorded, stored before origins were).", schema: oneOfStrings(ORIGIN_FILTERS) },
    { name: "label", description: "Only examples with this label.", schema: str() },
    { name: "holdout", description: "Only held-out (`true`) or training (`false`) examples.", schema: oneOfStrings(["true", "false"]) },
    { name: "q", description: "Text the example contains, case-insensitive (ASCII letters only on SQLite).", schema: str() },
  ];
}

function pageOptions(query: Query): { after: number; limit: number; filter: ExampleFilter } {
  const params = singleValues(query, ["limit", "after", ...FILTER_PARAMS]);
  const limit = integerParam(params, "limit", DEFAULT_PAGE_LIMIT, 1, MAX_PAGE_LIMIT);
  const after = integerParam(params, "after", 0, 0, Number.MAX_SAFE_INTEGER);
  return { after, limit, filter: exampleFilter(params) };
}

/** The filter named by FILTER_PARAMS, each checked (400 naming a bad one). */
export function exampleFilter(params: Map<string, string>): ExampleFilter {
  const filter: ExampleFilter = {};
  const source = params.get("source");
  if (source !== undefined) filter.source = enumParam(params, "source", EXAMPLE_SOURCES, "human");
  const origin = params.get("origin");
  if (origin !== undefined) {
    const value = enumParam(params, "origin", ORIGIN_FILTERS, "none");
    filter.origin = value === "none" ? null : value;
  }
  const label = params.get("label");
  if (label !== undefined) {
    if (label === "") throw badRequest("label must not be empty");
    filter.label = label;
  }
  const holdout = params.get("holdout");
  if (holdout !== undefined) filter.holdout = enumParam(params, "holdout", ["true", "false"], "false") === "true";
  const text = params.get("q");
  if (text !== undefined) {
    if (text.length > MAX_TEXT_CHARS) throw badRequest(`q is longer than ${MAX_TEXT_CHARS} characters`);
    if (text !== "") filter.text = text;
  }
  return filter;
}
