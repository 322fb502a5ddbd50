// Runs bench/peers/webhook.run.ts (see bench/peers/webhook.sh): vitest only for the harness's TypeScript.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["bench/peers/webhook.run.ts"],
    testTimeout: 3_600_000,
    hookTimeout: 600_000,
  },
});
