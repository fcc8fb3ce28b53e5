// Reads a dataset file from disk (Node only). Its job is turning file-system and encoding
// failures into DatasetErrors a user can act on, instead of raw ENOENT or decoder stacks.
import { readFile } from "node:fs/promises";
import { extname, resolve } from "node:path";
import { readDataset, type Dataset, type DatasetFormat, type DatasetOptions } from "./dataset.js";
import { DatasetError } from "./errors.js";

export type LoadDatasetOptions = Omit<DatasetOptions, "format"> & { format?: DatasetFormat };

const FORMAT_BY_EXTENSION: Record<string, DatasetFormat> = { ".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl" };

/** Messages name the file as `path` was given (usually what the user typed) unless `source` is set. */
export async function loadDatasetFile(path: string, options: LoadDatasetOptions = {}): Promise<Dataset> {
  const format = options.format ?? formatFromExtension(path);
  const bytes = await readBytes(path);
  const content = decodeUtf8(bytes, path);
  return readDataset(content, { ...options, format, source: options.source ?? path });
}

export function formatFromExtension(path: string): DatasetFormat {
  const format = FORMAT_BY_EXTENSION[extname(path).toLowerCase()];
  if (format === undefined) {
    throw new DatasetError(
      `cannot tell the format of ${path} from its extension: use .csv, .jsonl or .ndjson, or set the format to "csv" or "jsonl"`,
    );
  }
  return format;
}

async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const shown = resolve(path) === path ? path : `${path} (${resolve(path)})`;
    if (code === "ENOENT") throw new DatasetError(`dataset file not found: ${shown}`, [], { cause: err });
    if (code === "EISDIR") throw new DatasetError(`${shown} is a directory, not a dataset file`, [], { cause: err });
    if (code === "EACCES" || code === "EPERM") {
      throw new DatasetError(`cannot read dataset file ${shown}: permission denied`, [], { cause: err });
    }
    const message = err instanceof Error ? err.message : String(err);
    throw new DatasetError(`cannot read dataset file ${shown}: ${message}`, [], { cause: err });
  }
}

function decodeUtf8(bytes: Uint8Array, path: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (err) {
    if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
      throw new DatasetError(`${path} is UTF-16 (it starts with a UTF-16 byte order mark); save it as UTF-8`, [], { cause: err });
    }
    const at = locateInvalidUtf8(bytes);
    const position = at === undefined ? "" : ` at line ${at.line} (byte offset ${at.offset}, byte 0x${at.byte.toString(16).padStart(2, "0")})`;
    throw new DatasetError(
      `${path} is not valid UTF-8: invalid byte sequence${position}; save the file as UTF-8`,
      [],
      { cause: err },
    );
  }
}

/**
 * Finds the first invalid sequence only after strict decoding has failed, so the cost is paid
 * on bad files alone. A lenient decode turns each invalid sequence into U+FFFD; a U+FFFD that
 * the file really contains is told apart by its bytes (EF BF BD) at that offset.
 */
function locateInvalidUtf8(bytes: Uint8Array): { line: number; offset: number; byte: number } | undefined {
  const text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes);
  let offset = 0;
  let from = 0;
  for (let k = text.indexOf("\uFFFD"); k !== -1; k = text.indexOf("\uFFFD", k + 1)) {
    offset += Buffer.byteLength(text.slice(from, k), "utf8");
    from = k;
    const genuine = bytes[offset] === 0xef && bytes[offset + 1] === 0xbf && bytes[offset + 2] === 0xbd;
    if (!genuine) {
      let line = 1;
      for (let i = text.indexOf("\n"); i !== -1 && i < k; i = text.indexOf("\n", i + 1)) line++;
      return { line, offset, byte: bytes[offset] };
    }
  }
  return undefined;
}
