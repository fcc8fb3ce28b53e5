import { CommanderError } from "commander";
import { describe, expect, it } from "vitest";
import { DatasetError } from "../../src/data/errors.js";
import { commanderErrorLine, CliError, errorMessage, exitCodeFor, reportError, UsageError } from "../../src/cli/errors.js";

describe("CLI errors", () => {
  it("maps errors to exit codes", () => {
    expect(exitCodeFor(new UsageError("x"))).toBe(2);
    expect(exitCodeFor(new CommanderError(1, "commander.unknownOption", "x"))).toBe(2);
    expect(exitCodeFor(new CommanderError(0, "commander.helpDisplayed", "x"))).toBe(0);
    expect(exitCodeFor(new CommanderError(0, "commander.version", "x"))).toBe(0);
    expect(exitCodeFor(new CommanderError(1, "commander.help", "x"))).toBe(2);
    expect(exitCodeFor(new CliError("x"))).toBe(1);
    expect(exitCodeFor(new DatasetError("x"))).toBe(1);
    expect(exitCodeFor(new Error("x"))).toBe(1);
    expect(exitCodeFor("a string")).toBe(1);
  });

  it("prints one line, with the stack only when verbose", () => {
    let out = "";
    const write = (s: string) => (out += s);
    expect(reportError(new Error("first\nsecond"), false, write)).toBe(1);
    expect(out).toBe("apprentice: first second\n");
    out = "";
    reportError(new CliError("outer", { cause: new Error("inner") }), true, write);
    expect(out).toMatch(/^apprentice: outer\nCliError: outer\n\s+at /);
    expect(out).toContain("Caused by:\nError: inner");
  });

  it("uses the CLI's words for data-layer hints and commander's messages", () => {
    expect(errorMessage(new DatasetError('1 bad row in a.csv: ... (fix them, or set onBadRow to "skip" to leave them out)'))).toContain(
      "pass --on-bad-row skip",
    );
    expect(commanderErrorLine("error: unknown option '--x'\n(Did you mean --y?)\n")).toBe(
      "apprentice: unknown option '--x' (Did you mean --y?)\n",
    );
  });
});
