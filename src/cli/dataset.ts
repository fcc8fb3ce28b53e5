// Loading a dataset for a command: loadDatasetFile, with bad-row failures reworded for the
// command line ("train.csv line 7: empty text") and the --on-bad-row flag named as the way out.
import { loadDatasetFile, type LoadDatasetOptions } from "../data/dataset-file.js";
import type { Dataset } from "../data/dataset.js";
import { DatasetError } from "../data/errors.js";
import { CliError } from "./errors.js";

/** How many further bad lines the message lists after the first. */
const MORE_LINES_SHOWN = 5;

export async function loadDataset(path: string, options: LoadDatasetOptions): Promise<Dataset> {
  try {
    return await loadDatasetFile(path, options);
  } catch (err) {
    throw explainDatasetError(path, err);
  }
}

/** A DatasetError with bad rows, reworded for the command line; anything else unchanged. */
export function explainDatasetError(path: string, err: unknown): unknown {
  {
    if (!(err instanceof DatasetError) || err.badRows.length === 0) return err;
    const [first, ...rest] = err.badRows;
    let more = "";
    if (rest.length > 0) {
      const lines = rest.slice(0, MORE_LINES_SHOWN).map((row) => row.line);
      const etc = rest.length > MORE_LINES_SHOWN ? ", …" : "";
      more = ` (and ${rest.length} more bad ${rest.length === 1 ? "row" : "rows"}: line ${lines.join(", ")}${etc})`;
    }
    // A header error cannot be skipped, so only row errors suggest --on-bad-row.
    const hint = first.reason.startsWith("header:") ? "" : "; fix the file or pass --on-bad-row skip to leave bad rows out";
    return new CliError(`${path} line ${first.line}: ${first.reason}${more}${hint}`, { cause: err });
  }
}
