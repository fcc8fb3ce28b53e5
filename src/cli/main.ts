// The `apprentice` command line: a thin layer over the engine and data modules. bin/apprentice.js
// runs `main` straight from the TypeScript sources (through tsx), so there is no build step.
import { readFileSync } from "node:fs";
import { Command } from "commander";
import { registerDemo } from "./commands/demo.js";
import { registerEval } from "./commands/eval.js";
import { registerImport } from "./commands/import.js";
import { registerKeys } from "./commands/keys.js";
import { registerPredict } from "./commands/predict.js";
import { registerServe } from "./commands/serve.js";
import { registerSimulate } from "./commands/simulate.js";
import { registerStats } from "./commands/stats.js";
import { registerTasks } from "./commands/tasks.js";
import { registerTrain } from "./commands/train.js";
import { commanderErrorLine, EXIT_OK, PROGRAM, reportError } from "./errors.js";

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version?: string };
  return pkg.version ?? "0.0.0";
}

export function createProgram(): Command {
  const program = new Command(PROGRAM)
    .description("Train small specialist text classifiers from examples, evaluate them and use them.")
    .version(packageVersion(), "-V, --version", "print the version")
    .option("--verbose", "print stack traces with errors")
    .helpOption("-h, --help", "show help")
    .showSuggestionAfterError(true)
    // Commander throws instead of exiting, so every exit code is decided in errors.ts; set before
    // the commands are added, which copy these settings.
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(commanderErrorLine(str)) });

  // Commands, in the order `apprentice --help` lists them. One file per command in ./commands.
  registerTrain(program);
  registerEval(program);
  registerPredict(program);
  registerDemo(program);
  registerSimulate(program);
  registerServe(program);
  registerKeys(program);
  registerTasks(program);
  registerImport(program);
  registerStats(program);

  program.addHelpText(
    "after",
    `
Exit codes: 0 success, 1 failure (bad data, unreadable model, …), 2 usage error.
Try \`npm run demo\` (or \`apprentice demo\`) for a first run on the bundled banking example.`,
  );
  return program;
}

/** Runs the CLI on `argv` (as in process.argv) and returns the exit code; never throws. */
export async function main(argv: readonly string[] = process.argv): Promise<number> {
  // `apprentice predict … | head` closes stdout early; that is not an error worth a stack.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(EXIT_OK);
    throw err;
  });

  const program = createProgram();
  try {
    await program.parseAsync([...argv]);
    return EXIT_OK;
  } catch (err) {
    const verbose = program.opts().verbose === true || argv.includes("--verbose");
    return reportError(err, verbose);
  }
}
