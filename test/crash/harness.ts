// Shared machinery of the crash tests: the gateway as a child process (gateway-entry.ts) that the
// tests SIGKILL, the databases it runs on (a SQLite file, or a fresh PostgreSQL schema per test),
// and a small HTTP client.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { mulberry32 } from "../../src/engine/random.js";
import { openStore, type Store } from "../../src/store/index.js";
import { SqliteDatabase } from "../../src/store/sqlite-driver.js";

const ENTRY = fileURLToPath(new URL("./gateway-entry.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** See gateway-entry.ts. */
export interface PauseSpec {
  arm?: string;
  armCount?: number;
  match: string;
  nth?: number;
  when?: "before" | "after";
}

export interface GatewayEvent {
  event: string;
  url?: string;
  sql?: string;
}

export interface GatewayProcess {
  url: string;
  child: ChildProcess;
  /** Resolves with the nth (default first) such event, seen or to come; rejects if the process exits first or after `timeoutMs` (an upper bound). */
  waitFor(event: string, options?: { nth?: number; timeoutMs?: number }): Promise<GatewayEvent>;
  /** SIGKILL; resolves once the process is gone. */
  kill9(): Promise<void>;
  /** The process's stderr so far (for failure messages). */
  stderr(): string;
}

export interface SpawnOptions {
  pause?: PauseSpec;
  backgroundRetrain?: boolean;
}

interface Launched extends Omit<GatewayProcess, "url"> {
  start(line: string): void;
}

/** A gateway process loading its modules; it waits for its start line (see gateway-entry.ts). */
function launch(): Launched {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
  for (const name of ["DATABASE_URL", "CRASH_DB", "CRASH_PAUSE", "CRASH_BACKGROUND_RETRAIN"]) delete env[name];
  const child = spawn(process.execPath, ["--import", "tsx", ENTRY], { cwd: ROOT, env, stdio: ["pipe", "pipe", "pipe"] });
  const events: GatewayEvent[] = [];
  const waiters: { event: string; nth: number; resolve: (e: GatewayEvent) => void }[] = [];
  let stderr = "";
  let buffered = "";
  let exit: string | null = null;
  const exitListeners: (() => void)[] = [];
  child.stdin!.on("error", () => undefined);
  child.stderr!.setEncoding("utf8").on("data", (s: string) => (stderr += s));
  child.stdout!.setEncoding("utf8").on("data", (s: string) => {
    buffered += s;
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      let e: GatewayEvent;
      try {
        e = JSON.parse(line) as GatewayEvent;
      } catch {
        continue;
      }
      events.push(e);
      const count = events.filter((x) => x.event === e.event).length;
      for (const w of waiters.filter((w) => w.event === e.event && w.nth === count)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(e);
      }
    }
  });
  const exited = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      exit = `exited (code ${code}, signal ${signal})`;
      for (const l of exitListeners.splice(0)) l();
      resolve();
    }),
  );
  const waitFor = (event: string, { nth = 1, timeoutMs = 20_000 } = {}): Promise<GatewayEvent> => {
    const seen = events.filter((e) => e.event === event)[nth - 1];
    if (seen) return Promise.resolve(seen);
    return new Promise<GatewayEvent>((resolve, reject) => {
      const fail = (why: string) => {
        clearTimeout(timer);
        reject(new Error(`gateway ${why} before "${event}"; stderr:\n${stderr}`));
      };
      const timer = setTimeout(() => fail(`did not report in ${timeoutMs} ms`), timeoutMs);
      if (exit !== null) return fail(exit);
      exitListeners.push(() => fail(exit ?? "exited"));
      waiters.push({
        event,
        nth,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      });
    });
  };
  return {
    child,
    waitFor,
    start: (line) => child.stdin!.end(`${line}\n`),
    kill9: async () => {
      if (exit === null) child.kill("SIGKILL");
      await exited;
    },
    stderr: () => stderr,
  };
}

/** The next process, already loading its modules while the tests work. */
let spare: Launched | null = null;

/** Starts the gateway on `db` and resolves once it listens. */
export async function spawnGateway(db: string, options: SpawnOptions = {}): Promise<GatewayProcess> {
  const started = performance.now();
  const launched = spare ?? launch();
  spare = launch();
  try {
    await launched.waitFor("warm", { timeoutMs: 30_000 });
    launched.start(JSON.stringify({ db, pause: options.pause, backgroundRetrain: options.backgroundRetrain === true }));
    const url = (await launched.waitFor("listening", { timeoutMs: 30_000 })).url!;
    if (process.env.CRASH_DEBUG) console.log(`spawned in ${Math.round(performance.now() - started)} ms`);
    return { ...launched, url };
  } catch (err) {
    await launched.kill9();
    throw err;
  }
}

/** Stops the spare process (call once the tests of a file are done). */
export async function disposeSpare(): Promise<void> {
  const s = spare;
  spare = null;
  await s?.kill9();
}

export interface Database {
  /** What CRASH_DB gets. */
  url: string;
  open(): Promise<Store>;
  /** Throws unless the database is consistent (SQLite: PRAGMA integrity_check). */
  checkIntegrity(): Promise<void>;
  cleanup(): Promise<void>;
}

export interface Backend {
  name: "SQLite" | "PostgreSQL";
  fresh(): Promise<Database>;
  dispose(): Promise<void>;
}

export function sqliteBackend(): Backend {
  const dir = mkdtempSync(join(tmpdir(), "apprentice-crash-"));
  let n = 0;
  return {
    name: "SQLite",
    async fresh() {
      const path = join(dir, `gw-${++n}.db`);
      return {
        url: path,
        open: () => openStore(path),
        async checkIntegrity() {
          const raw = new SqliteDatabase(path);
          try {
            const rows = raw.pragma("integrity_check") as { integrity_check: string }[];
            if (rows.length !== 1 || rows[0].integrity_check !== "ok") throw new Error(`integrity_check: ${JSON.stringify(rows)}`);
            const fk = raw.pragma("foreign_key_check") as unknown[];
            if (fk.length > 0) throw new Error(`foreign_key_check: ${JSON.stringify(fk)}`);
          } finally {
            raw.close();
          }
        },
        async cleanup() {
          for (const suffix of ["", "-wal", "-shm"]) rmSync(path + suffix, { force: true });
        },
      };
    },
    async dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function postgresBackend(url: string): Backend {
  const admin = new pg.Pool({ connectionString: url, max: 1 });
  admin.on("error", () => undefined);
  const run = `apx_crash_${process.pid}_${randomBytes(3).toString("hex")}`;
  let n = 0;
  return {
    name: "PostgreSQL",
    async fresh() {
      const schema = `${run}_${++n}`;
      const withSchema = new URL(url);
      withSchema.searchParams.set("schema", schema);
      return {
        url: withSchema.toString(),
        open: () => openStore(url, { schema }),
        // The server's own recovery keeps it consistent; what the tests check is the rows.
        async checkIntegrity() {},
        async cleanup() {
          await admin.query(`drop schema if exists "${schema}" cascade`);
        },
      };
    },
    async dispose() {
      await admin.end();
    },
  };
}

export interface Reply {
  status: number;
  // Response bodies are arbitrary JSON, read field by field in the tests.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

/** One request with the admin key; `contentType` defaults to JSON. */
export async function call(url: string, key: string, method: string, path: string, body?: unknown, contentType = "application/json"): Promise<Reply> {
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  if (body !== undefined) headers["content-type"] = contentType;
  const res = await fetch(url + path, { method, headers, body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text === "" ? null : JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body: parsed };
}

/** A seeded PRNG for kill points (the engine's mulberry32); the tests print the seed. */
export const seededRandom = mulberry32;
