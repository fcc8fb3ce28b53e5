// apprentice train: labeled examples in, model file out.
import { Option, type Command } from "commander";
import { describeDatasetWarnings } from "../../data/dataset-report.js";
import { loadDataset } from "../dataset.js";
import { saveModelFile } from "../model-io.js";
import {
  datasetOptions,
  formatOption,
  integer,
  labelColumnOption,
  onBadRowOption,
  positiveInt,
  textColumnOption,
  type DatasetFlags,
} from "../options.js";
import { printLines, warnAll } from "../output.js";
import { trainOnDataset, trainingSummaryLines } from "../training.js";

type TrainFlags = DatasetFlags & { out: string; seed?: number; epochs?: number; quantize?: boolean };

export function registerTrain(program: Command): void {
  program
    .command("train")
    .description("train a specialist on labeled examples and write the model file")
    .requiredOption("--data <file>", "training examples (.csv, .jsonl or .ndjson)")
    .addOption(textColumnOption())
    .addOption(labelColumnOption())
    .requiredOption("--out <model>", "where to write the model file (written atomically)")
    .addOption(new Option("--seed <n>", "random seed for the validation split and SGD (default: 1)").argParser(integer))
    .addOption(onBadRowOption())
    .option("--quantize", "store weights as int8 (about 4× smaller, near-identical predictions)")
    .addOption(formatOption())
    .addOption(new Option("--epochs <n>", "maximum training epochs; early stopping may end sooner (default: 30)").argParser(positiveInt))
    .action(async (flags: TrainFlags) => {
      const ds = await loadDataset(flags.data, datasetOptions(flags));
      warnAll(describeDatasetWarnings(ds));
      const model = trainOnDataset(ds, { seed: flags.seed, epochs: flags.epochs });
      const quantize = flags.quantize ? "int8" : "none";
      const size = await saveModelFile(flags.out, model, { quantize });
      printLines(trainingSummaryLines(model, { path: flags.out, bytes: size, quantize }));
    });
}
