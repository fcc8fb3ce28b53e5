// apprentice train: labeled examples in, model file out.
import { Option, type Command } from "commander";
import { describeDatasetWarnings } from "../../data/dataset-report.js";
import { loadDataset } from "../dataset.js";
import { encodeMultiLabelModel } from "../../engine/multilabel-model-file.js";
import { encodeSpanModel } from "../../engine/span-model-file.js";
import { encodeStructuredModel } from "../../engine/structured-model-file.js";
import { teacherOnlyNotices } from "../../task/output-fields.js";
import { outputFields } from "../../task/structured.js";
import { CliError, UsageError } from "../errors.js";
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
import { loadObjects, loadStructuredTask, refuseLabelFlags, structuredTrainingSummaryLines, trainStructured } from "../structured.js";
import { trainOnDataset, trainingSummaryLines } from "../training.js";

type TrainFlags = Omit<DatasetFlags, "format"> & { format?: string; kind?: DataKind; task?: string; out: string; seed?: number; epochs?: number; quantize?: boolean };

export function registerTrain(program: Command): void {
  program
    .command("train")
    .description("train a specialist on labeled examples (or, with --task, gold objects of a structured task) and write the model file")
    .requiredOption("--data <file>", 'training examples (.csv, .jsonl, .ndjson, or .conll for token<TAB>tag span data; with --task, JSONL lines {"text", "output": {…}})')
    .option("--task <file>", "a structured task's definition (.json, .yaml or .yml, with an output block): train its specialist, one model per field kind")
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
      const quantizeAs = flags.quantize ? "int8" : "none";
      if (flags.task !== undefined) {
        await trainStructuredTask(flags.task, flags, quantizeAs);
        return;
      }
      const kind = flags.kind ?? (await detectDataKind(flags.data, flags.format));
      if (kind === "structured") throw new UsageError(`${flags.data} holds gold objects ("output"): pass --task FILE, the structured task whose output block they answer`);
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

/** `train --task`: a structured specialist from gold objects; nothing is written unless all of it checks out. */
async function trainStructuredTask(taskPath: string, flags: TrainFlags, quantize: "int8" | "none"): Promise<void> {
  const task = await loadStructuredTask(taskPath, "--task is for structured tasks (a label model is trained from --data alone)");
  refuseLabelFlags(flags);
  const fields = outputFields(task);
  warnAll(teacherOnlyNotices(fields));
  if (fields.every((f) => f.kind === "teacher_only")) throw new CliError(`task file ${taskPath}: every field is teacher-only, so there is nothing for a specialist to learn`);
  const records = (await loadObjects(flags.data, fields, flags)).examples;
  const { model, seconds } = trainStructured(fields, records, { seed: flags.seed ?? task.training.seed, epochs: flags.epochs, source: flags.data });
  const size = await saveModelBytes(flags.out, encodeStructuredModel(model, { quantize }));
  printLines(structuredTrainingSummaryLines(model, records.length, seconds, { path: flags.out, bytes: size, quantize }));
}
