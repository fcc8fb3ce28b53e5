// apprentice predict: one JSON line per input text with the label, its calibrated confidence and
// the K most probable labels.
import { Option, type Command } from "commander";
import { describeDatasetWarnings } from "../../data/dataset-report.js";
import { loadDataset } from "../dataset.js";
import { UsageError } from "../errors.js";
import { loadAnyModel } from "../model-io.js";
import { datasetOptions, formatOption, onBadRowOption, positiveInt, textColumnOption, type DatasetFlags } from "../options.js";
import { warnAll } from "../output.js";
import { structuredPredictionJson } from "../structured.js";

export const DEFAULT_TOP = 3;
/** Lines are written in batches so a large file neither builds one huge string nor many tiny writes. */
const BATCH = 1000;

type PredictFlags = Partial<DatasetFlags> & { model: string; top: number };

export function registerPredict(program: Command): void {
  program
    .command("predict")
    .description("classify texts given as arguments or read from a file; prints one JSON object per line")
    .argument("[text...]", "texts to classify (quote each one)")
    .requiredOption("--model <model>", "model file written by `apprentice train`")
    .option("--data <file>", "read the texts from this file (.csv, .jsonl or .ndjson) instead of the arguments; no label column needed")
    .addOption(textColumnOption())
    .addOption(
      new Option("--top <k>", "how many of the most probable labels to list in `top`").argParser(positiveInt).default(DEFAULT_TOP),
    )
    .addOption(onBadRowOption())
    .addOption(formatOption())
    .addHelpText(
      "after",
      `
Each output line is {"text", "label", "confidence", "top": [{"label", "probability"}, …]}: "top"
always holds the K most probable labels (K = --top, default ${DEFAULT_TOP}), most probable first.
With a span model: {"text", "spans": [{"start", "end", "label", "text", "probability"}, …],
"probability"}, offsets in UTF-16 code units (end exclusive), "probability" the chance that the
whole answer is exactly right. With a multi-label model: {"text", "labels": [{"label",
"probability"}, …], "probability"}, the predicted labels (possibly none) most probable first, and
"probability" the chance that the predicted set is exactly right. With a structured model:
{"text", "output": {…}, "confidence", "fields": {"<field>": {"confidence", "spans"?}, …}}, the
object, the chance that it is right in every field, and each field's (for extracted fields, the
spans their values were copied from).

Examples:
  $ apprentice predict --model model.bin "my card hasn't arrived" "what's the exchange rate?"
  $ apprentice predict --model model.bin --data inbox.csv --text-column message --top 1`,
    )
    .action(async (texts: string[], flags: PredictFlags) => {
      if (flags.data !== undefined && texts.length > 0) {
        throw new UsageError("give the texts either as arguments or with --data FILE, not both");
      }
      if (flags.data === undefined) {
        if (texts.length === 0) throw new UsageError("nothing to classify: give texts as arguments or a file with --data FILE");
        for (const flag of ["textColumn", "format"] as const) {
          if (flags[flag] !== undefined) throw new UsageError(`--${flag === "textColumn" ? "text-column" : "format"} needs --data FILE`);
        }
      }

      const loaded = await loadAnyModel(flags.model);
      let inputs = texts;
      if (flags.data !== undefined) {
        const ds = await loadDataset(flags.data, datasetOptions({ ...flags, data: flags.data }, { labelRequired: false }));
        // Only skipped rows matter here: repeated texts and rare labels are training concerns.
        warnAll(describeDatasetWarnings({ ...ds, rareLabels: [], duplicateTexts: [] }));
        inputs = ds.examples.map((e) => e.text);
      }

      let batch: string[] = [];
      for (const text of inputs) {
        if (loaded.kind === "spans") {
          const { spans, probability } = loaded.model.predict(text);
          batch.push(JSON.stringify({ text, spans, probability }));
        } else if (loaded.kind === "structured") {
          batch.push(JSON.stringify(structuredPredictionJson(text, loaded.model.predict(text))));
        } else if (loaded.kind === "multilabel") {
          const { labels, probability } = loaded.model.predict(text);
          batch.push(JSON.stringify({ text, labels, probability }));
        } else {
          const top = loaded.model.top(text, flags.top);
          const best = top[0];
          batch.push(JSON.stringify({ text, label: best.label, confidence: best.probability, top }));
        }
        if (batch.length >= BATCH) {
          process.stdout.write(`${batch.join("\n")}\n`);
          batch = [];
        }
      }
      if (batch.length > 0) process.stdout.write(`${batch.join("\n")}\n`);
    });
}
