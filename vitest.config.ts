import { defineConfig } from "vitest/config";

// The PostgreSQL crash file stops and restarts the local PostgreSQL server: it runs in a second
// group, after every other file (which may be using that server) has finished.
const RESTARTS_POSTGRES = "test/crash/crash-postgres.test.ts";
const ALL = ["test/**/*.test.ts", "test/**/*.test.tsx"];

export default defineConfig({
  // The dashboard's component tests (test/web/*.test.tsx) use Preact's JSX.
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ["default", "./test/support/summary-reporter.ts"],
    projects: [
      { extends: true, test: { name: "main", include: ALL, exclude: [RESTARTS_POSTGRES], sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: "postgres-restart", include: [RESTARTS_POSTGRES], sequence: { groupOrder: 1 } } },
    ],
  },
});
