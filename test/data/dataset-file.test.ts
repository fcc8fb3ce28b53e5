import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadDatasetFile } from "../../src/data/dataset-file.js";
import { DatasetError } from "../../src/data/errors.js";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "apprentice-data-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, content: string | Uint8Array): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

async function rejection(promise: Promise<unknown>): Promise<DatasetError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DatasetError);
  return err as DatasetError;
}

describe("loadDatasetFile", () => {
  it("reads CSV with a BOM, naming the file in bad-row messages", async () => {
    const path = await file("train.csv", "\uFEFFtext,label\r\nhello,greet\r\n,greet\r\n");
    const err = await rejection(loadDatasetFile(path));
    expect(err.message).toContain(`${path} line 3: empty text`);

    const ds = await loadDatasetFile(path, { onBadRow: "skip" });
    expect(ds.examples).toEqual([{ text: "hello", label: "greet", line: 2 }]);
    expect(ds.source).toBe(path);
  });

  it("chooses JSONL for .jsonl and .ndjson, ignoring the extension's case", async () => {
    const line = '{"text":"hi","intent":"greet"}\n';
    for (const name of ["a.jsonl", "b.NDJSON"]) {
      const ds = await loadDatasetFile(await file(name, line));
      expect(ds.examples).toEqual([{ text: "hi", label: "greet", line: 1 }]);
    }
  });

  it("needs an explicit format for other extensions", async () => {
    const path = await file("data.txt", "text,label\nhi,greet\n");
    const err = await rejection(loadDatasetFile(path));
    expect(err.message).toMatch(/cannot tell the format.*\.csv, \.jsonl or \.ndjson/);

    const ds = await loadDatasetFile(path, { format: "csv", source: "data" });
    expect(ds.examples).toHaveLength(1);
    expect(ds.source).toBe("data");
  });

  it("reports a missing file by path, keeping the system error as the cause", async () => {
    const path = join(dir, "nope.csv");
    const err = await rejection(loadDatasetFile(path));
    expect(err.message).toBe(`dataset file not found: ${path}`);
    expect((err.cause as NodeJS.ErrnoException).code).toBe("ENOENT");
  });

  it("reports a directory given as a file", async () => {
    const err = await rejection(loadDatasetFile(dir, { format: "csv" }));
    expect(err.message).toContain("is a directory");
  });

  it("reports invalid UTF-8 with the line and byte offset of the first bad byte", async () => {
    const head = new TextEncoder().encode("text,label\nh\uFFFDllo,a\ncaf");
    const bytes = new Uint8Array([...head, 0xe9, ...new TextEncoder().encode(",b\n")]);
    const path = await file("latin1.csv", bytes);
    const err = await rejection(loadDatasetFile(path));
    // The genuine U+FFFD on line 2 is valid UTF-8 and must not be mistaken for the bad byte.
    expect(err.message).toBe(
      `${path} is not valid UTF-8: invalid byte sequence at line 3 (byte offset ${head.length}, byte 0xe9); save the file as UTF-8`,
    );
  });

  it("recognises UTF-16 files", async () => {
    const path = await file("wide.csv", new Uint8Array([0xff, 0xfe, 0x74, 0x00, 0x65, 0x00]));
    expect((await rejection(loadDatasetFile(path))).message).toMatch(/UTF-16.*save it as UTF-8/);
  });
});
