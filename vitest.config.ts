import { defineConfig } from "vitest/config";

// Tests that spawn the CLI run dist/: rebuilt first whenever src/ is newer (a stale build cannot pass).
const buildDist = "test/helpers/build-dist.ts";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/**/*.test.ts"],
          exclude: ["test/integration/**", "test/e2e/**", "node_modules/**"],
          testTimeout: 20_000,
          globalSetup: [buildDist],
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          globalSetup: [buildDist],
          // One control plane at a time: the machine has two cores.
          fileParallelism: false,
        },
      },
      {
        test: {
          // The image and a one-node cluster (scripts/image.sh, scripts/node/build.sh).
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          testTimeout: 180_000,
          hookTimeout: 600_000,
          fileParallelism: false,
          // After the other projects, never beside them: a node takes both cores.
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
