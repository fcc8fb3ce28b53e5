// A SQLite store in a temporary directory for the tests of one file: opened before them, closed
// and removed after them.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { openStore, type Store } from "../../src/store/index.js";

/** Registers the hooks; the returned function gives the store once the tests run. */
export function useTempStore(prefix: string): () => Store {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  let store: Store | undefined;
  beforeAll(async () => {
    store = await openStore(join(dir, "store.db"));
  });
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    if (store === undefined) throw new Error("the temporary store opens before the tests run");
    return store;
  };
}
