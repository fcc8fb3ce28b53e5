import { spawn } from "node:child_process";
import { hostname } from "node:os";
import { describe, expect, it } from "vitest";
import { endedOnThisHost, newInstanceId } from "../../src/server/instance-id.js";

describe("gateway instance names in retrain leases", () => {
  it("tells a process on this host that has ended from one that runs, and never guesses about another host", async () => {
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 30000)"]);
    const pid = child.pid!;
    const running = `${hostname()}/${pid}/0123abcd`;
    expect(endedOnThisHost(running)).toBe(false);
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
    expect(endedOnThisHost(running)).toBe(true);

    expect(endedOnThisHost(`another-host-${hostname()}/${pid}/0123abcd`)).toBe(false);
    expect(endedOnThisHost("instance-elsewhere")).toBe(false);
    // This process's pid: its own live names are not ended; any other name with it is an earlier
    // process that had the same pid (a restarted container).
    const mine = newInstanceId();
    expect(mine).toMatch(new RegExp(`^${hostname().replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/${process.pid}/[0-9a-f]{8}$`));
    expect(endedOnThisHost(mine)).toBe(false);
    const otherNonce = mine.endsWith("00000000") ? "00000001" : "00000000";
    expect(endedOnThisHost(`${hostname()}/${process.pid}/${otherNonce}`)).toBe(true);
  });
});
