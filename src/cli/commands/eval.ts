// apprentice eval: a model's accuracy, calibration and speed on labeled examples.
import type { Command } from "commander";
import { UsageError } from "../errors.js";
import { describeDatasetWarnings } from "../../data/dataset-report.js";
import { loadDataset } from "../dataset.js";
import { evaluateModel, evaluationJson, evaluationReportLines } from "../evaluation.js";
import { loadAnyModel } from "../model-io.js";
import { evaluateMultiLabelModel, loadMultiLabelDataset, multiLabelEvaluationLines } from "../multilabel.js";
import { evaluateSpanModel, loadSpanDataset, spanEvaluationLines } from "../spans.js";
import { datasetOptions, spanFormatOption, labelColumnOption, onBadRowOption, textColumnOption, type DatasetFlags } from "../options.js";
import { printLines, warn, warnAll } from "../output.js";
import { evaluateStructuredModel, fieldsForModel, loadObjects, refuseLabelFlags, structuredEvaluationLines } from "../structured.js";

type EvalFlags = Omit<DatasetFlags, "format"> & { format?: string; model: string; task?: string; json?: boolean };

export function registerEval(program: Command): void {
  program
    .command("eval")
    .description("evaluate a model on labeled examples")
    .requiredOption("--model <model>", "model file written by `apprentice train`")
    .requiredOption("--data <file>", 'labeled test examples (.csv, .jsonl or .ndjson); for a structured model, JSONL lines {"text", "output": {…}}')
    .option("--task <file>", "structured models only: read the gold objects with this task's fields (it must match the model; default: the model's own fields, each required)")
    .addOption(textColumnOption())
    .addOption(labelColumnOption())
    .option("--json", "print one JSON object instead of the report")
    .addOption(onBadRowOption())
    .addOption(spanFormatOption())
    .action(async (flags: EvalFlags) => {
      const loaded = await loadAnyModel(flags.model);
      if (loaded.kind !== "structured" && flags.task !== undefined) throw new UsageError(`--task applies to structured models only: ${flags.model} is a ${loaded.kind} model`);
      if (loaded.kind === "structured") {
        refuseLabelFlags(flags, "a structured model");
        const ds = await loadObjects(flags.data, await fieldsForModel(loaded.model, flags.task), flags);
        const result = evaluateStructuredModel(loaded.model, ds.examples);
        const fields = loaded.model.fields.map((f) => f.name);
        if (flags.json) process.stdout.write(`${JSON.stringify({ model: flags.model, data: flags.data, kind: "structured", fields, skipped_rows: ds.badRows.length, ...result })}\n`);
        else printLines(structuredEvaluationLines(result, `Evaluation of ${flags.model} on ${flags.data}`));
        return;
      }
      if (loaded.kind === "spans") {
        const spans = await loadSpanDataset(flags.data, flags);
        const result = evaluateSpanModel(loaded.model, spans);
        if (flags.json) process.stdout.write(`${JSON.stringify({ model: flags.model, data: flags.data, kind: "spans", skipped_rows: spans.badRows.length, ...result })}\n`);
        else printLines(spanEvaluationLines(result, `Evaluation of ${flags.model} on ${flags.data}`));
        return;
      }
      if (loaded.kind === "multilabel") {
        const ds = await loadMultiLabelDataset(flags.data, flags);
        const result = evaluateMultiLabelModel(loaded.model, ds);
        if (flags.json) process.stdout.write(`${JSON.stringify({ model: flags.model, data: flags.data, kind: "multilabel", skipped_rows: ds.badRows.length, ...result })}\n`);
        else printLines(multiLabelEvaluationLines(result, `Evaluation of ${flags.model} on ${flags.data}`));
        return;
      }
      const model = loaded.model;
      const ds = await loadDataset(flags.data, datasetOptions(flags as DatasetFlags));
      warnAll(describeDatasetWarnings(ds));
      const result = evaluateModel(model, ds.examples);
      if (result.unknownLabels.length > 0) {
        const names = result.unknownLabels.map((l) => JSON.stringify(l)).join(", ");
        warn(`${flags.data} has labels the model was not trained on, so it can never predict them: ${names}`);
      }
      if (flags.json) {
        const json = evaluationJson(result, { model: flags.model, data: flags.data, skipped_rows: ds.badRows.length });
        process.stdout.write(`${JSON.stringify(json)}\n`);
      } else {
        printLines(evaluationReportLines(result, `Evaluation of ${flags.model} on ${flags.data}`));
      }
    });
}
