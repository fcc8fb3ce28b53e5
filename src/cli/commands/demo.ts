// apprentice demo: a first run on the bundled banking example. Trains a specialist on
// examples/banking-demo/train.csv, evaluates it on test.csv, shows a few predictions and the
// commands to try next. (Until the gateway exists the demo covers the engine alone; it will later
// show the teacher and the routing too.)
import { readFile } from "node:fs/promises";
import { isAbsolute, relative } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { describeDatasetWarnings } from "../../data/dataset-report.js";
import { loadDataset } from "../dataset.js";
import type { Task } from "../../task/definition.js";
import { CliError } from "../errors.js";
import { evaluateModel, evaluationSummaryLines } from "../evaluation.js";
import { fixed, table } from "../format.js";
import { saveModelFile } from "../model-io.js";
import { printLines, warnAll } from "../output.js";
import { trainOnDataset, trainingSummaryLines } from "../training.js";

export const DEMO_MODEL_PATH = ".apprentice/demo.model";
const EXAMPLE_DIR = fileURLToPath(new URL("../../../examples/banking-demo/", import.meta.url));

/** Messages written for the demo; none of them is in train.csv or test.csv. */
const SAMPLE_MESSAGES = [
  "my card hasn't arrived",
  "someone nicked my wallet with my card in it",
  "the cash machine took my card and gave me no money",
  "what rate do you use to convert pounds to euros?",
  "can I still stop the transfer I sent to my landlord?",
];

export function registerDemo(program: Command): void {
  program
    .command("demo")
    .description("train and evaluate a specialist on the bundled banking-support example (takes a few seconds)")
    .option("--out <model>", "where to write the demo model", DEMO_MODEL_PATH)
    .action(async (flags: { out: string }) => {
      const trainPath = shown(`${EXAMPLE_DIR}train.csv`);
      const testPath = shown(`${EXAMPLE_DIR}test.csv`);
      const task = await loadTask(`${EXAMPLE_DIR}task.json`);
      const columns = { textColumn: "text", labelColumn: "label" };

      printLines([`Apprentice demo: ${task.name}`, `  ${task.description ?? ""}`.trimEnd(), ""]);

      const train = await loadDataset(trainPath, columns);
      warnAll(describeDatasetWarnings(train));
      const model = trainOnDataset(train);
      const size = await saveModelFile(flags.out, model, { quantize: "none" });
      printLines([...trainingSummaryLines(model, { path: flags.out, bytes: size, quantize: "none" }), ""]);

      const test = await loadDataset(testPath, columns);
      warnAll(describeDatasetWarnings(test));
      const result = evaluateModel(model, test.examples);
      printLines([`Evaluation on ${testPath} (messages the model has not seen)`, ...evaluationSummaryLines(result), ""]);

      const answers = new Map(task.labels.map((l) => [l.name, l.answer]));
      const rows = SAMPLE_MESSAGES.map((text) => {
        const p = model.predict(text);
        return [fixed(p.confidence, 2), p.label, JSON.stringify(text)];
      });
      const first = model.predict(SAMPLE_MESSAGES[0]);
      printLines([
        "Example predictions (confidence, label, message)",
        ...table(rows, "rll"),
        "",
        `A support bot would answer ${JSON.stringify(SAMPLE_MESSAGES[0])} with the ${first.label} reply from task.json:`,
        `  ${answers.get(first.label) ?? "(no answer text)"}`,
        "",
        "Next, try:",
        `  npx apprentice predict --model ${shell(flags.out)} "my card hasn't arrived" "I keep forgetting my PIN" --top 2`,
        `  npx apprentice eval --model ${shell(flags.out)} --data ${shell(testPath)} --text-column text --label-column label`,
        `  npx apprentice train --data ${shell(trainPath)} --text-column text --label-column label --out my.model --quantize`,
        "  npx apprentice --help",
      ]);
    });
}

async function loadTask(path: string): Promise<Task> {
  // Imported here, not at the top: zod takes a noticeable share of the CLI's start-up time, and
  // only the demo needs it.
  const { parseTask } = await import("../../task/definition.js");
  try {
    return parseTask(JSON.parse(await readFile(path, "utf8")));
  } catch (err) {
    throw new CliError(`cannot read the demo task ${shown(path)}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** Paths are shown relative to the working directory when that is shorter. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel !== "" && !isAbsolute(rel) && rel.length < path.length ? rel : path;
}

function shell(arg: string): string {
  return /^[\w./@:+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
