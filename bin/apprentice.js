#!/usr/bin/env node
// Runs the CLI straight from the TypeScript sources: tsx's ESM loader is registered here, so
// `npx apprentice …` works right after `npm ci`, with no build step.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { register } from "tsx/esm/api";

// The project's own tsconfig, whatever the working directory is.
const tsconfig = join(dirname(fileURLToPath(import.meta.url)), "..", "tsconfig.json");
register({ tsconfig: existsSync(tsconfig) ? tsconfig : false });

const { main } = await import("../src/cli/main.ts");
process.exitCode = await main(process.argv);
