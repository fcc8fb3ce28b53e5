// Where the benchmarks find Banking77: `--data-dir DIR`, else ../shared/datasets/banking77 next to
// the repository. The project never ships it; see bench/README.md for where to get it.
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadDatasetFile } from "../../src/data/dataset-file.js";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/**
 * A positive number flag (`--duration 60`), or `fallback` when absent. `zero` also accepts 0,
 * for flags where it means "off" (`--capture-rate 0`: not paced).
 */
export function numberFlag(name: string, fallback: number, { zero = false } = {}): number {
  const v = argValue(name);
  const n = v === undefined ? fallback : Number(v);
  if (!Number.isFinite(n) || n < 0 || (n === 0 && !zero)) throw new Error(`${name} must be a ${zero ? "non-negative" : "positive"} number, got ${v}`);
  return n;
}

export function banking77Dir(): string {
  const dir = resolve(argValue("--data-dir") ?? join(REPO_ROOT, "../shared/datasets/banking77"));
  for (const f of ["train.csv", "test.csv"]) {
    if (!existsSync(join(dir, f))) {
      throw new Error(`Banking77 not found: ${join(dir, f)} is missing. Pass --data-dir DIR (a folder with train.csv and test.csv, columns text,category).`);
    }
  }
  return dir;
}

export interface LabeledText {
  text: string;
  label: string;
}

export async function loadBanking77(dir = banking77Dir()): Promise<{ dir: string; train: LabeledText[]; test: LabeledText[] }> {
  const load = async (name: string) => {
    const ds = await loadDatasetFile(join(dir, name), { textColumn: "text", labelColumn: "category" });
    return ds.examples.map((e) => ({ text: e.text, label: e.label! }));
  };
  return { dir, train: await load("train.csv"), test: await load("test.csv") };
}
