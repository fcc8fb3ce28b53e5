// A gateway instance's name in the store's retrain leases: "host/pid/nonce". A lease lapses by
// itself a minute after its holder stops renewing it; the name lets a gateway restarted on the
// same host take over at once the lease of a process there that has ended (killed mid-retrain),
// instead of refusing retrains until the lease lapses.
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";

/** The names handed out in this process and not yet known to have ended. */
const live = new Set<string>();

export function newInstanceId(): string {
  const id = `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
  live.add(id);
  return id;
}

/**
 * Whether `owner` names an instance in a process on this host that has ended. False when unsure
 * (another host, or a process with that pid is running): the lease then lapses by itself.
 */
export function endedOnThisHost(owner: string): boolean {
  const m = /^(.+)\/(\d+)\/[0-9a-f]{8}$/.exec(owner);
  if (m === null || m[1] !== hostname()) return false;
  const pid = Number(m[2]);
  // This very pid: an earlier process that had it (a restarted container), unless the name is ours.
  if (pid === process.pid) return !live.has(owner);
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}
