// Runs the real `apprentice` binary (node bin/apprentice.js) as a child process, for end-to-end
// tests of the command line.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const BIN = fileURLToPath(new URL("../../bin/apprentice.js", import.meta.url));

export type CliRun = { code: number | null; stdout: string; stderr: string };

/** Runs the CLI in `cwd`, so messages name files as the test gave them. */
export function runCli(cwd: string, ...args: string[]): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: "1" } });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
