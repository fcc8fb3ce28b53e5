// Which build of better-sqlite3 the store loads, by Node line.
//
// better-sqlite3 12 wraps its Database and Statement objects in node::ObjectWrap, a header that is
// compiled into the addon. From Node 24.19 that header's destructor removes an environment cleanup
// hook and asserts that a Node environment is current; the destructor runs from V8's weak
// callback when the garbage collector frees a statement or a database nobody references, where no
// environment is current. So on Node 24 the first collected statement aborts the process
// (`Assertion failed: (env) != nullptr` in node::RemoveEnvironmentCleanupHook), on the main
// thread as in worker threads: closing statements first does not help, the wrapper object is
// still freed by the collector (nodejs/node#65446, open). better-sqlite3 13 is built on Node-API,
// which has no such destructor, and ships prebuilt binaries for every Node from 22 on; on Node 20
// it crashes (segmentation fault) as soon as it is loaded. Hence both, under two names
// (package.json): 13 as `better-sqlite3`, 12 as `better-sqlite3-node20`, loaded only on Node 20.
import { createRequire } from "node:module";
import type BetterSqlite3 from "better-sqlite3";

/** The first Node major whose better-sqlite3 is the Node-API build (13). */
const NODE_API_BUILD_FROM_MAJOR = 22;

/** The package name of the better-sqlite3 build for the Node major `major`. */
export function sqliteDriverPackage(major: number): string {
  return major >= NODE_API_BUILD_FROM_MAJOR ? "better-sqlite3" : "better-sqlite3-node20";
}

const require = createRequire(import.meta.url);

/**
 * The resolved path of the build this process uses: worker threads load it by path (an eval'd
 * worker resolves bare names from the working directory, not from this repository).
 */
export const sqliteDriverPath = require.resolve(sqliteDriverPackage(Number(process.versions.node.split(".")[0])));

/**
 * better-sqlite3's Database class from the build this Node line needs. Both builds have the same
 * API, so the types are better-sqlite3's (import them with `import type … from "better-sqlite3"`).
 */
export const SqliteDatabase = require(sqliteDriverPath) as typeof BetterSqlite3;
