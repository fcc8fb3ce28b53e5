// apprentice train: labeled examples in, model file out.
import { Option, type Command } from "commander";
import { describeDatasetWarnings } from "../../data/dataset-report.js";
import { loadDataset } from "../dataset.js";
import { encodeMultiLabelModel } from "../../engine/multilabel-model-file.js";
import { encodeSpanModel } from "../../engine/span-model-file.js";
import { UsageError } from "../errors.js";
import { saveModelBytes, saveModelFile } from "../model-io.js";
import { loadMultiLabelDataset, multiLabelTrainingSummaryLines, trainMultiLabel } from "../multilabel.js";
import { detectDataKind, loadSpanDataset, spanTrainingSummaryLines, trainSpans, type DataKind } from "../spans.js";
import {
  datasetOptions,
  spanFormatOption,
  integer,
  labelColumnOption,
  onBadRowOption,
  positiveInt,
  textColumnOption,
  type DatasetFlags,
} from "../options.js";
import { printLines, warnAll } from "../output.js";
import { trainOnDataset, trainingSummaryLines } from "../training.js";

type TrainFlags = Omit<DatasetFlags, "format"> & { format?: string; kind?: DataKind; out: string; seed?: number; epochs?: number; quantize?: boolean };

export function registerTrain(program: Command): void {
  program
    .command("train")
    .description("train a specialist on labeled examples and write the model file")
    .requiredOption("--data <file>", "training examples (.csv, .jsonl, .ndjson, or .conll for token<TAB>tag span data)")
    .addOption(
      new Option("--kind <kind>", "model kind (default: from the data: a `spans` field or CoNLL → spans, a `labels` array → multilabel, else label)").choices([
        "spans",
        "multilabel",
        "label",
      ]),
    )
    .addOption(textColumnOption())
    .addOption(labelColumnOption())
    .requiredOption("--out <model>", "where to write the model file (written atomically)")
    .addOption(new Option("--seed <n>", "random seed for the validation split and SGD (default: 1)").argParser(integer))
    .addOption(onBadRowOption())
    .option("--quantize", "store weights as int8 (about 4× smaller, near-identical predictions)")
    .addOption(spanFormatOption())
    .addOption(new Option("--epochs <n>", "maximum training epochs; early stopping may end sooner (default: 30)").argParser(positiveInt))
    .action(async (flags: TrainFlags) => {
      const kind = flags.kind ?? (await detectDataKind(flags.data, flags.format));
      const quantizeAs = flags.quantize ? "int8" : "none";
      if (kind === "multilabel") {
        const ds = await loadMultiLabelDataset(flags.data, flags);
        const model = trainMultiLabel(ds, { seed: flags.seed, epochs: flags.epochs });
        const size = await saveModelBytes(flags.out, encodeMultiLabelModel(model, { quantize: quantizeAs }));
        printLines(multiLabelTrainingSummaryLines(model, { path: flags.out, bytes: size, quantize: quantizeAs }));
        return;
      }
      if (kind === "spans") {
        const spans = await loadSpanDataset(flags.data, flags);
        const model = trainSpans(spans, { seed: flags.seed, epochs: flags.epochs });
        const size = await saveModelBytes(flags.out, encodeSpanModel(model, { quantize: quantizeAs }));
        printLines(spanTrainingSummaryLines(model, { path: flags.out, bytes: size, quantize: quantizeAs }));
        return;
      }
      if (flags.format === "conll") throw new UsageError("--format conll holds span data: use --kind spans");
      const ds = await loadDataset(flags.data, datasetOptions(flags as DatasetFlags));
      warnAll(describeDatasetWarnings(ds));
      const model = trainOnDataset(ds, { seed: flags.seed, epochs: flags.epochs });
      const quantize = flags.quantize ? "int8" : "none";
      const size = await saveModelFile(flags.out, model, { quantize });
      printLines(trainingSummaryLines(model, { path: flags.out, bytes: size, quantize }));
    });
}
