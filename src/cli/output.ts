// Where the CLI writes: results on stdout (so they can be piped), everything else on stderr.
import { PROGRAM } from "./errors.js";

export function printLines(lines: readonly string[]): void {
  if (lines.length > 0) process.stdout.write(`${lines.join("\n")}\n`);
}

export function warn(message: string): void {
  process.stderr.write(`${PROGRAM}: warning: ${message}\n`);
}

export function warnAll(messages: readonly string[]): void {
  for (const message of messages) warn(message);
}
