// The gateway as a real process for the crash tests (crash-suite.ts): startGateway with a simulated
// teacher that answers every topic text. Run with `node --import tsx`. It loads its modules, says
// "warm", and starts when a JSON line {"db", "pause"?, "backgroundRetrain"?} arrives on stdin (so the
// tests can load the next process while the current one works); with CRASH_DB set it starts at once.
//
// It prints one JSON line per event on stdout (written synchronously, so the test sees a line
// before the process does anything else):
//   {"event":"listening","url":"http://127.0.0.1:PORT"}
//   {"event":"paused","sql":"…"}     a statement matched CRASH_PAUSE (see below); the process is frozen
//   {"event":"train-running"}        a training job runs on a worker thread (a warm one, or a new one once online)
//   {"event":"train-done"}           … and the worker sent its model (or its error) back
//
// CRASH_PAUSE (optional, JSON): {"arm"?: REGEX, "armCount"?: N, "match": REGEX, "nth"?: N, "when"?: "before"|"after"}
// Once `arm` has matched N SQL statements (default: armed from the start), the nth statement
// matching `match` freezes the process (synchronously, inside the database call: a transaction
// stays open) before or after it runs, until the test kills it (or 30 s pass, an upper bound).
// The hook sits under Kysely, in better-sqlite3's prepare and node-postgres' Client.query, so the
// gateway's own code runs unchanged.
import { writeSync } from "node:fs";
import { createRequire, syncBuiltinESMExports } from "node:module";
import type BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { SqliteDatabase } from "../../src/store/sqlite-driver.js";
import { LABELS } from "../cascade/fixtures.js";
import { topicOf } from "./topics.js";

const require = createRequire(import.meta.url);

function emit(event: Record<string, unknown>): void {
  writeSync(1, `${JSON.stringify(event)}\n`);
}

interface PauseSpec {
  arm?: string;
  armCount?: number;
  match: string;
  nth?: number;
  when?: "before" | "after";
}

let spec: PauseSpec | null = null;
let armRe: RegExp | null = null;
let matchRe: RegExp | null = null;
let armSeen = 0;
/** The connection that armed the hook: only its statements count then (a pool has several). */
let armedOn: object | null = null;
let matchSeen = 0;
let fired = false;

function freeze(sql: string): void {
  emit({ event: "paused", sql: sql.slice(0, 80) });
  // Frozen in the middle of the database call: the test SIGKILLs the process now.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 30_000);
}

/** Called before every SQL statement on connection `conn`; returns whether to freeze after it. */
function beforeStatement(conn: object, sql: string): boolean {
  if (spec === null || matchRe === null || fired) return false;
  if (armRe !== null && armedOn === null) {
    if (armRe.test(sql) && ++armSeen >= (spec.armCount ?? 1)) armedOn = conn;
    return false;
  }
  if (armedOn !== null && conn !== armedOn) return false;
  if (!matchRe.test(sql) || ++matchSeen < (spec.nth ?? 1)) return false;
  fired = true;
  if (spec.when === "after") return true;
  freeze(sql);
  return false;
}

// better-sqlite3: wrap the statements the store prepares (it caches them, so each call is hooked).
type Statement = BetterSqlite3.Statement<unknown[]>;
const prepare = SqliteDatabase.prototype.prepare;
SqliteDatabase.prototype.prepare = function (this: BetterSqlite3.Database, source: string) {
  const statement = prepare.call(this, source) as Statement;
  const around =
    <A extends unknown[], R>(fn: (...args: A) => R) =>
    (...args: A): R => {
      const after = beforeStatement(this, source);
      const result = fn.apply(statement, args);
      if (after) freeze(source);
      return result;
    };
  return {
    get reader() {
      return statement.reader;
    },
    all: around(statement.all),
    run: around(statement.run),
    get: around(statement.get),
    iterate: around(statement.iterate),
  } as unknown as Statement;
} as typeof prepare;

// node-postgres: Kysely calls client.query(sql, parameters) and awaits the promise.
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  const text = typeof args[0] === "string" ? args[0] : ((args[0] as { text?: string } | null)?.text ?? "");
  const after = beforeStatement(this, text);
  const result = (query as (...a: unknown[]) => unknown).apply(this, args);
  if (after && result instanceof Promise) {
    return result.then((value: unknown) => {
      freeze(text);
      return value;
    });
  }
  return result;
} as typeof query;

// Training jobs: announce each one as it starts running and when it is answered (train-worker.ts
// imports Worker from node:worker_threads; a worker is kept for the next job, so a job may start
// on a new thread, once it is online, or on a warm one at once).
const workerThreads = require("node:worker_threads") as typeof import("node:worker_threads");
const OriginalWorker = workerThreads.Worker;
const isTrainingJob = (m: unknown) => typeof m === "object" && m !== null && "examples" in m;
const isTrainingOutcome = (m: unknown) => typeof m === "object" && m !== null && "ok" in m;
workerThreads.Worker = class extends OriginalWorker {
  #online = false;
  #waiting = 0;
  constructor(...args: ConstructorParameters<typeof OriginalWorker>) {
    super(...args);
    this.once("online", () => {
      this.#online = true;
      for (; this.#waiting > 0; this.#waiting--) emit({ event: "train-running" });
    });
    this.on("message", (m: unknown) => {
      if (isTrainingOutcome(m)) emit({ event: "train-done" });
    });
  }

  override postMessage(...args: Parameters<InstanceType<typeof OriginalWorker>["postMessage"]>): void {
    if (isTrainingJob(args[0])) {
      if (this.#online) emit({ event: "train-running" });
      else this.#waiting++;
    }
    super.postMessage(...args);
  }
};
syncBuiltinESMExports();

// Imported after the patches (the gateway's modules bind Worker when they load).
const { startGateway } = await import("../../src/server/start.js");
const { SimulatedTeacher } = await import("../../src/teacher/index.js");
const { GOLD } = await import("../server/helpers.js");

/** What the test sends on stdin (or, run by hand, CRASH_DB / CRASH_PAUSE / CRASH_BACKGROUND_RETRAIN). */
interface Start {
  db: string;
  pause?: PauseSpec;
  backgroundRetrain?: boolean;
}

async function readStart(): Promise<Start> {
  if (process.env.CRASH_DB) {
    const pause = process.env.CRASH_PAUSE ? (JSON.parse(process.env.CRASH_PAUSE) as PauseSpec) : undefined;
    return { db: process.env.CRASH_DB, pause, backgroundRetrain: process.env.CRASH_BACKGROUND_RETRAIN === "1" };
  }
  // Warm: the modules are loaded; the test starts it when it needs a gateway (a restart then
  // costs no module loading). Without a start line (the test went away) it exits.
  emit({ event: "warm" });
  let input = "";
  process.stdin.setEncoding("utf8");
  for await (const chunk of process.stdin) {
    input += chunk as string;
    const nl = input.indexOf("\n");
    if (nl >= 0) {
      process.stdin.pause();
      return JSON.parse(input.slice(0, nl)) as Start;
    }
  }
  process.exit(0);
}

const start = await readStart();
if (start.pause) {
  spec = start.pause;
  armRe = spec.arm === undefined ? null : new RegExp(spec.arm, "i");
  matchRe = new RegExp(spec.match, "i");
}
const teacher = new SimulatedTeacher({ labels: LABELS, gold: GOLD, accuracy: 1, seed: 1, otherwise: topicOf });
const gateway = await startGateway({
  db: start.db,
  host: "127.0.0.1",
  port: 0,
  logger: { level: "warn" },
  handleSignals: true,
  simulatedTeacher: () => teacher,
  backgroundRetrain: start.backgroundRetrain === true,
  rateLimit: false,
});
emit({ event: "listening", url: gateway.url });
