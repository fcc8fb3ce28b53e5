// The benchmarks' server processes: bench/lib/server-child.ts forked with tsx, its URL and pid
// reported over IPC, and what the parent reads about it (RSS and CPU time from /proc, the live
// heap after a full collection over IPC).
import { fork, type ChildProcess } from "node:child_process";
import { openSync } from "node:fs";
import { join } from "node:path";
import { openStore } from "../../src/store/index.js";
import { REPO_ROOT } from "./banking77.js";
import { cpuMsOf, processTree, rssMbOf } from "./proc.js";

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

export interface Child {
  proc: ChildProcess;
  url: string;
  pid: number;
}

/** Forks the server entry and waits for the URL it sends once listening. */
export function startChild(args: string[], logPath = "/dev/null", extraExecArgv: string[] = []): Promise<Child> {
  // The child's stdout (the gateway's request log at `info`) goes to a file: the cost of producing
  // the log lines stays in the measurement, a terminal's cost to show them does not, and the
  // file tells what failed if anything did.
  const out = openSync(logPath, "w");
  const proc = fork(join(REPO_ROOT, "bench/lib/server-child.ts"), args, {
    execArgv: ["--import", "tsx", ...extraExecArgv],
    stdio: ["ignore", out, "inherit", "ipc"],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server child ${args[0]} did not start within 60 s`)), 60_000);
    proc.once("message", (m: { url: string; pid: number }) => {
      clearTimeout(timer);
      resolve({ proc, url: m.url, pid: m.pid });
    });
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server child ${args[0]} exited with code ${code} before listening`));
    });
  });
}

export async function stopChild(child: Child): Promise<void> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  const exited = new Promise((resolve) => child.proc.once("exit", resolve));
  child.proc.kill("SIGTERM");
  await exited;
}

/** The child's live heap after a full collection, in MB (the child runs with --expose-gc); a cluster's is its workers' sum. */
export function heapMb(child: Child): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the gateway did not report its heap within 30 s")), 30_000);
    const onMessage = (m: { type?: string; mb?: number }) => {
      if (m.type !== "heap" || typeof m.mb !== "number") return;
      clearTimeout(timer);
      child.proc.off("message", onMessage);
      resolve(m.mb);
    };
    child.proc.on("message", onMessage);
    child.proc.send({ type: "heap" });
  });
}

/** Resident set size of the process and its children (a cluster's workers) in MB, from /proc (Linux). */
export function rssMb(pid: number): number {
  return round(processTree(pid).reduce((sum, p) => sum + rssMbOf(p), 0), 1);
}

/**
 * CPU time (user + system) the process and its live children have used, in ms, from /proc
 * (Linux). Per request, it is far less sensitive than requests/s to other work competing for the
 * machine's cores. Workers must not change during a measurement (a dead one's time is lost).
 */
export function cpuMs(pid: number): number {
  return processTree(pid).reduce((sum, p) => sum + cpuMsOf(p), 0);
}

/** SIGKILL (no shutdown hooks, no flush); resolves once the process is gone. */
export async function killChild9(child: Child): Promise<void> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  const exited = new Promise((resolve) => child.proc.once("exit", resolve));
  child.proc.kill("SIGKILL");
  await exited;
}

/** Makes the gateway's store at `dbPath` with an admin and a predict key, before the gateway starts (as `apprentice keys create` would). */
export async function createBenchStore(dbPath: string): Promise<{ adminKey: string; predictKey: string }> {
  const store = await openStore(dbPath);
  try {
    return { adminKey: (await store.apiKeys.create("bench admin", "admin")).key, predictKey: (await store.apiKeys.create("bench predict", "predict")).key };
  } finally {
    await store.close();
  }
}
