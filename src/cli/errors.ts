// The one place that decides what an error looks like to a CLI user and which exit code it gets:
// 0 success, 2 usage errors (the command line itself is wrong), 1 everything else (bad data,
// unreadable model, failed training…). Errors print as one line on stderr; stacks only with
// --verbose.
import { CommanderError } from "commander";
import { DatasetError } from "../data/errors.js";

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** The command line is wrong: conflicting or missing inputs, values out of range. Exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Something the user can fix outside the command line (a file, the data). Exit code 1. */
export class CliError extends Error {
  override name = "CliError";
}

/** Prefix of every line the CLI writes to stderr about an error or a warning. */
export const PROGRAM = "apprentice";

const COMMANDER_SUCCESS = new Set(["commander.helpDisplayed", "commander.version"]);

export function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) {
    if (COMMANDER_SUCCESS.has(err.code)) return EXIT_OK;
    // `apprentice` with no command prints help with exitCode 1; asking for help is not an error.
    if (err.code === "commander.help") return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    return EXIT_USAGE;
  }
  if (err instanceof UsageError) return EXIT_USAGE;
  return EXIT_FAILURE;
}

/**
 * Reports `err` on stderr (unless commander already did) and returns the exit code.
 * `write` is the stderr writer; injectable for tests.
 */
export function reportError(err: unknown, verbose: boolean, write: (s: string) => void = (s) => process.stderr.write(s)): number {
  const code = exitCodeFor(err);
  // Commander has printed its own message (through `commanderErrorLine`) or the help text.
  if (err instanceof CommanderError) return code;
  write(`${PROGRAM}: ${errorMessage(err)}\n`);
  if (verbose) write(`${describeStack(err)}\n`);
  return code;
}

/** Rewrites commander's "error: …" output to the CLI's one-line format. */
export function commanderErrorLine(str: string): string {
  return `${PROGRAM}: ${oneLine(str.replace(/^error:\s*/i, ""))}\n`;
}

/** The single line shown for an error, with library wording turned into the CLI's flags. */
export function errorMessage(err: unknown): string {
  const raw = err instanceof Error ? err.message || err.name : String(err);
  const message = err instanceof DatasetError ? cliWording(raw) : raw;
  return oneLine(message);
}

/** The data layer names its options as an API does; the CLI user knows them as flags. */
function cliWording(message: string): string {
  return message
    .replace(/set onBadRow to "skip"/g, "pass --on-bad-row skip")
    .replace(/set textColumn to use another/g, "pass --text-column to use another")
    .replace(/set labelColumn to name it, or labelRequired: false for unlabeled text/g, "pass --label-column to name it")
    .replace(/or set the format to "csv" or "jsonl"/g, "or pass --format csv|jsonl");
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, " ").trim();
}

function describeStack(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; current !== undefined && depth < 5; depth++) {
    parts.push(current instanceof Error ? (current.stack ?? `${current.name}: ${current.message}`) : String(current));
    current = current instanceof Error ? current.cause : undefined;
    if (current !== undefined) parts.push("Caused by:");
  }
  return parts.join("\n");
}
