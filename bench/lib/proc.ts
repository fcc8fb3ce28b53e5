// What Linux's /proc says about a process: its children, RSS and CPU time. For the benchmarks'
// server processes (which may be a cluster primary with workers) and the tests that check them.
import { readdirSync, readFileSync } from "node:fs";

/** The fields of /proc/PID/stat after the command name (which is in parentheses and may hold spaces): [0] state, [1] parent pid, [11] utime, [12] stime. */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** The live (not zombie) child processes of `pid`. */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const fields = statFields(Number(entry));
      if (Number(fields[1]) === pid && fields[0] !== "Z") out.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

/** The process and its children (a cluster primary and its workers). */
export function processTree(pid: number): number[] {
  return [pid, ...childPids(pid)];
}

/** Resident set size of a process in MB. */
export function rssMbOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (m === null) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) / 1024;
}

/** CPU time (user + system) a process has used, in ms. */
export function cpuMsOf(pid: number): number {
  const fields = statFields(pid);
  const ticksPerSecond = 100; // USER_HZ: 100 on Linux on every common architecture
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
}
