// kill -9 crash safety on SQLite (WAL): see crash-suite.ts.
import { afterAll } from "vitest";
import { crashSeed, crashSuite } from "./crash-suite.js";
import { disposeSpare, sqliteBackend } from "./harness.js";

const seed = crashSeed();
console.log(`crash tests on SQLite: seed ${seed} (CRASH_SEED=${seed} replays the kill points)`);
crashSuite(sqliteBackend(), seed);
afterAll(disposeSpare);
