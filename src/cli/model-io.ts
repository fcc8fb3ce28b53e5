// Model files on disk (Node only). Saving is atomic: the bytes go to a temporary file in the same
// directory, which is then renamed over the target, so a crash or a full disk never leaves a
// half-written model where a good one was.
import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { TextClassifier } from "../engine/classifier.js";
import { modelKindOf } from "../engine/model-container.js";
import { decodeModel, encodeModel, type Quantization } from "../engine/model-file.js";
import type { MultiLabelClassifier } from "../engine/multilabel-classifier.js";
import { decodeMultiLabelModel } from "../engine/multilabel-model-file.js";
import type { SpanExtractor } from "../engine/span-extractor.js";
import { decodeSpanModel } from "../engine/span-model-file.js";
import { decodeStructuredModel } from "../engine/structured-model-file.js";
import type { StructuredSpecialist } from "../engine/structured-specialist.js";
import { CliError } from "./errors.js";

export type SaveModelOptions = { quantize?: Quantization };

/** Writes the model to `path` atomically, creating its directory; returns the file size in bytes. */
export async function saveModelFile(path: string, model: TextClassifier, options: SaveModelOptions = {}): Promise<number> {
  return saveModelBytes(path, encodeModel(model, { quantize: options.quantize ?? "none" }));
}

/** Writes encoded model bytes (of any kind) to `path` atomically; returns their size. */
export async function saveModelBytes(path: string, bytes: Uint8Array): Promise<number> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    await mkdir(dir, { recursive: true });
    const handle = await open(temp, "wx");
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true }).catch(() => {});
    throw new CliError(`cannot write model file ${path}: ${fsReason(err)}`, { cause: err });
  }
  return bytes.length;
}

/** Reads and decodes a model file; errors name the file and say what is wrong with it. */
export async function loadModelFile(path: string): Promise<TextClassifier> {
  return decodeOrExplain(path, await readModelBytes(path), decodeModel);
}

export type AnyModel =
  | { kind: "label"; model: TextClassifier }
  | { kind: "spans"; model: SpanExtractor }
  | { kind: "multilabel"; model: MultiLabelClassifier }
  | { kind: "structured"; model: StructuredSpecialist };

/** Reads a model file of any kind the CLI handles, chosen by the kind its header declares. */
export async function loadAnyModel(path: string): Promise<AnyModel> {
  const bytes = await readModelBytes(path);
  // A file that is no model, or a corrupt one, is refused here with the decoders' own messages.
  const kind = decodeOrExplain(path, bytes, modelKindOf);
  if (kind === "spans") return { kind, model: decodeOrExplain(path, bytes, decodeSpanModel) };
  if (kind === "multilabel") return { kind, model: decodeOrExplain(path, bytes, decodeMultiLabelModel) };
  if (kind === "structured") return { kind, model: decodeOrExplain(path, bytes, decodeStructuredModel) };
  return { kind: "label", model: decodeOrExplain(path, bytes, decodeModel) };
}

function decodeOrExplain<T>(path: string, bytes: Uint8Array, decode: (b: Uint8Array) => T): T {
  try {
    return decode(bytes);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new CliError(`cannot load model ${path}: ${reason}`, { cause: err });
  }
}

async function readModelBytes(path: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new CliError(`model file not found: ${path}`, { cause: err });
    if (code === "EISDIR") throw new CliError(`${path} is a directory, not a model file`, { cause: err });
    throw new CliError(`cannot read model file ${path}: ${fsReason(err)}`, { cause: err });
  }
  return bytes;
}

function fsReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "ENOSPC") return "no space left on the device";
  if (code === "ENOTDIR") return "a part of the path is not a directory";
  if (code === "EISDIR") return "it is a directory";
  return err instanceof Error ? err.message : String(err);
}
