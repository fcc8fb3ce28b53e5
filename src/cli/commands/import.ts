// apprentice import: sends a CSV, JSONL or JSON file of labelled examples to a running gateway's
// task. The file goes as-is (the gateway parses and validates it, so the CLI and the API accept
// the same files); the CLI reports the counts and names every rejected row by file and line.
import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import type { Command } from "commander";
import { CliError, PROGRAM, UsageError } from "../errors.js";
import { count } from "../format.js";
import { addGatewayOptions, callGateway, gatewayFrom, GatewayError, taskPath, type GatewayFlags } from "../gateway-client.js";
import { printLines } from "../output.js";

const CONTENT_TYPES: Record<string, string> = {
  ".csv": "text/csv",
  ".jsonl": "application/x-ndjson",
  ".ndjson": "application/x-ndjson",
  ".json": "application/json",
};

/** Rejected rows listed on stderr before the rest is only counted. */
const SHOWN_REJECTED = 20;

/** A row the gateway refused; in a JSON array `line` is the item's 1-based position instead. */
interface RejectedRow {
  line: number;
  reason: string;
}

/** The gateway's reply to POST /v1/tasks/:name/examples. */
interface ImportReply {
  format: string;
  rows: number;
  accepted: number;
  rejected: RejectedRow[];
  added: number;
  unchanged_or_updated: number;
  examples: number;
}

type ImportFlags = GatewayFlags & { partial?: boolean };

export function registerImport(program: Command): void {
  addGatewayOptions(
    program
      .command("import")
      .description("import labelled examples from a CSV, JSONL or JSON file into a task of a running gateway")
      .argument("<task>", "the task's name")
      .argument("<file>", "the examples: .csv (text,label columns), .jsonl/.ndjson or .json (an array of {text, label})"),
  )
    .option("--partial", "import the valid rows even if some are rejected (default: all or nothing)")
    .action(importExamples);
}

async function importExamples(task: string, file: string, flags: ImportFlags): Promise<void> {
  const contentType = contentTypeOf(file);
  const content = await readExamples(file);
  const path = taskPath(task, "/examples") + (flags.partial === true ? "?partial=true" : "");
  let reply: ImportReply;
  try {
    reply = await callGateway<ImportReply>(gatewayFrom(flags), "POST", path, { raw: content, contentType });
  } catch (err) {
    throw nothingImported(err, file, task, flags);
  }
  printLines([
    `imported ${file} into ${task}: ${count(reply.accepted)} of ${count(reply.rows)} rows accepted, ${count(reply.added)} new, ${count(reply.unchanged_or_updated)} unchanged or updated; the task has ${count(reply.examples)} examples`,
  ]);
  const rejected = reply.rejected;
  reportRejected(file, rejected);
  if (rejected.length > 0 && flags.partial !== true) throw new CliError(`${file}: ${count(rejected.length)} row(s) rejected`);
}

function contentTypeOf(file: string): string {
  const type = CONTENT_TYPES[extname(file).toLowerCase()];
  if (type === undefined) throw new UsageError(`cannot tell the format of ${file} from its extension: use .csv, .jsonl, .ndjson or .json`);
  return type;
}

async function readExamples(file: string): Promise<Uint8Array<ArrayBuffer>> {
  try {
    return await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "file not found" : code === "EISDIR" ? "it is a directory" : err instanceof Error ? err.message : String(err);
    throw new CliError(`cannot read ${file}: ${why}`, { cause: err });
  }
}

/** An all-or-nothing refusal lists the bad rows in the error's details: show them, then one summary. */
function nothingImported(err: unknown, file: string, task: string, flags: ImportFlags): unknown {
  if (!(err instanceof GatewayError) || err.status !== 400 || !isRejectedList(err.details)) return err;
  reportRejected(file, err.details);
  const hint = flags.partial === true ? "" : "; fix them, or pass --partial to import the other rows";
  return new CliError(`${file}: ${count(err.details.length)} row(s) rejected, nothing imported into ${task}${hint}`, { cause: err });
}

function isRejectedList(x: unknown): x is RejectedRow[] {
  const isRow = (r: unknown) => typeof r === "object" && r !== null && typeof (r as RejectedRow).line === "number" && typeof (r as RejectedRow).reason === "string";
  return Array.isArray(x) && x.length > 0 && x.every(isRow);
}

function reportRejected(file: string, rejected: readonly RejectedRow[]): void {
  for (const row of rejected.slice(0, SHOWN_REJECTED)) process.stderr.write(`${PROGRAM}: ${where(file, row)}: ${row.reason}\n`);
  if (rejected.length > SHOWN_REJECTED) process.stderr.write(`${PROGRAM}: and ${count(rejected.length - SHOWN_REJECTED)} more rejected rows\n`);
}

/** `file:line` as editors and compilers write it; a JSON array's rows are items, not lines. */
function where(file: string, row: RejectedRow): string {
  return contentTypeOf(file) === CONTENT_TYPES[".json"] ? `${file}: item ${row.line}` : `${file}:${row.line}`;
}
