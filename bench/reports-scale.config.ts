// Runs bench/reports-scale.run.ts (see bench/reports-scale.sh): vitest only for the harness's TypeScript.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["bench/reports-scale.run.ts"],
    testTimeout: 6 * 3_600_000,
    hookTimeout: 600_000,
  },
});
