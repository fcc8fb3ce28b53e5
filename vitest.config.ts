import { defineConfig } from "vitest/config";

export default defineConfig({
  // The dashboard's component tests (test/web/*.test.tsx) use Preact's JSX.
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  test: {
    include: ["test/**/*.test.ts", "test/**/*.test.tsx"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ["default", "./test/support/summary-reporter.ts"],
  },
});
