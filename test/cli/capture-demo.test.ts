// demo --capture end to end, in-process: the app's calls through the gateway to the simulated
// LLM found a task, shadow mode measures it, the admin's switch makes the specialist answer.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { captureSummary, captureTraffic, replayCapturedCalls, startCaptureDemo, type CaptureDemo } from "../../src/cli/demo/capture-demo.js";

let dir: string;
let demo: CaptureDemo | null = null;

afterAll(async () => {
  await demo?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("apprentice demo --capture", () => {
  it("captures the app's calls, measures them in shadow mode, and serves most of the later ones once switched", async () => {
    dir = await mkdtemp(join(tmpdir(), "apprentice-capture-demo-"));
    demo = await startCaptureDemo({ port: 0, host: "127.0.0.1", db: join(dir, "demo.db"), handleSignals: false });
    const lines: string[] = [];
    const r = await replayCapturedCalls(demo, (line) => lines.push(line));
    const all = captureTraffic(demo.data).length;
    expect(r.shadow.calls + r.serve.calls).toBe(all);
    // Shadow mode answers nothing itself; every reply is the LLM's, so every reply is right.
    expect(r.shadow.specialist).toBe(0);
    expect(r.shadow.correct).toBe(r.shadow.calls);
    // At the switch, shadow mode had proven a bound for the live version.
    const atSwitch = r.atSwitch!.shadow_live_version ?? r.atSwitch!.shadow;
    expect(atSwitch.would_answer).toBeGreaterThan(0);
    expect(atSwitch.disagreement_bound).not.toBeNull();
    expect(r.task!.capture.mode).toBe("serve");
    // Served: the specialist takes a good share, and the replies stay about as right as the bound allows.
    expect(r.serve.specialist / r.serve.calls).toBeGreaterThan(0.4);
    const wrong = r.serve.calls - r.serve.correct;
    expect(wrong / r.serve.specialist).toBeLessThanOrEqual(0.15);
    // The LLM was asked for every call the specialist did not answer (and for audits), never for one it did more than once.
    expect(demo.llm.calls).toBeGreaterThanOrEqual(all - r.serve.specialist);
    expect(demo.llm.calls).toBeLessThanOrEqual(all - r.serve.specialist + Math.ceil(r.serve.specialist * 0.2));
    expect(lines.some((l) => l.includes("The admin switches it to serve"))).toBe(true);
    expect(captureSummary(r, demo).join("\n")).toMatch(/In serve mode the specialist answered \d+ of 300 calls/);
  }, 300_000);
});
